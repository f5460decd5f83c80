//! Fused CPU kernels, with hand-written backward passes, for the hot spots of training outside the
//! linear layers: the causally masked softmax over attention scores, RMSNorm, rotary embeddings, SiLU,
//! and attention's batched matrix products.
//!
//! Written out with differentiable candle ops (the fallback, and the path on other devices), a masked
//! softmax is six passes over the (B, H, S, T) scores forward and about as many backward, each
//! allocating a fresh T² tensor; RMSNorm is six passes forward. Each fused op is one pass forward and
//! one backward. Candle's own fused kernels (`candle_nn::ops::softmax_last_dim`, `rms_norm`) have no
//! backward (FACTS.md), so these define theirs: `bwd` returns the input gradients, computed by
//! gradient-free custom ops.
//!
//! Candle multiplies a batch of small matrices one after the other, each split across threads: with
//! attention's (B·heads) products of (S × head_dim)·(head_dim × T) that spends the time in thread
//! barriers. [`bmm`] runs the batch across threads instead, one single-threaded gemm each.

use super::model::{rms_norm_ops, softmax_last};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Result, Shape, Tensor, D};
use rayon::prelude::*;

/// Below this many output elements an op runs on the calling thread: handing a decoding step's tiny
/// tensors to rayon's pool costs more than the work.
const PAR_MIN: usize = 1 << 14;

/// Fill `out` row by row (`width` elements each, `f(row index, row)`), across rayon's threads when
/// the work is large enough and there is more than one.
fn for_rows<F: Fn(usize, &mut [f32]) + Sync + Send>(out: &mut [f32], width: usize, f: F) {
    if width == 0 {
        return;
    }
    if out.len() >= PAR_MIN && rayon::current_num_threads() > 1 {
        let min_rows = (PAR_MIN / 4 / width).max(1);
        out.par_chunks_mut(width).enumerate().with_min_len(min_rows).for_each(|(r, row)| f(r, row));
    } else {
        out.chunks_mut(width).enumerate().for_each(|(r, row)| f(r, row));
    }
}

fn row(x: &[f32], r: usize, width: usize) -> &[f32] {
    &x[r * width..(r + 1) * width]
}

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("{op}: f32 tensor expected");
    };
    let Some((a, b)) = l.contiguous_offsets() else {
        candle_core::bail!("{op}: contiguous tensor expected");
    };
    Ok(&v[a..b])
}

fn last_two(shape: &Shape) -> Result<(usize, usize)> {
    let d = shape.dims();
    if d.len() < 2 {
        candle_core::bail!("causal-softmax: (…, S, T) expected, got {d:?}");
    }
    Ok((d[d.len() - 2], d[d.len() - 1]))
}

fn use_fused(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}

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

