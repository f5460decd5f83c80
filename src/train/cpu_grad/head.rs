//! The end of the pass: final RMSNorm and LM head on the supervised rows only, the masked
//! cross-entropy, and their backward.

use super::mat::{linear, linear_back};
use crate::train::fused::{for_rows, rms_norm_grad_w_add, rms_norm_grad_x_add, rms_norm_row};
use candle_core::Result;
use rayon::prelude::*;

pub(super) struct Head<'a> {
    pub norm: &'a [f32],
    /// (vocab × d)
    pub w: &'a [f32],
    pub vocab: usize,
    pub eps: f32,
}

pub(super) struct HeadGrads {
    /// Σ target NLL / denom.
    pub loss: f32,
    /// Into the last layer's output (N × d).
    pub dx: Vec<f32>,
    pub norm: Vec<f32>,
    pub w: Vec<f32>,
}

/// Turn one row of logits into its gradient, `(softmax − onehot(target)) / denom`, and return the
/// row's NLL.
fn softmax_xent_row(row: &mut [f32], target: usize, denom: f32) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
    let lse = max + sum.ln();
    let nll = lse - row[target];
    for v in row.iter_mut() {
        *v = (*v - lse).exp() / denom;
    }
    row[target] -= 1.0 / denom;
    nll
}

/// `x` (N × d) is the last layer's output; `rows` index its supervised rows, `targets` their next
/// tokens.
pub(super) fn loss_and_back(x: &[f32], d: usize, head: &Head, rows: &[u32], targets: &[u32], denom: f32, threads: usize) -> Result<HeadGrads> {
    let (r, v) = (rows.len(), head.vocab);
    if targets.len() != r {
        candle_core::bail!("cpu_grad: {r} rows but {} targets", targets.len());
    }
    let n = x.len() / d.max(1);
    if let Some(&bad) = rows.iter().find(|&&i| i as usize >= n) {
        candle_core::bail!("cpu_grad: row {bad} outside the batch's {n} positions");
    }
    if let Some(&bad) = targets.iter().find(|&&t| t as usize >= v) {
        candle_core::bail!("cpu_grad: target token {bad} outside the vocabulary of {v}");
    }
    let xrow = |i: usize| &x[rows[i] as usize * d..(rows[i] as usize + 1) * d];
    let mut hs = vec![0f32; r * d];
    for_rows(&mut hs, d, |i, o| rms_norm_row(xrow(i), head.norm, head.eps, o));
    let mut logits = linear(&hs, r, d, head.w, v, threads)?;
    let mut nll = vec![0f32; r];
    let body = |(i, (row, l)): (usize, (&mut [f32], &mut f32))| *l = softmax_xent_row(row, targets[i] as usize, denom);
    if threads > 1 {
        logits.par_chunks_mut(v).zip(nll.par_iter_mut()).enumerate().for_each(body);
    } else {
        logits.chunks_mut(v).zip(nll.iter_mut()).enumerate().for_each(body);
    }
    let loss = (nll.iter().map(|&l| l as f64).sum::<f64>() / denom as f64) as f32;
    let mut dhs = vec![0f32; r * d];
    let dw = linear_back(&logits, &hs, r, d, head.w, v, &mut dhs, false, threads)?;
    let mut dx = vec![0f32; x.len()];
    let mut dnorm = vec![0f32; d];
    for i in 0..r {
        let at = rows[i] as usize * d;
        let g = &dhs[i * d..(i + 1) * d];
        rms_norm_grad_x_add(xrow(i), g, head.norm, head.eps, &mut dx[at..at + d]);
        rms_norm_grad_w_add(xrow(i), g, head.eps, &mut dnorm);
    }
    Ok(HeadGrads { loss, dx, norm: dnorm, w: dw })
}
