//! CLIP image–text matching from a Hugging Face checkpoint (`config.json`, `model.safetensors`,
//! `tokenizer.json`), e.g. `openai/clip-vit-base-patch32`.

use super::loader::{read_json, ModelSource};
use super::{cache, model_err, pixels, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::value::Region;
use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::clip::text_model::{Activation, ClipTextConfig};
use candle_transformers::models::clip::vision_model::ClipVisionConfig;
use candle_transformers::models::clip::{ClipConfig, ClipModel};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use tokenizers::Tokenizer;

pub const SOURCE: ModelSource = ModelSource {
    name: "clip",
    hub_repo: Some("openai/clip-vit-base-patch32"),
    hint: "no registry package ships CLIP: put config.json, model.safetensors and tokenizer.json of a \
           Hugging Face CLIP checkpoint in $DWIM_MODELS/clip, or allow downloads",
};
pub(crate) const FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];
// OpenAI CLIP's published normalisation constants, digit for digit.
#[allow(clippy::excessive_precision)]
const MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
#[allow(clippy::excessive_precision)]
const STD: [f32; 3] = [0.268_629_54, 0.261_302_58, 0.275_777_11];

/// The parts of a Hugging Face `CLIPConfig` that shape the network; absent fields take the
/// ViT-B/32 values.
#[derive(Debug, Clone, Deserialize)]
pub struct HfClipConfig {
    #[serde(default)]
    pub text_config: HfTextConfig,
    #[serde(default)]
    pub vision_config: HfVisionConfig,
    #[serde(default = "d512")]
    pub projection_dim: usize,
    #[serde(default = "scale")]
    pub logit_scale_init_value: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HfTextConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HfVisionConfig {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub image_size: usize,
    pub patch_size: usize,
    pub num_channels: usize,
}

fn d512() -> usize {
    512
}
fn scale() -> f32 {
    2.6592
}

impl Default for HfTextConfig {
    fn default() -> Self {
        HfTextConfig { vocab_size: 49408, hidden_size: 512, intermediate_size: 2048, max_position_embeddings: 77, num_hidden_layers: 12, num_attention_heads: 8 }
    }
}

impl Default for HfVisionConfig {
    fn default() -> Self {
        HfVisionConfig { hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, num_attention_heads: 12, image_size: 224, patch_size: 32, num_channels: 3 }
    }
}

impl HfClipConfig {
    pub fn to_candle(&self) -> ClipConfig {
        let (t, v) = (&self.text_config, &self.vision_config);
        ClipConfig {
            text_config: ClipTextConfig {
                vocab_size: t.vocab_size,
                embed_dim: t.hidden_size,
                activation: Activation::QuickGelu,
                intermediate_size: t.intermediate_size,
                max_position_embeddings: t.max_position_embeddings,
                pad_with: None,
                num_hidden_layers: t.num_hidden_layers,
                num_attention_heads: t.num_attention_heads,
                projection_dim: self.projection_dim,
            },
            vision_config: ClipVisionConfig {
                embed_dim: v.hidden_size,
                activation: Activation::QuickGelu,
                intermediate_size: v.intermediate_size,
                num_hidden_layers: v.num_hidden_layers,
                num_attention_heads: v.num_attention_heads,
                projection_dim: self.projection_dim,
                num_channels: v.num_channels,
                image_size: v.image_size,
                patch_size: v.patch_size,
            },
            logit_scale_init_value: self.logit_scale_init_value,
            image_size: v.image_size,
        }
    }
}

/// A loaded CLIP model with its tokenizer; shared and thread-safe.
pub struct ClipScorer {
    model: ClipModel,
    tokenizer: Tokenizer,
    image_size: usize,
    max_tokens: usize,
    device: Device,
    dtype: DType,
}

impl ClipScorer {
    pub fn shared(cfg: &NativeConfig) -> Result<Arc<ClipScorer>, Diagnostic> {
        let paths = SOURCE.files(cfg, &FILES)?;
        let key = cfg.key("clip", &paths);
        let dev = cfg.device.device()?;
        let dtype = cfg.precision.dtype();
        cache::shared(&key, || ClipScorer::from_files(&paths[0], &paths[1], &paths[2], &dev, dtype))
    }

    pub fn from_dir(dir: &Path, device: &Device, dtype: DType) -> Result<ClipScorer, Diagnostic> {
        let p: Vec<_> = FILES.iter().map(|f| dir.join(f)).collect();
        if let Some(f) = p.iter().find(|f| !f.is_file()) {
            return Err(Diagnostic::new(Code::E411, format!("weight file `{}` not found", f.display())));
        }
        ClipScorer::from_files(&p[0], &p[1], &p[2], device, dtype)
    }

