//! Attention: the batched products (the batch across threads) and the causally masked softmax.

use super::{f32_slice, for_rows, last_two, pair, row, use_fused};
use crate::train::model::softmax_last;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// Batched matrix product (N, m, k)·(N, k, n) → (N, m, n) for attention: the batch runs across rayon's
/// threads. Either operand may be a transposed view (any strides within a matrix).
pub fn bmm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if use_fused(a) && use_fused(b) && a.rank() == 3 && b.rank() == 3 {
        return a.apply_op2(b, Bmm);
    }
    a.matmul(b)
}

struct Bmm;

/// One operand of [`Bmm`]: its slice, batch stride, row stride and column stride.
struct Operand<'a> {
    data: &'a [f32],
    batch: usize,
    rs: usize,
    cs: usize,
}

fn operand<'a>(s: &'a CpuStorage, l: &Layout) -> Result<(Operand<'a>, [usize; 3])> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("bmm: f32 tensor expected");
    };
    let (dims, st) = (l.dims(), l.stride());
    if dims.len() != 3 {
        candle_core::bail!("bmm: rank-3 operands expected, got {dims:?}");
    }
    let data = &v[l.start_offset()..];
    // The furthest element any product reads must lie in the storage.
    let last: usize = dims.iter().zip(st).map(|(d, s)| d.saturating_sub(1) * s).sum();
    if dims.iter().all(|&d| d > 0) && last >= data.len() {
        candle_core::bail!("bmm: layout reaches past the storage");
    }
    Ok((Operand { data, batch: st[0], rs: st[1], cs: st[2] }, [dims[0], dims[1], dims[2]]))
}

impl CustomOp2 for Bmm {
    fn name(&self) -> &'static str {
        "bmm"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (a, [n, m, k]) = operand(s1, l1)?;
        let (b, [n2, k2, p]) = operand(s2, l2)?;
        if n != n2 || k != k2 {
            candle_core::bail!("bmm: shapes ({n}, {m}, {k}) and ({n2}, {k2}, {p}) do not multiply");
        }
        let mut out = vec![0f32; n * m * p];
        if m * p > 0 {
            for_rows(&mut out, m * p, |i, dst| {
                // SAFETY: `operand` checked that every (i, row, col) index of both operands lies in
                // its slice; `dst` is this batch's own (m, p) row-major block.
                unsafe {
                    gemm::gemm(
                        m,
                        p,
                        k,
                        dst.as_mut_ptr(),
                        1,
                        p as isize,
                        false,
                        a.data.as_ptr().add(i * a.batch),
                        a.cs as isize,
                        a.rs as isize,
                        b.data.as_ptr().add(i * b.batch),
                        b.cs as isize,
                        b.rs as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    )
                }
            });
        }
        Ok((CpuStorage::F32(out), Shape::from((n, m, p))))
    }

    fn bwd(&self, a: &Tensor, b: &Tensor, _res: &Tensor, dc: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC (transposed views; no copies).
        let da = dc.apply_op2_no_bwd(&b.t()?, &Bmm)?;
        let db = a.t()?.apply_op2_no_bwd(dc, &Bmm)?;
        Ok((Some(da), Some(db)))
    }
}

/// Softmax over the last dimension of attention scores (…, S, T) under the causal mask: query row i
/// (of S, the last S of T positions) sees keys `j ≤ i + T − S`; masked weights are exactly 0.
pub fn causal_softmax(att: &Tensor) -> Result<Tensor> {
    if use_fused(att) {
        return att.contiguous()?.apply_op1(CausalSoftmax);
    }
    let (s, t) = last_two(att.shape())?;
    if s == 1 {
        // One new token sees every key: no mask.
        return softmax_last(att);
    }
    let off = t - s.min(t);
    let m: Vec<f32> = (0..s).flat_map(|i| (0..t).map(move |j| if j > i + off { f32::NEG_INFINITY } else { 0.0 })).collect();
    let mask = Tensor::from_vec(m, (s, t), att.device())?.to_dtype(att.dtype())?;
    softmax_last(&att.broadcast_add(&mask)?)
}

struct CausalSoftmax;

impl CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "causal-softmax"
    }

    fn cpu_fwd(&self, st: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(st, l, self.name())?;
        let (s, t) = last_two(l.shape())?;
        let off = t - s.min(t);
        let mut y = vec![0f32; x.len()];
        if t > 0 {
            for_rows(&mut y, t, |r, yr| softmax_prefix_row(row(x, r, t), (r % s.max(1) + off + 1).min(t), yr));
        }
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.apply_op2_no_bwd(&grad_res.contiguous()?, &SoftmaxGrad)?))
    }
}

