//! RMSNorm, with its two gradients.

use super::{f32_slice, for_rows, pair, row, use_fused};
use crate::train::model::rms_norm_ops;
use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, D};

/// RMSNorm over the last dimension: `x / sqrt(mean(x²) + eps) ⊙ w`.
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
    if use_fused(x) && use_fused(w) && w.rank() == 1 && x.dim(D::Minus1)? == w.dim(0)? {
        return x.contiguous()?.apply_op2(&w.contiguous()?, RmsNorm { eps: eps as f32 });
    }
    rms_norm_ops(x, w, eps)
}

#[derive(Clone, Copy)]
struct RmsNorm {
    eps: f32,
}

fn inv_rms(row: &[f32], eps: f32) -> f32 {
    let ms = row.iter().map(|v| v * v).sum::<f32>() / row.len() as f32;
    1.0 / (ms + eps).sqrt()
}

/// One row of RMSNorm: `out = x·r ⊙ w`, r = 1/sqrt(mean(x²)+eps).
pub(crate) fn rms_norm_row(xr: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let r = inv_rms(xr, eps);
    for ((o, &v), &g) in out.iter_mut().zip(xr).zip(w) {
        *o = v * r * g;
    }
}

/// Add one row of the input gradient, dx = r·(dy⊙w) − x·r³·mean((dy⊙w)⊙x), into `out`.
pub(crate) fn rms_norm_grad_x_add(xr: &[f32], gr: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let r = inv_rms(xr, eps);
    let dot = xr.iter().zip(gr).zip(w).map(|((a, g), w)| a * g * w).sum::<f32>() / xr.len().max(1) as f32;
    let c = r * r * r * dot;
    for (((o, &a), &g), &wv) in out.iter_mut().zip(xr).zip(gr).zip(w) {
        *o += r * g * wv - a * c;
    }
}

/// Add one row's share of the weight gradient, dy ⊙ x·r, into `dw`.
pub(crate) fn rms_norm_grad_w_add(xr: &[f32], gr: &[f32], eps: f32, dw: &mut [f32]) {
    let r = inv_rms(xr, eps);
    for ((o, &a), &g) in dw.iter_mut().zip(xr).zip(gr) {
        *o += g * a * r;
    }
}

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s1, l1, self.name())?;
        let w = f32_slice(s2, l2, self.name())?;
        let d = w.len().max(1);
        let mut y = vec![0f32; x.len()];
        for_rows(&mut y, d, |r, yr| rms_norm_row(row(x, r, d), w, self.eps, yr));
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let dy = dy.contiguous()?;
        let dx = x.apply_op3_no_bwd(w, &dy, &RmsNormGradX(*self))?;
        let dw = x.apply_op2_no_bwd(&dy, &RmsNormGradW(*self))?;
        Ok((Some(dx), Some(dw)))
    }
}

/// dx = r·(dy⊙w) − x·r³·mean((dy⊙w)⊙x), with r = 1/sqrt(mean(x²)+eps), per row.
struct RmsNormGradX(RmsNorm);

impl CustomOp3 for RmsNormGradX {
    fn name(&self) -> &'static str {
        "rms-norm-grad-x"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s1, l1, self.name())?;
        let w = f32_slice(s2, l2, self.name())?;
        let dy = f32_slice(s3, l3, self.name())?;
        let d = w.len().max(1);
        let mut dx = vec![0f32; x.len()];
        for_rows(&mut dx, d, |r, o| rms_norm_grad_x_add(row(x, r, d), row(dy, r, d), w, self.0.eps, o));
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// dw = Σ_rows dy ⊙ x·r.
struct RmsNormGradW(RmsNorm);

impl CustomOp2 for RmsNormGradW {
    fn name(&self) -> &'static str {
        "rms-norm-grad-w"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, dy) = pair(s1, l1, s2, l2, self.name())?;
        let d = l1.shape().dims().last().copied().unwrap_or(1).max(1);
        let mut dw = vec![0f32; d];
        for (xr, gr) in x.chunks(d).zip(dy.chunks(d)) {
            rms_norm_grad_w_add(xr, gr, self.0.eps, &mut dw);
        }
        Ok((CpuStorage::F32(dw), Shape::from(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::fused::test_util::{max_diff, rand};
    use candle_core::Var;

    #[test]
    fn rms_norm_matches_the_unfused_ops_forward_and_backward() {
        let x = Var::from_tensor(&rand(&[2, 5, 16], 1)).unwrap();
        let w = Var::from_tensor(&(rand(&[16], 2) + 1.0).unwrap()).unwrap();
        let probe = rand(&[2, 5, 16], 3);
        let fused = rms_norm(x.as_tensor(), w.as_tensor(), 1e-5).unwrap();
        let reference = rms_norm_ops(x.as_tensor(), w.as_tensor(), 1e-5).unwrap();
        assert!(max_diff(&fused, &reference) < 1e-5);
        let g1 = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (reference * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&x, &w] {
            let (a, b) = (g1.get(v.as_tensor()).unwrap(), g2.get(v.as_tensor()).unwrap());
            assert!(max_diff(a, b) < 1e-4, "gradient differs: {}", max_diff(a, b));
        }
    }
}
