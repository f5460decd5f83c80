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
//!
//! One file per kind: `attention` (the batched products and the causal softmax), `norm`
//! (RMSNorm), `pointwise` (SiLU and the rotary embedding). Each kernel is tested against the unfused
//! candle ops, forward and gradient.

mod attention;
mod norm;
mod pointwise;

pub use attention::{bmm, causal_softmax};
pub use norm::rms_norm;
pub use pointwise::{rope, silu};

// Row kernels, shared with the hand-written training pass (`super::cpu_grad`).
pub(crate) use attention::{softmax_grad_row, softmax_prefix_row};
pub(crate) use norm::{rms_norm_grad_w_add, rms_norm_grad_x_add, rms_norm_row};
pub(crate) use pointwise::{rope_row, silu_grad_value, silu_value};

use candle_core::{CpuStorage, DType, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// Below this many output elements an op runs on the calling thread: handing a decoding step's tiny
/// tensors to rayon's pool costs more than the work.
const PAR_MIN: usize = 1 << 14;

/// Fill `out` row by row (`width` elements each, `f(row index, row)`), across rayon's threads when
/// the work is large enough and there is more than one.
pub(crate) fn for_rows<F: Fn(usize, &mut [f32]) + Sync + Send>(out: &mut [f32], width: usize, f: F) {
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

pub(crate) fn row(x: &[f32], r: usize, width: usize) -> &[f32] {
    &x[r * width..(r + 1) * width]
}

pub(crate) fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("{op}: f32 tensor expected");
    };
    let Some((a, b)) = l.contiguous_offsets() else {
        candle_core::bail!("{op}: contiguous tensor expected");
    };
    Ok(&v[a..b])
}

pub(crate) fn last_two(shape: &Shape) -> Result<(usize, usize)> {
    let d = shape.dims();
    if d.len() < 2 {
        candle_core::bail!("fused kernel: a tensor of rank ≥ 2 expected, got {d:?}");
    }
    Ok((d[d.len() - 2], d[d.len() - 1]))
}

pub(crate) fn use_fused(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}

/// Two f32 operands of one length (a value and its gradient).
pub(crate) fn pair<'a>(s1: &'a CpuStorage, l1: &Layout, s2: &'a CpuStorage, l2: &Layout, op: &str) -> Result<(&'a [f32], &'a [f32])> {
    let (a, b) = (f32_slice(s1, l1, op)?, f32_slice(s2, l2, op)?);
    if a.len() != b.len() {
        candle_core::bail!("{op}: size mismatch ({} vs {})", a.len(), b.len());
    }
    Ok((a, b))
}

#[cfg(test)]
pub(crate) mod test_util {
    use candle_core::{Device, Tensor};

    pub fn rand(shape: &[usize], seed: u64) -> Tensor {
        let mut rng = crate::train::rng::Rng::new(seed);
        let n = shape.iter().product();
        Tensor::from_vec(rng.normal_vec(n, 1.0), shape, &Device::Cpu).unwrap()
    }

    pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }
}