/// Softmax of the first `n` entries of `xr` into `yr`; the rest of `yr` is set to 0 (masked keys).
pub(crate) fn softmax_prefix_row(xr: &[f32], n: usize, yr: &mut [f32]) {
    let max = xr[..n].iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for (o, &v) in yr[..n].iter_mut().zip(&xr[..n]) {
        *o = (v - max).exp();
        sum += *o;
    }
    let inv = 1.0 / sum;
    yr[..n].iter_mut().for_each(|o| *o *= inv);
    yr[n..].iter_mut().for_each(|o| *o = 0.0);
}

/// One row of the softmax gradient: dx = y ⊙ (dy − Σ dy ⊙ y).
pub(crate) fn softmax_grad_row(yr: &[f32], gr: &[f32], out: &mut [f32]) {
    let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
    for ((o, &a), &g) in out.iter_mut().zip(yr).zip(gr) {
        *o = a * (g - dot);
    }
}

/// dx = y ⊙ (dy − Σ dy ⊙ y), per row; zero where y is (masked positions).
struct SoftmaxGrad;

impl CustomOp2 for SoftmaxGrad {
    fn name(&self) -> &'static str {
        "softmax-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (y, dy) = pair(s1, l1, s2, l2, self.name())?;
        let t = l1.shape().dims().last().copied().unwrap_or(1).max(1);
        let mut dx = vec![0f32; y.len()];
        for_rows(&mut dx, t, |r, o| softmax_grad_row(row(y, r, t), row(dy, r, t), o));
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::fused::test_util::{max_diff, rand};
    use candle_core::Var;
    use candle_core::{DType, Device};

    /// The unfused reference: differentiable candle ops only.
    fn reference_softmax(att: &Tensor) -> Tensor {
        let (s, t) = last_two(att.shape()).unwrap();
        let off = t - s;
        let m: Vec<f32> = (0..s).flat_map(|i| (0..t).map(move |j| if j > i + off { f32::NEG_INFINITY } else { 0.0 })).collect();
        softmax_last(&att.broadcast_add(&Tensor::from_vec(m, (s, t), &Device::Cpu).unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn causal_softmax_matches_the_unfused_ops_forward_and_backward() {
        // S < T: a decoding chunk after cached keys; S == T: training.
        for (s, t) in [(5, 5), (3, 7), (1, 4)] {
            let x = Var::from_tensor(&rand(&[2, 3, s, t], 7)).unwrap();
            let probe = rand(&[2, 3, s, t], 8);
            let fused = causal_softmax(x.as_tensor()).unwrap();
            let reference = reference_softmax(x.as_tensor());
            assert!(max_diff(&fused, &reference) < 1e-6, "forward differs at S={s} T={t}");
            // The path other devices and dtypes take (F64 here).
            let via_ops = causal_softmax(&x.as_tensor().to_dtype(DType::F64).unwrap()).unwrap().to_dtype(DType::F32).unwrap();
            assert!(max_diff(&fused, &via_ops) < 1e-6, "fallback differs at S={s} T={t}");
            let masked = fused.narrow(2, 0, 1).unwrap().narrow(3, t - s + 1, s - 1).unwrap();
            assert_eq!(masked.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap(), 0.0, "a masked weight is not 0");
            let g1 = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
            let g2 = (reference * &probe).unwrap().sum_all().unwrap().backward().unwrap();
            let (g1, g2) = (g1.get(x.as_tensor()).unwrap(), g2.get(x.as_tensor()).unwrap());
            assert!(max_diff(g1, g2) < 1e-5, "gradient differs at S={s} T={t}: {}", max_diff(g1, g2));
            assert!(g1.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() > 1e-3, "gradient is zero");
        }
    }

    #[test]
    fn bmm_matches_matmul_forward_and_backward_with_transposed_operands() {
        let a = Var::from_tensor(&rand(&[6, 5, 4], 11)).unwrap();
        let b = Var::from_tensor(&rand(&[6, 7, 4], 12)).unwrap();
        let probe = rand(&[6, 5, 7], 13);
        let bt = b.as_tensor().t().unwrap();
        let fused = bmm(a.as_tensor(), &bt).unwrap();
        let reference = a.as_tensor().matmul(&bt).unwrap();
        assert!(max_diff(&fused, &reference) < 1e-5);
        let g1 = (fused * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (reference * &probe).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&a, &b] {
            let (x, y) = (g1.get(v.as_tensor()).unwrap(), g2.get(v.as_tensor()).unwrap());
            assert_eq!(x.dims(), v.as_tensor().dims());
            assert!(max_diff(x, y) < 1e-4, "gradient differs: {}", max_diff(x, y));
        }
        assert!(bmm(&rand(&[2, 3, 4], 1), &rand(&[3, 4, 2], 2)).is_err(), "batch mismatch accepted");
    }
}