impl CustomOp1 for Silu {
    fn name(&self) -> &'static str {
        "silu"
    }

    fn cpu_fwd(&self, st: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(st, l, self.name())?;
        let mut y = vec![0f32; x.len()];
        for_rows(&mut y, 1024, |r, yr| {
            for (o, &v) in yr.iter_mut().zip(&x[r * 1024..]) {
                *o = v * sigmoid(v);
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
        let x = f32_slice(s1, l1, self.name())?;
        let dy = f32_slice(s2, l2, self.name())?;
        if x.len() != dy.len() {
            candle_core::bail!("silu-grad: size mismatch");
        }
        let mut dx = vec![0f32; x.len()];
        for_rows(&mut dx, 1024, |r, o| {
            for ((o, &v), &g) in o.iter_mut().zip(&x[r * 1024..]).zip(&dy[r * 1024..]) {
                let sg = sigmoid(v);
                *o = g * sg * (1.0 + v * (1.0 - sg));
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
        let h = hd / 2;
        let sign = if self.grad { -1.0 } else { 1.0 };
        let mut y = vec![0f32; x.len()];
        if hd > 0 {
            for_rows(&mut y, hd, |r, yr| {
                let xr = row(x, r, hd);
                let p = (r % s.max(1)) * hd;
                let (c, sn) = (&cos[p..p + hd], &sin[p..p + hd]);
                for i in 0..h {
                    let (a, b) = (xr[i], xr[i + h]);
                    // forward: [a·c₁ − b·s₁, b·c₂ + a·s₂]; backward: [a·c₁ + b·s₂, b·c₂ − a·s₁].
                    let (s_first, s_second) = if self.grad { (sn[i + h], sn[i]) } else { (sn[i], sn[i + h]) };
                    yr[i] = a * c[i] - sign * b * s_first;
                    yr[i + h] = b * c[i + h] + sign * a * s_second;
                }
            });
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, cos: &Tensor, sin: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dx = dy.contiguous()?.apply_op3_no_bwd(cos, sin, &Rope { grad: true })?;
        Ok((Some(dx), None, None))
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
            for_rows(&mut y, t, |r, yr| {
                let xr = row(x, r, t);
                let n = (r % s.max(1) + off + 1).min(t);
                let max = xr[..n].iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0f32;
                for (o, &v) in yr[..n].iter_mut().zip(&xr[..n]) {
                    *o = (v - max).exp();
                    sum += *o;
                }
                let inv = 1.0 / sum;
                yr[..n].iter_mut().for_each(|o| *o *= inv);
            });
        }
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.apply_op2_no_bwd(&grad_res.contiguous()?, &SoftmaxGrad)?))
    }
}

/// dx = y ⊙ (dy − Σ dy ⊙ y), per row; zero where y is (masked positions).
struct SoftmaxGrad;

impl CustomOp2 for SoftmaxGrad {
    fn name(&self) -> &'static str {
        "softmax-grad"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let y = f32_slice(s1, l1, self.name())?;
        let dy = f32_slice(s2, l2, self.name())?;
        if y.len() != dy.len() {
            candle_core::bail!("softmax-grad: size mismatch");
        }
        let t = l1.shape().dims().last().copied().unwrap_or(1).max(1);
        let mut dx = vec![0f32; y.len()];
        for_rows(&mut dx, t, |r, o| {
            let (yr, gr) = (row(y, r, t), row(dy, r, t));
            let dot: f32 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
            for ((o, &a), &g) in o.iter_mut().zip(yr).zip(gr) {
                *o = a * (g - dot);
            }
        });
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

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

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_slice(s1, l1, self.name())?;
        let w = f32_slice(s2, l2, self.name())?;
        let d = w.len().max(1);
        let mut y = vec![0f32; x.len()];
        for_rows(&mut y, d, |r, yr| {
            let xr = row(x, r, d);
            let r = inv_rms(xr, self.eps);
            for ((o, &v), &g) in yr.iter_mut().zip(xr).zip(w) {
                *o = v * r * g;
            }
        });
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
        for_rows(&mut dx, d, |r, o| {
            let (xr, gr) = (row(x, r, d), row(dy, r, d));
            let r = inv_rms(xr, self.0.eps);
            let dot = xr.iter().zip(gr).zip(w).map(|((a, g), w)| a * g * w).sum::<f32>() / d as f32;
            let c = r * r * r * dot;
            for (((o, &a), &g), &wv) in o.iter_mut().zip(xr).zip(gr).zip(w) {
                *o = r * g * wv - a * c;
            }
        });
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
        let x = f32_slice(s1, l1, self.name())?;
        let dy = f32_slice(s2, l2, self.name())?;
        let d = l1.shape().dims().last().copied().unwrap_or(1).max(1);
        let mut dw = vec![0f32; d];
        for (xr, gr) in x.chunks(d).zip(dy.chunks(d)) {
            let r = inv_rms(xr, self.0.eps);
            for ((o, &a), &g) in dw.iter_mut().zip(xr).zip(gr) {
                *o += g * a * r;
            }
        }
        Ok((CpuStorage::F32(dw), Shape::from(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn rand(shape: &[usize], seed: u64) -> Tensor {
        let mut rng = super::super::rng::Rng::new(seed);
        let n = shape.iter().product();
        Tensor::from_vec(rng.normal_vec(n, 1.0), shape, &Device::Cpu).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

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
