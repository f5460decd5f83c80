//! Incremental decoding with a KV cache: the prompt is run once, then one token at a time.

use super::model::{KvCache, Model};
use super::rng::Rng;
use candle_core::{Result, Tensor, D};

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub max_new: usize,
    /// 0 = greedy; otherwise sample from softmax(logits / temperature).
    pub temperature: f64,
    /// Generation stops after emitting one of these (it is included in the output).
    pub stop_ids: Vec<u32>,
    pub seed: u64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions { max_new: 64, temperature: 0.0, stop_ids: Vec::new(), seed: 0 }
    }
}

/// Continue `prompt`; returns the new tokens only. A prompt longer than the model's context keeps its
/// last tokens; decoding stops at the context limit.
pub fn generate(model: &Model, prompt: &[u32], opts: &GenOptions) -> Result<Vec<u32>> {
    if prompt.is_empty() {
        candle_core::bail!("empty prompt");
    }
    let ctx = model.cfg.max_seq;
    let prompt = &prompt[prompt.len().saturating_sub(ctx.saturating_sub(1).max(1))..];
    let mut cache = KvCache::default();
    let mut rng = Rng::new(opts.seed);
    let mut out = Vec::new();
    let mut input = Tensor::from_slice(prompt, (1, prompt.len()), model.device())?;
    while out.len() < opts.max_new && cache.len() + input.dim(1)? <= ctx {
        let h = model.hidden(&input, Some(&mut cache))?;
        let last = h.narrow(1, h.dim(1)? - 1, 1)?;
        let logits = model.lm_head(&last)?.flatten_all()?;
        let next = pick(&logits, opts.temperature, &mut rng)?;
        out.push(next);
        if opts.stop_ids.contains(&next) {
            break;
        }
        input = Tensor::from_slice(&[next], (1, 1), model.device())?;
    }
    Ok(out)
}

fn pick(logits: &Tensor, temperature: f64, rng: &mut Rng) -> Result<u32> {
    if temperature <= 0.0 {
        return logits.argmax(D::Minus1)?.to_scalar::<u32>();
    }
    let v: Vec<f32> = (logits / temperature)?.to_vec1()?;
    let max = v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let w: Vec<f64> = v.iter().map(|&x| ((x - max) as f64).exp()).collect();
    let mut r = rng.uniform() * w.iter().sum::<f64>();
    for (i, wi) in w.iter().enumerate() {
        r -= wi;
        if r <= 0.0 {
            return Ok(i as u32);
        }
    }
    Ok((w.len() - 1) as u32)
}
