//! PaliGemma (SigLIP vision tower + Gemma decoder, candle's `paligemma`) from a Hugging Face
//! checkpoint: `config.json`, `tokenizer.json`, and `model.safetensors` or
//! `model.safetensors.index.json` with its shards (e.g. `google/paligemma-3b-mix-224`).
//!
//! Generation is greedy with a KV cache. The image and the prompt form a prefix the model sees
//! at once (candle's `setup`), then one token per step. Each call decodes on its own clone of
//! the model (the weights are shared; only the KV cache is per call), so concurrent calls run in
//! parallel; they are not batched, because candle's Gemma has no padding mask for prompts of
//! different lengths.

use super::loader::{read_json, ModelSource};
use super::{cache, model_err, pixels, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::value::Region;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{gemma, paligemma, siglip};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokenizers::Tokenizer;

pub const SOURCE: ModelSource = ModelSource {
    name: "paligemma",
    hub_repo: Some("google/paligemma-3b-mix-224"),
    hint: "no registry package ships a VLM: put config.json, tokenizer.json and model.safetensors (or \
           model.safetensors.index.json and its shards) of a PaliGemma checkpoint in $DWIM_MODELS/paligemma, \
           or allow downloads (the Google repositories are gated: set HF_TOKEN)",
};
const INDEX: &str = "model.safetensors.index.json";

/// The parts of a Hugging Face `PaliGemmaConfig` that shape the network; absent fields take the
/// `paligemma-3b-224` values.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HfPaliGemmaConfig {
    #[serde(default)]
    pub text_config: HfGemma,
    #[serde(default)]
    pub vision_config: HfSiglip,
    pub projection_dim: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HfGemma {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_attention_heads: usize,
    pub num_hidden_layers: usize,
    pub num_key_value_heads: usize,
    pub vocab_size: usize,
    pub head_dim: Option<usize>,
    pub rope_theta: f64,
    pub max_position_embeddings: usize,
    pub rms_norm_eps: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HfSiglip {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_attention_heads: usize,
    pub num_hidden_layers: usize,
    pub patch_size: usize,
    pub image_size: Option<usize>,
    pub num_image_tokens: Option<usize>,
    pub layer_norm_eps: f64,
    pub projection_dim: Option<usize>,
}

impl Default for HfGemma {
    fn default() -> Self {
        HfGemma {
            hidden_size: 2048,
            intermediate_size: 16384,
            num_attention_heads: 8,
            num_hidden_layers: 18,
            num_key_value_heads: 1,
            vocab_size: 257216,
            head_dim: None,
            rope_theta: 10000.0,
            max_position_embeddings: 8192,
            rms_norm_eps: 1e-6,
        }
    }
}

impl Default for HfSiglip {
    fn default() -> Self {
        HfSiglip {
            hidden_size: 1152,
            intermediate_size: 4304,
            num_attention_heads: 16,
            num_hidden_layers: 27,
            patch_size: 14,
            image_size: None,
            num_image_tokens: None,
            layer_norm_eps: 1e-6,
            projection_dim: None,
        }
    }
}

impl HfPaliGemmaConfig {
    pub fn to_candle(&self) -> Result<paligemma::Config, Diagnostic> {
        let (t, v) = (&self.text_config, &self.vision_config);
        let bad = |m: &str| Diagnostic::new(Code::E401, format!("PaliGemma config: {m}"));
        let side = v.num_image_tokens.map(|n| (n as f64).sqrt().round() as usize * v.patch_size);
        let image_size = v.image_size.or(side).unwrap_or(224);
        if v.patch_size == 0 || image_size % v.patch_size != 0 || image_size == 0 {
            return Err(bad("image_size must be a positive multiple of patch_size"));
        }
        if t.num_attention_heads == 0 || t.num_key_value_heads == 0 || v.num_attention_heads == 0 {
            return Err(bad("attention head counts must be positive"));
        }
        let projection_dim = self.projection_dim.or(v.projection_dim).unwrap_or(t.hidden_size);
        if projection_dim != t.hidden_size {
            return Err(bad("projection_dim must equal the text model's hidden_size"));
        }
        Ok(paligemma::Config {
            vision_config: siglip::VisionConfig {
                hidden_size: v.hidden_size,
                intermediate_size: v.intermediate_size,
                num_hidden_layers: v.num_hidden_layers,
                num_attention_heads: v.num_attention_heads,
                num_channels: 3,
                image_size,
                patch_size: v.patch_size,
                hidden_act: candle_nn::Activation::GeluPytorchTanh,
                layer_norm_eps: v.layer_norm_eps,
            },
            text_config: gemma::Config {
                attention_bias: false,
                head_dim: t.head_dim.unwrap_or(t.hidden_size / t.num_attention_heads),
                hidden_act: Some(candle_nn::Activation::GeluPytorchTanh),
                hidden_activation: None,
                hidden_size: t.hidden_size,
                intermediate_size: t.intermediate_size,
                num_attention_heads: t.num_attention_heads,
                num_hidden_layers: t.num_hidden_layers,
                num_key_value_heads: t.num_key_value_heads,
                rms_norm_eps: t.rms_norm_eps,
                rope_theta: t.rope_theta,
                vocab_size: t.vocab_size,
                max_position_embeddings: t.max_position_embeddings,
            },
            projection_dim,
        })
    }
}

/// What one generation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// New token ids, without the end-of-sequence token.
    pub ids: Vec<u32>,
    /// Decoded with special tokens skipped (answers).
    pub text: String,
    /// Decoded keeping special tokens such as `<loc0123>` (detections).
    pub raw: String,
}

/// A loaded PaliGemma with its tokenizer; shared and thread-safe.
pub struct PaliGemma {
    model: paligemma::Model,
    tokenizer: Tokenizer,
    image_size: usize,
    image_tokens: usize,
    max_positions: usize,
    bos: Option<u32>,
    eos: Option<u32>,
    device: Device,
    dtype: DType,
}

/// Resolve the config, tokenizer and weight files (single file, or index and shards).
pub fn resolve_files(cfg: &NativeConfig) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut paths = SOURCE.files(cfg, &["config.json", "tokenizer.json"])?;
    paths.extend(weight_files(cfg)?);
    Ok(paths)
}

