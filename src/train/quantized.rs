//! Inference-only decoding of a llama GGUF with candle's quantized kernels (`QMatMul` on the file's own
//! Q4_0/Q4_1/Q8_0/K-quant blocks), through `candle_transformers::models::quantized_llama`. It keeps the
//! weights quantized (4 to 8 bits) in llama.cpp's interleaved RoPE layout, so it reads 4–6× fewer bytes
//! per token than the F32 training model ([`super::gguf::load`]). No gradients, no LoRA: adapters train on
//! the F32 model; this is for prompting the base model fast (`cargo bench --bench decode`).
//!
//! Tied embeddings (SmolLM2 has no `output.weight`) fall back to the quantized `token_embd.weight`.
//!
//! candle 0.11 has SIMD dot products (AVX2, NEON) for Q4_0, Q8_0 and the K-quants only; Q4_1, Q5_0 and
//! Q5_1 run a scalar loop (SmolLM2's Q4_1: 17 tokens/s on one thread, vs 61 after re-quantizing). [`Kernels::Fast`] (the default)
//! re-quantizes such tensors to Q8_0 when loading (~1.06 bytes a weight) — not lossless: Q8_0 is
//! symmetric, so a Q4_1 block with a large offset gets a step close to its own. On SmolLM2 the greedy
//! top-1 still matched the F32 path on every teacher-forced step tested, but the logit cosine fell to
//! ~0.97 (vs ~0.997 for the Q4_1 kernel and for llama.cpp); see `tests/train_smollm2.rs`.
//! [`Kernels::AsStored`] keeps the file's types.

use super::generate::GenOptions;
use crate::diag::{Code, Diagnostic};
use candle_core::quantized::gguf_file::{self, Content};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Result, Tensor};
use candle_transformers::generation::LogitsProcessor;
use candle_transformers::models::quantized_llama::{ModelWeights, MAX_SEQ_LEN};
use std::path::Path;
use std::time::Instant;
use tokenizers::Tokenizer;

/// A quantized llama with its tokenizer. Decoding needs `&mut self` (the KV cache lives in the model).
pub struct QuantizedLlama {
    model: ModelWeights,
    pub tok: Tokenizer,
    /// Context length: the file's `llama.context_length`, capped at candle's RoPE table size.
    pub max_seq: usize,
    pub vocab: usize,
    /// Seconds the last [`QuantizedLlama::generate`] spent on the prompt (up to the first token).
    pub last_prefill_s: f64,
    device: Device,
}

fn err(path: &Path, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E411, format!("{}: {e}", path.display()))
}

/// Which block types the matmuls run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernels {
    /// Re-quantize tensors whose type has no SIMD kernel in candle (Q4_1, Q5_0, Q5_1) to Q8_0.
    #[default]
    Fast,
    /// The file's own block types, whatever kernel candle has for them.
    AsStored,
}

/// Block types that candle 0.11 multiplies with a scalar loop on every CPU.
fn slow_kernel(t: GgmlDType) -> bool {
    matches!(t, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

/// The GGUF again, in memory, with every slow-kernel tensor re-quantized to Q8_0.
fn requantized(c: &Content, f: &mut std::fs::File) -> Result<std::io::Cursor<Vec<u8>>> {
    let cpu = Device::Cpu;
    let mut tensors = Vec::with_capacity(c.tensor_infos.len());
    for (name, info) in &c.tensor_infos {
        let q = c.tensor(f, name, &cpu)?;
        let row = info.shape.dims().last().copied().unwrap_or(0);
        let q = if slow_kernel(info.ggml_dtype) && row % GgmlDType::Q8_0.block_size() == 0 { QTensor::quantize(&q.dequantize(&cpu)?, GgmlDType::Q8_0)? } else { q };
        tensors.push((name.as_str(), q));
    }
    // `write` aligns tensors to 32 bytes, the default a reader assumes without this key.
    let md: Vec<(&str, &gguf_file::Value)> = c.metadata.iter().filter(|(k, _)| k.as_str() != "general.alignment").map(|(k, v)| (k.as_str(), v)).collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, q)| (*n, q)).collect();
    let mut buf = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut buf, &md, &refs)?;
    buf.set_position(0);
    Ok(buf)
}

