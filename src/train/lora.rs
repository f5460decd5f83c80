//! LoRA adapters for candle: `y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ` with A (r×in), B (out×r). A starts uniform in
//! ±1/√in (as PEFT's Kaiming init), B at zero, so an adapted model starts equal to its base.

use super::rng::Rng;
use candle_core::{Device, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

/// Which linear layers get adapters and how large they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f64,
    /// Projection names (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`).
    pub targets: Vec<String>,
}

impl LoraConfig {
    /// All attention and MLP projections, α = 2r.
    pub fn all(rank: usize) -> LoraConfig {
        let targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
        LoraConfig { rank, alpha: 2.0 * rank as f64, targets: targets.iter().map(|s| s.to_string()).collect() }
    }
    pub fn applies_to(&self, weight_name: &str) -> bool {
        self.targets.iter().any(|t| weight_name.ends_with(&format!(".{t}.weight")))
    }
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// One adapter pair.
#[derive(Debug, Clone)]
pub struct Adapter {
    pub a: Var,
    pub b: Var,
    pub scale: f64,
}

impl Adapter {
    pub fn init(out_dim: usize, in_dim: usize, cfg: &LoraConfig, rng: &mut Rng, dev: &Device) -> Result<Adapter> {
        let bound = 1.0 / (in_dim as f64).sqrt();
        let a = Tensor::from_vec(rng.uniform_vec(cfg.rank * in_dim, bound), (cfg.rank, in_dim), dev)?;
        let b = Tensor::zeros((out_dim, cfg.rank), candle_core::DType::F32, dev)?;
        Ok(Adapter { a: Var::from_tensor(&a)?, b: Var::from_tensor(&b)?, scale: cfg.scale() })
    }

    /// `scale · B·A`, the update to add to the base weight when merging.
    pub fn delta(&self) -> Result<Tensor> {
        self.b.as_tensor().matmul(self.a.as_tensor())? * self.scale
    }
}

/// A bias-free linear layer, optionally with an adapter.
#[derive(Debug, Clone)]
pub struct Linear {
    pub w: Tensor,
    pub adapter: Option<Adapter>,
    /// Added to the output (Qwen2's q/k/v projections).
    pub b: Option<Tensor>,
}

impl Linear {
    /// `x`: (…, in) → (…, out).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let inner = *dims.last().unwrap_or(&0);
        let rows = x.elem_count() / inner.max(1);
        let x2 = x.reshape((rows, inner))?;
        let mut y = x2.matmul(&self.w.t()?)?;
        if let Some(ad) = &self.adapter {
            let low = x2.matmul(&ad.a.as_tensor().t()?)?;
            y = (y + (low.matmul(&ad.b.as_tensor().t()?)? * ad.scale)?)?;
        }
        if let Some(b) = &self.b {
            y = y.broadcast_add(b)?;
        }
        let mut out = dims;
        if let Some(last) = out.last_mut() {
            *last = self.w.dim(0)?;
        }
        y.reshape(out)
    }
}