fn weight_files(cfg: &NativeConfig) -> Result<Vec<PathBuf>, Diagnostic> {
    let single = SOURCE.local_dir(cfg).join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let index = SOURCE.file(cfg, INDEX).map_err(|mut d| {
        d.message = format!("model `paligemma`: weight file `model.safetensors` (or `{INDEX}` and its shards) not found");
        d
    })?;
    let doc: serde_json::Value = read_json(&index)?;
    let mut shards: Vec<&str> = doc
        .get("weight_map")
        .and_then(|m| m.as_object())
        .map(|m| m.values().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    shards.sort_unstable();
    shards.dedup();
    if shards.is_empty() {
        return Err(Diagnostic::new(Code::E401, format!("{} has no weight_map", index.display())));
    }
    let dir = index.parent().map(Path::to_path_buf).unwrap_or_default();
    shards.iter().map(|s| if dir.join(s).is_file() { Ok(dir.join(s)) } else { SOURCE.file(cfg, s) }).collect()
}

impl PaliGemma {
    pub fn shared(cfg: &NativeConfig) -> Result<Arc<PaliGemma>, Diagnostic> {
        let paths = resolve_files(cfg)?;
        let key = cfg.key("paligemma", &paths);
        let dev = cfg.device.device()?;
        let dtype = cfg.precision.dtype();
        cache::shared(&key, || PaliGemma::from_files(&paths[0], &paths[1], &paths[2..], &dev, dtype))
    }

    pub fn from_dir(dir: &Path, device: &Device, dtype: DType) -> Result<PaliGemma, Diagnostic> {
        let cfg = NativeConfig::default().offline().with_model_dir(SOURCE.name, dir);
        let p = resolve_files(&cfg)?;
        PaliGemma::from_files(&p[0], &p[1], &p[2..], device, dtype)
    }

    fn from_files(config: &Path, tok: &Path, weights: &[PathBuf], device: &Device, dtype: DType) -> Result<PaliGemma, Diagnostic> {
        let hf: HfPaliGemmaConfig = read_json(config)?;
        let cfg = hf.to_candle()?;
        let mut tokenizer = Tokenizer::from_file(tok)
            .map_err(|e| Diagnostic::new(Code::E401, format!("cannot load tokenizer {}: {e}", tok.display())))?;
        tokenizer.with_padding(None);
        let _ = tokenizer.with_truncation(None);
        // SAFETY: read-only memory maps of weight files dwim does not modify.
        for w in weights.iter() {
            crate::io::check_regular(w.as_ref())?;
        }
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(weights, dtype, device) }
            .map_err(|e| Diagnostic::new(Code::E411, format!("cannot read PaliGemma weights: {e}")))?;
        let model = paligemma::Model::new(&cfg, vb).map_err(model_err("loading PaliGemma"))?;
        let v = &cfg.vision_config;
        Ok(PaliGemma {
            model,
            bos: tokenizer.token_to_id("<bos>"),
            eos: tokenizer.token_to_id("<eos>"),
            tokenizer,
            image_size: v.image_size,
            image_tokens: v.num_patches(),
            max_positions: cfg.text_config.max_position_embeddings,
            device: device.clone(),
            dtype,
        })
    }

    /// Pixel input: the region resized to the model's square, scaled to [-1, 1].
    fn pixels(&self, region: &Region) -> Result<Tensor, Diagnostic> {
        let s = self.image_size as u32;
        let data = pixels::chw_normalised(&pixels::resize_rgb(&pixels::crop(region)?, s, s), [0.5; 3], [0.5; 3]);
        Tensor::from_vec(data, (1, 3, s as usize, s as usize), &self.device)
            .and_then(|t| t.to_dtype(self.dtype))
            .map_err(model_err("PaliGemma input"))
    }

    /// Greedy decoding of at most `max_new` tokens after `prompt` (a line such as
    /// `answer en what colour is the car?` or `detect car`) about `region`.
    pub fn generate(&self, region: &Region, prompt: &str, max_new: usize) -> Result<Generated, Diagnostic> {
        let line = format!("{}\n", prompt.replace(['\n', '\r'], " "));
        let enc = self.tokenizer.encode(line, true).map_err(|e| Diagnostic::new(Code::E402, format!("cannot tokenize: {e}")))?;
        let mut ids = enc.get_ids().to_vec();
        if let Some(b) = self.bos.filter(|b| ids.first() != Some(b)) {
            ids.insert(0, b);
        }
        let room = self.max_positions.saturating_sub(self.image_tokens + ids.len());
        if room == 0 {
            return Err(Diagnostic::new(Code::E402, format!("the prompt is too long ({} tokens)", ids.len())));
        }
        let px = self.pixels(region)?;
        let err = model_err("PaliGemma generation");
        let mut model = self.model.clone();
        let mut input = Tensor::new(ids.as_slice(), &self.device).and_then(|t| t.unsqueeze(0)).map_err(&err)?;
        let mut out = Vec::new();
        for step in 0..max_new.min(room) {
            let logits = if step == 0 { model.setup(&px, &input) } else { model.forward(&input) }.map_err(&err)?;
            let row = logits.flatten_all().and_then(|t| t.to_dtype(DType::F32)).and_then(|t| t.to_vec1::<f32>()).map_err(&err)?;
            let next = argmax(&row);
            if Some(next) == self.eos {
                break;
            }
            out.push(next);
            input = Tensor::new(&[[next]], &self.device).map_err(&err)?;
        }
        let decode = |skip: bool| {
            self.tokenizer.decode(&out, skip).map_err(|e| Diagnostic::new(Code::E407, format!("cannot decode the answer: {e}")))
        };
        Ok(Generated { text: decode(true)?.trim().to_string(), raw: decode(false)?, ids: out })
    }
}

/// Index of the largest logit (the first on ties; NaN never wins).
fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] || v[best].is_nan() {
            best = i;
        }
    }
    best as u32
}
