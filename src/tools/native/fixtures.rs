//! Small random-initialised checkpoints with the real tensor names and file layout, for models no
//! registry package ships. Tests and benchmarks use them to check loading, shapes, determinism and
//! the tool calls end to end; their outputs are meaningless.

use super::clip::HfClipConfig;
use crate::diag::{Code, Diagnostic};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Init, VarBuilder, VarMap};
use candle_transformers::models::clip::ClipModel;
use serde_json::json;
use std::path::Path;

pub use super::depth_fixture::{tiny_depth_config, write_tiny_depth};
pub use super::paligemma_fixture::{tiny_paligemma_config, tiny_paligemma_tokenizer, write_tiny_paligemma, TINY_VLM_WORDS};

/// Words of the tiny CLIP tokenizer (lower-cased, split on whitespace).
pub const TINY_CLIP_WORDS: &[&str] = &[
    "a", "an", "photo", "of", "the", "red", "green", "blue", "yellow", "black", "white", "circle", "square",
    "triangle", "cat", "dog", "car", "shoe", "person", "sign", "tree", "text",
];

/// A scaled-down CLIP config (ViT: 32 px images, 8 px patches; 2 layers of width 32 each side).
pub fn tiny_clip_config() -> serde_json::Value {
    let vocab = TINY_CLIP_WORDS.len() + 3;
    json!({
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": 16,
        "logit_scale_init_value": 2.6592,
        "text_config": {"vocab_size": vocab, "hidden_size": 32, "intermediate_size": 64,
            "max_position_embeddings": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_act": "quick_gelu"},
        "vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 2, "image_size": 32, "patch_size": 8, "num_channels": 3, "hidden_act": "quick_gelu"}
    })
}

/// A word-level tokenizer in the `tokenizer.json` format, with CLIP's special tokens; the
/// end-of-text token has the highest id, as in CLIP's vocabulary.
pub fn tiny_clip_tokenizer() -> serde_json::Value {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), json!(0));
    for (i, w) in TINY_CLIP_WORDS.iter().enumerate() {
        vocab.insert((*w).into(), json!(i + 1));
    }
    let (bos, eos) = (TINY_CLIP_WORDS.len() + 1, TINY_CLIP_WORDS.len() + 2);
    vocab.insert("<|startoftext|>".into(), json!(bos));
    vocab.insert("<|endoftext|>".into(), json!(eos));
    let special = |id: &str| json!({"SpecialToken": {"id": id, "type_id": 0}});
    let seq = |id: &str| json!({"Sequence": {"id": id, "type_id": 0}});
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special("<|startoftext|>"), seq("A"), special("<|endoftext|>")],
            "pair": [special("<|startoftext|>"), seq("A"), seq("B"), special("<|endoftext|>")],
            "special_tokens": {
                "<|startoftext|>": {"id": "<|startoftext|>", "ids": [bos], "tokens": ["<|startoftext|>"]},
                "<|endoftext|>": {"id": "<|endoftext|>", "ids": [eos], "tokens": ["<|endoftext|>"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    })
}

/// Write `config.json`, `model.safetensors` and `tokenizer.json` of a tiny CLIP into `dir`.
/// The same seed always writes the same weights.
pub fn write_tiny_clip(dir: &Path, seed: u64) -> Result<(), Diagnostic> {
    let io = |e: std::io::Error| Diagnostic::new(Code::E401, format!("cannot write fixture: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let config = tiny_clip_config();
    std::fs::write(dir.join("config.json"), config.to_string()).map_err(io)?;
    std::fs::write(dir.join("tokenizer.json"), tiny_clip_tokenizer().to_string()).map_err(io)?;
    let hf: HfClipConfig = serde_json::from_value(config).map_err(|e| Diagnostic::new(Code::E401, e.to_string()))?;
    let cfg = hf.to_candle();
    let err = |e: candle_core::Error| Diagnostic::new(Code::E401, format!("tiny CLIP: {e}"));
    let vm = VarMap::new();
    // Tensors the model only reads when present (else it draws them at random): make them exist.
    vm.get((), "logit_scale", Init::Const(2.6592), DType::F32, &Device::Cpu).map_err(err)?;
    vm.get(cfg.vision_config.embed_dim, "vision_model.embeddings.class_embedding", Init::Const(0.), DType::F32, &Device::Cpu)
        .map_err(err)?;
    ClipModel::new(VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu), &cfg).map_err(err)?;
    randomise(&vm, seed, |n| n.contains("layer_norm") || n.contains("layrnorm")).map_err(err)?;
    vm.save(dir.join("model.safetensors")).map_err(err)
}

/// Deterministic small normal-ish values (by seed and tensor name); the tensors `is_norm` picks
/// get weights 1 and biases 0.
pub(crate) fn randomise(vm: &VarMap, seed: u64, is_norm: impl Fn(&str) -> bool) -> candle_core::Result<()> {
    let data = vm.data().lock().map_err(|_| candle_core::Error::Msg("var map lock poisoned".into()))?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let norm = is_norm(name);
        let values: Vec<f32> = if name == "logit_scale" {
            vec![2.6592]
        } else if norm {
            vec![if name.ends_with("weight") { 1.0 } else { 0.0 }; n]
        } else {
            let mut s = seed ^ fnv(name);
            (0..n).map(|_| 0.05 * gaussish(&mut s)).collect()
        };
        var.set(&Tensor::from_vec(values, shape, &Device::Cpu)?)?;
    }
    Ok(())
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Sum of four uniforms, centred and scaled to unit variance.
fn gaussish(s: &mut u64) -> f32 {
    let mut acc = 0.0;
    for _ in 0..4 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        acc += (*s >> 11) as f64 / (1u64 << 53) as f64;
    }
    ((acc - 2.0) * 3f64.sqrt()) as f32
}