    fn from_files(config: &Path, weights: &Path, tok: &Path, device: &Device, dtype: DType) -> Result<ClipScorer, Diagnostic> {
        let hf: HfClipConfig = read_json(config)?;
        let cfg = hf.to_candle();
        if cfg.vision_config.patch_size == 0 || !cfg.image_size.is_multiple_of(cfg.vision_config.patch_size) {
            return Err(Diagnostic::new(Code::E401, "CLIP config: image_size must be a multiple of patch_size"));
        }
        let mut tokenizer = Tokenizer::from_file(tok)
            .map_err(|e| Diagnostic::new(Code::E401, format!("cannot load tokenizer {}: {e}", tok.display())))?;
        tokenizer.with_padding(None);
        let _ = tokenizer.with_truncation(None);
        // SAFETY: read-only memory map of a weight file dwim does not modify.
        crate::io::check_regular(weights)?;
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], dtype, device) }
            .map_err(|e| Diagnostic::new(Code::E411, format!("cannot read {}: {e}", weights.display())))?;
        let model = ClipModel::new(vb, &cfg).map_err(model_err("loading CLIP"))?;
        Ok(ClipScorer {
            model,
            tokenizer,
            image_size: cfg.image_size,
            max_tokens: cfg.text_config.max_position_embeddings,
            device: device.clone(),
            dtype,
        })
    }

    fn pixels(&self, regions: &[Region]) -> Result<Tensor, Diagnostic> {
        let s = self.image_size as u32;
        let mut data = Vec::with_capacity(regions.len() * 3 * (s * s) as usize);
        for r in regions {
            data.extend(pixels::chw_normalised(&fill_square(&pixels::crop(r)?, s), MEAN, STD));
        }
        let err = model_err("CLIP input");
        Tensor::from_vec(data, (regions.len(), 3, s as usize, s as usize), &self.device)
            .and_then(|t| t.to_dtype(self.dtype))
            .map_err(err)
    }

    fn tokens(&self, texts: &[&str]) -> Result<Tensor, Diagnostic> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Diagnostic::new(Code::E402, format!("cannot tokenize: {e}")))?;
        let mut rows: Vec<Vec<u32>> = enc.iter().map(|e| e.get_ids().to_vec()).collect();
        for r in &mut rows {
            // Keep the final (end-of-text) token when cutting: the text model pools at the
            // highest token id, which is end-of-text in CLIP's vocabulary.
            if r.len() > self.max_tokens {
                let last = *r.last().unwrap_or(&0);
                r.truncate(self.max_tokens - 1);
                r.push(last);
            }
        }
        let len = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let flat: Vec<u32> = rows.iter().flat_map(|r| r.iter().copied().chain(std::iter::repeat_n(0, len - r.len()))).collect();
        Tensor::from_vec(flat, (rows.len(), len), &self.device).map_err(model_err("CLIP tokens"))
    }

    /// Scaled cosine logits, one row per region, one column per text.
    pub fn logits(&self, regions: &[Region], texts: &[&str]) -> Result<Vec<Vec<f32>>, Diagnostic> {
        if regions.is_empty() || texts.is_empty() {
            return Err(Diagnostic::new(Code::E402, "need at least one image and one text"));
        }
        let (px, ids) = (self.pixels(regions)?, self.tokens(texts)?);
        let (_, per_image) = self.model.forward(&px, &ids).map_err(model_err("CLIP forward"))?;
        per_image.to_dtype(DType::F32).and_then(|t| t.to_vec2::<f32>()).map_err(model_err("CLIP forward"))
    }

    /// Probability of each text for one region (softmax over the texts).
    pub fn probs(&self, region: &Region, texts: &[&str]) -> Result<Vec<f32>, Diagnostic> {
        let row = self.logits(std::slice::from_ref(region), texts)?.remove(0);
        Ok(softmax(&row))
    }

    /// L2-normalised image embeddings.
    pub fn image_embeddings(&self, regions: &[Region]) -> Result<Vec<Vec<f32>>, Diagnostic> {
        let px = self.pixels(regions)?;
        let f = self.model.get_image_features(&px).map_err(model_err("CLIP image features"))?;
        normalise(&f).map_err(model_err("CLIP image features"))
    }
}

fn normalise(t: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    let t = t.to_dtype(DType::F32)?;
    let n = t.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    t.broadcast_div(&n)?.to_vec2::<f32>()
}

pub fn softmax(v: &[f32]) -> Vec<f32> {
    let m = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = v.iter().map(|x| (x - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

/// Resize so the short side is `s`, then crop the centre square (CLIP's preprocessing).
fn fill_square(img: &image::RgbImage, s: u32) -> image::RgbImage {
    let (w, h) = (img.width().max(1) as f64, img.height().max(1) as f64);
    let k = s as f64 / w.min(h);
    let (nw, nh) = (((w * k).round() as u32).max(s), ((h * k).round() as u32).max(s));
    let big = pixels::resize_rgb(img, nw, nh);
    image::imageops::crop_imm(&big, (nw - s) / 2, (nh - s) / 2, s, s).to_image()
}
