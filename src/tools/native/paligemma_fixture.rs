//! A small random-initialised PaliGemma with the real tensor names (`vision_tower.vision_model.*`,
//! `multi_modal_projector.linear.*`, `language_model.model.*`) and a word-level tokenizer with
//! Gemma's special tokens and PaliGemma's 1024 `<locNNNN>` tokens; for tests and benches. Its
//! answers are meaningless.

use super::fixtures::randomise;
use super::paligemma::HfPaliGemmaConfig;
use crate::diag::{Code, Diagnostic};
use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::paligemma;
use serde_json::json;
use std::path::Path;

/// Words of the tiny tokenizer (lower-cased, split on whitespace and punctuation).
pub const TINY_VLM_WORDS: &[&str] = &[
    "answer", "en", "detect", "caption", "what", "color", "colour", "shape", "is", "the", "a", "of", "how", "many",
    "are", "there", "red", "green", "blue", "yellow", "circle", "square", "triangle", "cat", "dog", "car", "yes",
    "no", "one", "two", "three", "left", "right", "?", ";",
];
const SPECIALS: [&str; 4] = ["<pad>", "<eos>", "<bos>", "<unk>"];

fn vocab_size() -> usize {
    SPECIALS.len() + TINY_VLM_WORDS.len() + 1024
}

/// A scaled-down PaliGemma config in the Hugging Face format: SigLIP 28 px images with 14 px
/// patches (4 image tokens), width 32, 2 layers each side.
pub fn tiny_paligemma_config() -> serde_json::Value {
    json!({
        "architectures": ["PaliGemmaForConditionalGeneration"],
        "model_type": "paligemma",
        "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
        "projection_dim": 32,
        "text_config": {"model_type": "gemma", "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2,
            "num_key_value_heads": 1, "head_dim": 16, "num_hidden_layers": 2, "vocab_size": vocab_size(),
            "max_position_embeddings": 96, "num_image_tokens": 4},
        "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 32, "intermediate_size": 64,
            "num_attention_heads": 2, "num_hidden_layers": 2, "patch_size": 14, "image_size": 28,
            "num_image_tokens": 4, "projection_dim": 32}
    })
}

/// Word-level `tokenizer.json`: ids 0–3 `<pad> <eos> <bos> <unk>` (Gemma's), then the words, then
/// `<loc0000>`…`<loc1023>`; `<bos>` is prepended to every text.
pub fn tiny_paligemma_tokenizer() -> serde_json::Value {
    let mut vocab = serde_json::Map::new();
    let words = SPECIALS.iter().map(|s| s.to_string()).chain(TINY_VLM_WORDS.iter().map(|w| w.to_string()));
    for (i, w) in words.chain((0..1024).map(|n| format!("<loc{n:04}>"))).enumerate() {
        vocab.insert(w, json!(i));
    }
    let added: Vec<serde_json::Value> = SPECIALS
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"id": i, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}))
        .collect();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    })
}

/// Write `config.json`, `tokenizer.json` and `model.safetensors` of a tiny PaliGemma into `dir`.
/// The same seed always writes the same weights.
pub fn write_tiny_paligemma(dir: &Path, seed: u64) -> Result<(), Diagnostic> {
    let io = |e: std::io::Error| Diagnostic::new(Code::E401, format!("cannot write fixture: {e}"));
    let err = |e: candle_core::Error| Diagnostic::new(Code::E401, format!("tiny PaliGemma: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let config = tiny_paligemma_config();
    std::fs::write(dir.join("config.json"), config.to_string()).map_err(io)?;
    std::fs::write(dir.join("tokenizer.json"), tiny_paligemma_tokenizer().to_string()).map_err(io)?;
    let hf: HfPaliGemmaConfig = serde_json::from_value(config).map_err(|e| Diagnostic::new(Code::E401, e.to_string()))?;
    let vm = VarMap::new();
    paligemma::Model::new(&hf.to_candle()?, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).map_err(err)?;
    // Gemma's RMS norms scale by (1 + weight); SigLIP's layer norms by weight.
    randomise(&vm, seed, |n| n.contains("norm")).map_err(err)?;
    vm.save(dir.join("model.safetensors")).map_err(err)
}
