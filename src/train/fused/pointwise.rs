//! Pointwise kernels: SiLU and the rotary embedding.

use super::{f32_slice, for_rows, last_two, pair, use_fused};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, D};

/// SiLU, `x·σ(x)`: one pass each way (candle's backward recomputes σ in several).
pub fn silu(x: &Tensor) -> Result<Tensor> {
    if use_fused(x) {
        return x.contiguous()?.apply_op1(Silu);
    }
    x.silu()
}

struct Silu;

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// SiLU of one value.
pub(crate) fn silu_value(v: f32) -> f32 {
    v * sigmoid(v)
}

/// d silu(v)/dv · g.
pub(crate) fn silu_grad_value(v: f32, g: f32) -> f32 {
    let sg = sigmoid(v);
    g * sg * (1.0 + v * (1.0 - sg))
}

impl CustomOp1 for Silu {
    fn name(&self) -> &'static str {
        "silu"
    }

    fn cpu_fwd(&self, st: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(st, l, self.name())?;
        let mut y = vec![0f32; x.len()];
        for_rows(&mut y, 1024, |r, yr| {
            for (o, &v) in yr.iter_mut().zip(&x[r * 1024..]) {
                *o = silu_value(v);
            }
        });
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(x.apply_op2_no_bwd(&dy.contiguous()?, &SiluGrad)?))
    }
}

/// dx = dy·σ(x)·(1 + x·(1 − σ(x))).
struct SiluGrad;

impl CustomOp2 for SiluGrad {
    fn name(&self) -> &'static str {
        "silu-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, dy) = pair(s1, l1, s2, l2, self.name())?;
        let mut dx = vec![0f32; x.len()];
        for_rows(&mut dx, 1024, |r, o| {
            for ((o, &v), &g) in o.iter_mut().zip(&x[r * 1024..]).zip(&dy[r * 1024..]) {
                *o = silu_grad_value(v, g);
            }
        });
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

/// Rotary embedding, rotate-half form, of (B, H, S, hd): `x·cos + rotate_half(x)·sin` with (S, hd)
/// tables, where `rotate_half([x₁, x₂]) = [−x₂, x₁]`.
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let hd = x.dim(D::Minus1)?;
    if use_fused(x) && use_fused(cos) && use_fused(sin) && hd % 2 == 0 && cos.dims() == [x.dim(D::Minus2)?, hd] && sin.dims() == cos.dims() {
        return x.contiguous()?.apply_op3(&cos.contiguous()?, &sin.contiguous()?, Rope { grad: false });
    }
    let x1 = x.narrow(D::Minus1, 0, hd / 2)?;
    let x2 = x.narrow(D::Minus1, hd / 2, hd / 2)?;
    let rot = Tensor::cat(&[&x2.neg()?, &x1], D::Minus1)?;
    x.broadcast_mul(cos)? + rot.broadcast_mul(sin)?
}

/// Rotate one head's row in place with its position's `c`/`sn` tables; `grad` applies the transpose.
pub(crate) fn rope_row(v: &mut [f32], c: &[f32], sn: &[f32], grad: bool) {
    let h = v.len() / 2;
    let sign = if grad { -1.0 } else { 1.0 };
    for i in 0..h {
        let (a, b) = (v[i], v[i + h]);
        // forward: [a·c₁ − b·s₁, b·c₂ + a·s₂]; backward: [a·c₁ + b·s₂, b·c₂ − a·s₁].
        let (s_first, s_second) = if grad { (sn[i + h], sn[i]) } else { (sn[i], sn[i + h]) };
        v[i] = a * c[i] - sign * b * s_first;
        v[i + h] = b * c[i + h] + sign * a * s_second;
    }
}

/// Forward, or with `grad` the backward `dx = dy·cos + rotate_halfᵀ(dy·sin)`, where
/// `rotate_halfᵀ([g₁, g₂]) = [g₂, −g₁]`.
struct Rope {
    grad: bool,
}

impl CustomOp3 for Rope {
    fn name(&self) -> &'static str {
        if self.grad {
            "rope-grad"
        } else {
            "rope"
        }
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s1, l1, self.name())?;
        let cos = f32_slice(s2, l2, self.name())?;
        let sin = f32_slice(s3, l3, self.name())?;
        let (s, hd) = last_two(l1.shape())?;
        if cos.len() != s * hd || sin.len() != s * hd || hd % 2 != 0 {
            candle_core::bail!("{}: tables of ({s}, {hd}) expected", self.name());
        }
        let mut y = x.to_vec();
        if hd > 0 {
            for_rows(&mut y, hd, |r, yr| {
                let p = (r % s.max(1)) * hd;
                rope_row(yr, &cos[p..p + hd], &sin[p..p + hd], self.grad);
            });
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, cos: &Tensor, sin: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dx = dy.contiguous()?.apply_op3_no_bwd(cos, sin, &Rope { grad: true })?;
        Ok((Some(dx), None, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::fused::test_util::{max_diff, rand};
    use candle_core::Var;

    #[test]
    fn rope_matches_the_unfused_ops_forward_and_backward() {
        let x = Var::from_tensor(&rand(&[2, 3, 5, 8], 21)).unwrap();
        let angles = rand(&[5, 4], 22);
        let full = Tensor::cat(&[&angles, &angles], 1).unwrap();
        let (cos, sin) = (full.cos().unwrap(), full.sin().unwrap());
        let probe = rand(&[2, 3, 5, 8], 23);
        let fused = rope(x.as_tensor(), &cos, &sin).unwrap();
        let x1 = x.as_tensor().narrow(3, 0, 4).unwrap();
        let x2 = x.as_tensor().narrow(3, 4, 4).unwrap();
        let rot = Tensor::cat(&[&x2.neg().unwrap(), &x1], 3).unwrap();
        let reference = (x.as_tensor().broadcast_mul(&cos).unwrap() + rot.broadcast_mul(&sin).unwrap()).unwrap();
        assert!(max_diff(&fused, &reference) < 1e-5);
        let g1 = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (reference * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let (a, b) = (g1.get(x.as_tensor()).unwrap(), g2.get(x.as_tensor()).unwrap());
        assert!(max_diff(a, b) < 1e-5, "gradient differs: {}", max_diff(a, b));
    }

    #[test]
    fn silu_matches_candle_forward_and_backward() {
        // 2,500 elements: a last chunk shorter than the 1,024 the kernel works in.
        let x = Var::from_tensor(&(rand(&[5, 500], 31) * 3.0).unwrap()).unwrap();
        let probe = rand(&[5, 500], 32);
        let fused = silu(x.as_tensor()).unwrap();
        let reference = x.as_tensor().silu().unwrap();
        assert!(max_diff(&fused, &reference) < 1e-5);
        let g1 = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (reference * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let (a, b) = (g1.get(x.as_tensor()).unwrap(), g2.get(x.as_tensor()).unwrap());
        assert!(max_diff(a, b) < 1e-5, "gradient differs: {}", max_diff(a, b));
    }
}
