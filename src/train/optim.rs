//! AdamW (decoupled weight decay, as `torch.optim.AdamW`), warm-up + cosine learning-rate schedule,
//! global-norm gradient clipping and gradient accumulation — none of which candle provides except a
//! basic AdamW whose moments cannot be saved. Here the moments are public so checkpoints can hold them.
//!
//! On the CPU the update is one fused in-place pass per tensor (no temporaries); elsewhere it falls back
//! to tensor ops.

use candle_core::{backprop::GradStore, CpuStorage, DType, Layout, Result, Tensor, Var};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWParams {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWParams {
    /// The PyTorch baseline's settings: lr 3e-4, betas (0.9, 0.95), eps 1e-8, weight decay 0.1.
    fn default() -> Self {
        AdamWParams { lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 }
    }
}

/// First and second moments of one variable.
#[derive(Debug, Clone)]
pub struct Moments {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

pub struct AdamW {
    pub params: AdamWParams,
    pub vars: Vec<(String, Var)>,
    pub moments: Vec<Moments>,
    /// Number of updates done so far (bias correction uses it).
    pub t: u64,
}

impl AdamW {
    pub fn new(vars: Vec<(String, Var)>, params: AdamWParams) -> AdamW {
        let moments = vars.iter().map(|(_, v)| Moments { m: vec![0.0; v.elem_count()], v: vec![0.0; v.elem_count()] }).collect();
        AdamW { params, vars, moments, t: 0 }
    }

    /// One update with learning rate `lr`; `grads[i]` belongs to `vars[i]` (None: variable skipped).
    pub fn step(&mut self, grads: &[Option<Tensor>], lr: f64) -> Result<()> {
        self.t += 1;
        let p = self.params;
        let bc1 = 1.0 - p.beta1.powi(self.t as i32);
        let bc2 = 1.0 - p.beta2.powi(self.t as i32);
        for (i, g) in grads.iter().enumerate() {
            let (Some(g), Some((_, var))) = (g, self.vars.get(i)) else { continue };
            let g = g.to_dtype(DType::F32)?.contiguous()?;
            let mom = &mut self.moments[i];
            if var.device().is_cpu() && var.dtype() == DType::F32 {
                let op = FusedAdamW { m: Mutex::new((&mut mom.m, &mut mom.v)), lr, p, bc1, bc2 };
                var.as_tensor().inplace_op2(&g, &op)?;
            } else {
                let dev = var.device();
                let shape = var.shape();
                let m = Tensor::from_slice(&mom.m, shape, dev)?;
                let v = Tensor::from_slice(&mom.v, shape, dev)?;
                let m = ((m * p.beta1)? + (&g * (1.0 - p.beta1))?)?;
                let v = ((v * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
                let upd = ((&m / bc1)? / ((&v / bc2)?.sqrt()? + p.eps)?)?;
                let theta = ((var.as_tensor() * (1.0 - lr * p.weight_decay))? - (upd * lr)?)?;
                var.set(&theta)?;
                mom.m = m.flatten_all()?.to_vec1()?;
                mom.v = v.flatten_all()?.to_vec1()?;
            }
        }
        Ok(())
    }
}

struct FusedAdamW<'a> {
    m: Mutex<(&'a mut Vec<f32>, &'a mut Vec<f32>)>,
    lr: f64,
    p: AdamWParams,
    bc1: f64,
    bc2: f64,
}

impl candle_core::InplaceOp2 for FusedAdamW<'_> {
    fn name(&self) -> &'static str {
        "fused-adamw"
    }
    fn cpu_fwd(&self, s1: &mut CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<()> {
        let (CpuStorage::F32(theta), CpuStorage::F32(grad)) = (s1, s2) else {
            candle_core::bail!("fused-adamw: f32 tensors expected");
        };
        let (Some((a1, b1)), Some((a2, b2))) = (l1.contiguous_offsets(), l2.contiguous_offsets()) else {
            candle_core::bail!("fused-adamw: contiguous tensors expected");
        };
        let mut guard = self.m.lock().map_err(|_| candle_core::Error::msg("fused-adamw: poisoned lock"))?;
        let (m, v) = &mut *guard;
        let theta = &mut theta[a1..b1];
        let grad = &grad[a2..b2];
        if theta.len() != grad.len() || m.len() != theta.len() {
            candle_core::bail!("fused-adamw: size mismatch");
        }
        let (b1c, b2c) = (self.p.beta1 as f32, self.p.beta2 as f32);
        let decay = (1.0 - self.lr * self.p.weight_decay) as f32;
        let step = (self.lr / self.bc1) as f32;
        let inv_bc2_sqrt = (1.0 / self.bc2.sqrt()) as f32;
        let eps = self.p.eps as f32;
        for i in 0..theta.len() {
            let g = grad[i];
            let mi = b1c * m[i] + (1.0 - b1c) * g;
            let vi = b2c * v[i] + (1.0 - b2c) * g * g;
            m[i] = mi;
            v[i] = vi;
            theta[i] = theta[i] * decay - step * mi / (vi.sqrt() * inv_bc2_sqrt + eps);
        }
        Ok(())
    }
}

/// Linear warm-up to `peak` over `warmup` steps, then cosine decay to `min_lr` at `total` steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub peak: f64,
    pub min_lr: f64,
    pub warmup: u64,
    pub total: u64,
}

impl Schedule {
    /// Learning rate for 0-based update `step`.
    pub fn lr(&self, step: u64) -> f64 {
        if step < self.warmup {
            return self.peak * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1);
        let progress = ((step - self.warmup) as f64 / span as f64).min(1.0);
        self.min_lr + 0.5 * (self.peak - self.min_lr) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

/// The gradients of `vars` from a backward pass, in the same order.
pub fn collect_grads(store: &GradStore, vars: &[(String, Var)]) -> Vec<Option<Tensor>> {
    vars.iter().map(|(_, v)| store.get(v.as_tensor()).cloned()).collect()
}

/// Add `more` into `acc` (gradient accumulation across micro-batches).
pub fn accumulate(acc: &mut Vec<Option<Tensor>>, more: Vec<Option<Tensor>>) -> Result<()> {
    if acc.is_empty() {
        *acc = more;
        return Ok(());
    }
    for (a, m) in acc.iter_mut().zip(more) {
        *a = match (a.take(), m) {
            (Some(x), Some(y)) => Some((x + y)?),
            (x, y) => x.or(y),
        };
    }
    Ok(())
}

/// The L2 norm of all gradients together.
pub fn global_norm(grads: &[Option<Tensor>]) -> Result<f64> {
    let mut sum = 0.0f64;
    for g in grads.iter().flatten() {
        sum += g.sqr()?.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?;
    }
    Ok(sum.sqrt())
}

/// Scale all gradients so that their global norm is at most `max_norm`; returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut [Option<Tensor>], max_norm: f64) -> Result<f64> {
    let norm = global_norm(grads)?;
    if norm > max_norm && norm.is_finite() {
        let scale = max_norm / (norm + 1e-6);
        for g in grads.iter_mut().flatten() {
            *g = (&*g * scale)?;
        }
    }
    Ok(norm)
}