impl QuantizedLlama {
    /// Read a llama-architecture GGUF (weights stay quantized, see [`Kernels`]) and rebuild its tokenizer.
    pub fn load(path: &Path, dev: &Device) -> std::result::Result<QuantizedLlama, Diagnostic> {
        Self::load_with(path, dev, Kernels::Fast)
    }

    /// [`QuantizedLlama::load`] with a choice of [`Kernels`].
    pub fn load_with(path: &Path, dev: &Device, kernels: Kernels) -> std::result::Result<QuantizedLlama, Diagnostic> {
        let (mut f, _) = crate::io::open_regular(path)?;
        let c = Content::read(&mut f).map_err(|e| err(path, e))?;
        let arch = c.metadata.get("general.architecture").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
        if arch != "llama" {
            return Err(err(path, format!("architecture {arch:?} is not supported (llama only)")));
        }
        let tok = super::gguf::tokenizer(&c).map_err(|e| err(path, e))?;
        let ctx = c.metadata.get("llama.context_length").and_then(|v| v.to_u32().ok()).map_or(2048, |x| x as usize);
        let vocab = tok.get_vocab_size(true);
        let model = if kernels == Kernels::Fast && c.tensor_infos.values().any(|t| slow_kernel(t.ggml_dtype)) {
            let mut buf = requantized(&c, &mut f).map_err(|e| err(path, e))?;
            let c = Content::read(&mut buf).map_err(|e| err(path, e))?;
            ModelWeights::from_gguf(c, &mut buf, dev)
        } else {
            ModelWeights::from_gguf(c, &mut f, dev)
        }
        .map_err(|e| err(path, e))?;
        Ok(QuantizedLlama { model, tok, max_seq: ctx.min(MAX_SEQ_LEN), vocab, last_prefill_s: 0.0, device: dev.clone() })
    }

    /// Last-position logits (vocab,) for `ids` placed at `pos` (the KV cache must hold exactly `pos`
    /// tokens; `pos == 0` starts over).
    pub fn logits(&mut self, ids: &[u32], pos: usize) -> Result<Tensor> {
        if ids.is_empty() {
            candle_core::bail!("no tokens");
        }
        if pos + ids.len() > self.max_seq {
            candle_core::bail!("sequence of {} tokens exceeds max_seq {}", pos + ids.len(), self.max_seq);
        }
        if pos == 0 {
            self.model.clear_kv_cache();
        }
        let input = Tensor::from_slice(ids, (1, ids.len()), &self.device)?;
        self.model.forward(&input, pos)?.flatten_all()
    }

    /// Continue `prompt` (greedy when `opts.temperature` is 0, else sampled); returns the new tokens,
    /// ending at (and including) a stop id, `opts.max_new` tokens or the context limit. A prompt longer
    /// than the context keeps its last tokens.
    pub fn generate(&mut self, prompt: &[u32], opts: &GenOptions) -> Result<Vec<u32>> {
        if prompt.is_empty() {
            candle_core::bail!("empty prompt");
        }
        let prompt = &prompt[prompt.len().saturating_sub(self.max_seq.saturating_sub(1).max(1))..];
        let temp = (opts.temperature > 0.0).then_some(opts.temperature);
        let mut sampler = LogitsProcessor::new(opts.seed, temp, None);
        let t0 = Instant::now();
        let mut out = Vec::new();
        let (mut input, mut pos) = (prompt.to_vec(), 0);
        while out.len() < opts.max_new && pos + input.len() <= self.max_seq {
            let logits = self.logits(&input, pos)?;
            let next = sampler.sample(&logits)?;
            if out.is_empty() {
                self.last_prefill_s = t0.elapsed().as_secs_f64();
            }
            pos += input.len();
            out.push(next);
            if opts.stop_ids.contains(&next) {
                break;
            }
            input = vec![next];
        }
        Ok(out)
    }
}
