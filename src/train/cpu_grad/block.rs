//! One decoder layer: the forward pass keeping what the backward pass needs, and the backward pass
//! written out (pre-norm attention with RoPE and grouped-query heads, then the plain or gated MLP).
//!
//! Activations are row-major (tokens × features); a head's queries are the `hd` columns at
//! `h·hd` of the (N × heads·hd) projection, so attention reads them through strided views and
//! nothing is transposed or copied.

use super::mat::{linear, linear_back, matmul, par, Shared, View};
use crate::train::fused::{
    for_rows, rms_norm_grad_w_add, rms_norm_grad_x_add, rms_norm_row, rope_row, silu_grad_value, silu_value, softmax_grad_row, softmax_prefix_row,
};
use candle_core::Result;
use rayon::prelude::*;

/// Sizes of one pass.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dims {
    pub b: usize,
    pub s: usize,
    pub d: usize,
    pub nh: usize,
    pub nkv: usize,
    pub hd: usize,
    pub ff: usize,
    pub eps: f32,
    pub threads: usize,
}

impl Dims {
    pub fn n(&self) -> usize {
        self.b * self.s
    }
    fn qd(&self) -> usize {
        self.nh * self.hd
    }
    fn kvd(&self) -> usize {
        self.nkv * self.hd
    }
    /// Head `h` of batch row `b` in a (N × heads·hd) buffer of `heads` heads.
    fn head(&self, b: usize, h: usize, heads: usize) -> View {
        View::block(b * self.s * heads * self.hd + h * self.hd, self.s, self.hd, heads * self.hd)
    }
}

/// A layer's weights, row-major (out × in) for the projections.
pub(super) struct Weights<'a> {
    pub attn_norm: &'a [f32],
    pub q: &'a [f32],
    pub k: &'a [f32],
    pub v: &'a [f32],
    pub o: &'a [f32],
    pub mlp_norm: &'a [f32],
    pub gate: Option<&'a [f32]>,
    pub up: &'a [f32],
    pub down: &'a [f32],
}

/// Gradients, in the same layout.
#[derive(Default)]
pub(super) struct Grads {
    pub attn_norm: Vec<f32>,
    pub q: Vec<f32>,
    pub k: Vec<f32>,
    pub v: Vec<f32>,
    pub o: Vec<f32>,
    pub mlp_norm: Vec<f32>,
    pub gate: Option<Vec<f32>>,
    pub up: Vec<f32>,
    pub down: Vec<f32>,
}

/// RoPE tables for positions 0..S, (S × hd) each.
pub(super) struct Rope<'a> {
    pub cos: &'a [f32],
    pub sin: &'a [f32],
}

/// What the backward pass reads: the layer input, normed inputs, roped queries and keys, values,
/// attention weights, attention output, the residual after attention, and the MLP's activations.
pub(super) struct Saved {
    x: Vec<f32>,
    h1: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    p: Vec<f32>,
    o: Vec<f32>,
    x2: Vec<f32>,
    h2: Vec<f32>,
    g: Option<Vec<f32>>,
    u: Vec<f32>,
    a: Vec<f32>,
}

fn norm(x: &[f32], w: &[f32], eps: f32) -> Vec<f32> {
    let mut y = vec![0f32; x.len()];
    let d = w.len();
    for_rows(&mut y, d, |r, yr| rms_norm_row(&x[r * d..(r + 1) * d], w, eps, yr));
    y
}

/// Adds the norm's input gradient into `dx` and returns its weight gradient.
fn norm_back(x: &[f32], w: &[f32], dy: &[f32], eps: f32, dx: &mut [f32]) -> Vec<f32> {
    let d = w.len();
    for_rows(dx, d, |r, o| rms_norm_grad_x_add(&x[r * d..(r + 1) * d], &dy[r * d..(r + 1) * d], w, eps, o));
    let mut dw = vec![0f32; d];
    for (xr, gr) in x.chunks(d).zip(dy.chunks(d)) {
        rms_norm_grad_w_add(xr, gr, eps, &mut dw);
    }
    dw
}

/// Rotate every head row of a (N × heads·hd) buffer (position = token index within its sequence).
fn rope_all(buf: &mut [f32], dm: &Dims, heads: usize, rope: &Rope, grad: bool) {
    let hd = dm.hd;
    for_rows(buf, hd, |r, row| {
        let pos = (r / heads) % dm.s;
        rope_row(row, &rope.cos[pos * hd..(pos + 1) * hd], &rope.sin[pos * hd..(pos + 1) * hd], grad);
    });
}

/// Attention runs in blocks of this many query rows, each against the keys up to its last row:
/// under the causal mask the other scores are never computed.
pub(super) const BLOCK: usize = 64;

/// (first row, rows) of each block of `s` query rows.
fn row_blocks(s: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..s).step_by(BLOCK).map(move |r0| (r0, BLOCK.min(s - r0)))
}

/// Run `f(unit)` for every unit, across rayon's threads when there is more than one.
fn each_unit(units: usize, threads: usize, f: impl Fn(usize) -> Result<()> + Sync + Send) -> Result<()> {
    if threads > 1 {
        (0..units).into_par_iter().try_for_each(f)
    } else {
        (0..units).try_for_each(f)
    }
}

pub(super) fn forward(dm: &Dims, w: &Weights, rope: &Rope, x: Vec<f32>) -> Result<(Vec<f32>, Saved)> {
    let (n, d, s, hd, t) = (dm.n(), dm.d, dm.s, dm.hd, dm.threads);
    let (qd, kvd, group) = (dm.qd(), dm.kvd(), dm.nh / dm.nkv);
    let h1 = norm(&x, w.attn_norm, dm.eps);
    let mut q = linear(&h1, n, d, w.q, qd, t)?;
    let mut k = linear(&h1, n, d, w.k, kvd, t)?;
    let v = linear(&h1, n, d, w.v, kvd, t)?;
    rope_all(&mut q, dm, dm.nh, rope, false);
    rope_all(&mut k, dm, dm.nkv, rope, false);

    // Attention, one (batch row, head) per unit: scores → causal softmax (kept) → weights·values.
    let scale = 1.0 / (hd as f32).sqrt();
    let mut p = vec![0f32; dm.b * dm.nh * s * s];
    let mut o = vec![0f32; n * qd];
    let (ps, os) = (Shared::new(&mut p), Shared::new(&mut o));
    each_unit(dm.b * dm.nh, t, |unit| {
        let (b, h) = (unit / dm.nh, unit % dm.nh);
        let (qh, kh) = (dm.head(b, h, dm.nh), dm.head(b, h / group, dm.nkv));
        let mut scores = vec![0f32; BLOCK * s];
        // SAFETY: unit (b, h) alone writes its (S × S) block of `p` and its head block of `o`; both
        // buffers outlive `each_unit`.
        let pb = unsafe { ps.slice_mut(unit * s * s, s * s)? };
        for (r0, m) in row_blocks(s) {
            // Query rows r0..r1 see keys 0..r1 only: the rest of their scores is never computed.
            let r1 = r0 + m;
            matmul(&mut scores, View::dense(m, r1), &q, qh.rows(r0, m), &k, kh.rows(0, r1).t(), false, scale, par(1))?;
            for i in 0..m {
                let at = (r0 + i) * s;
                softmax_prefix_row(&scores[i * r1..(i + 1) * r1], r0 + i + 1, &mut pb[at..at + r1]);
                pb[at + r1..at + s].iter_mut().for_each(|x| *x = 0.0);
            }
            unsafe { os.matmul_into(qh.rows(r0, m), pb, View::block(r0 * s, m, r1, s), &v, kh.rows(0, r1), false, 1.0)? };
        }
        Ok(())
    })?;

    let mut x2 = linear(&o, n, qd, w.o, d, t)?;
    x2.iter_mut().zip(&x).for_each(|(a, b)| *a += b);
    let h2 = norm(&x2, w.mlp_norm, dm.eps);
    let u = linear(&h2, n, d, w.up, dm.ff, t)?;
    let g = w.gate.map(|wg| linear(&h2, n, d, wg, dm.ff, t)).transpose()?;
    let mut a = u.clone();
    let ff = dm.ff;
    match &g {
        // a = silu(g) ⊙ u
        Some(g) => for_rows(&mut a, ff, |r, row| row.iter_mut().zip(&g[r * ff..(r + 1) * ff]).for_each(|(a, &gv)| *a *= silu_value(gv))),
        None => for_rows(&mut a, ff, |_, row| row.iter_mut().for_each(|a| *a = silu_value(*a))),
    }
    let mut out = linear(&a, n, ff, w.down, d, t)?;
    out.iter_mut().zip(&x2).for_each(|(a, b)| *a += b);
    Ok((out, Saved { x, h1, q, k, v, p, o, x2, h2, g, u, a }))
}

/// Given dL/d(output), returns dL/d(input) and the weight gradients.
pub(super) fn backward(dm: &Dims, w: &Weights, rope: &Rope, sv: &Saved, dout: Vec<f32>) -> Result<(Vec<f32>, Grads)> {
    let (n, d, s, t, ff) = (dm.n(), dm.d, dm.s, dm.threads, dm.ff);
    let (qd, kvd, group) = (dm.qd(), dm.kvd(), dm.nh / dm.nkv);
    let mut gr = Grads::default();

    // MLP: out = x2 + down(a).
    let mut da = vec![0f32; n * ff];
    gr.down = linear_back(&dout, &sv.a, n, ff, w.down, d, &mut da, false, t)?;
    let mut dh2 = vec![0f32; n * d];
    match (&sv.g, w.gate) {
        (Some(g), Some(wg)) => {
            // a = silu(g) ⊙ u: du = da ⊙ silu(g), dg = silu'(g) · (da ⊙ u).
            let mut du = da.clone();
            for_rows(&mut du, ff, |r, row| row.iter_mut().zip(&g[r * ff..(r + 1) * ff]).for_each(|(x, &gv)| *x *= silu_value(gv)));
            let mut dg = da;
            for_rows(&mut dg, ff, |r, row| {
                let (gs, us) = (&g[r * ff..(r + 1) * ff], &sv.u[r * ff..(r + 1) * ff]);
                for ((x, &gv), &uv) in row.iter_mut().zip(gs).zip(us) {
                    *x = silu_grad_value(gv, *x * uv);
                }
            });
            gr.up = linear_back(&du, &sv.h2, n, d, w.up, ff, &mut dh2, false, t)?;
            gr.gate = Some(linear_back(&dg, &sv.h2, n, d, wg, ff, &mut dh2, true, t)?);
        }
        (None, None) => {
            let mut du = da;
            for_rows(&mut du, ff, |r, row| row.iter_mut().zip(&sv.u[r * ff..(r + 1) * ff]).for_each(|(x, &uv)| *x = silu_grad_value(uv, *x)));
            gr.up = linear_back(&du, &sv.h2, n, d, w.up, ff, &mut dh2, false, t)?;
        }
        _ => candle_core::bail!("cpu_grad: a gate weight without saved gate activations, or the reverse"),
    }
    let mut dx2 = dout;
    gr.mlp_norm = norm_back(&sv.x2, w.mlp_norm, &dh2, dm.eps, &mut dx2);

    // Attention: x2 = x + o_proj(attention(rope(q), rope(k), v)).
    let mut d_o = vec![0f32; n * qd];
    gr.o = linear_back(&dx2, &sv.o, n, qd, w.o, d, &mut d_o, false, t)?;
    let scale = 1.0 / (dm.hd as f32).sqrt();
    let (mut dq, mut dk, mut dv) = (vec![0f32; n * qd], vec![0f32; n * kvd], vec![0f32; n * kvd]);
    let (dqs, dks, dvs) = (Shared::new(&mut dq), Shared::new(&mut dk), Shared::new(&mut dv));
    // One (batch row, key/value head) per unit, its query heads in turn: the heads of a group add
    // into the same dK, dV blocks.
    each_unit(dm.b * dm.nkv, t, |unit| {
        let (b, g) = (unit / dm.nkv, unit % dm.nkv);
        let kb = dm.head(b, g, dm.nkv);
        let (mut dp, mut ds) = (vec![0f32; BLOCK * s], vec![0f32; BLOCK * s]);
        for h in g * group..(g + 1) * group {
            let qb = dm.head(b, h, dm.nh);
            let pb = &sv.p[(b * dm.nh + h) * s * s..(b * dm.nh + h + 1) * s * s];
            for (r0, m) in row_blocks(s) {
                let r1 = r0 + m;
                let (blk, pv) = (View::dense(m, r1), View::block(r0 * s, m, r1, s));
                matmul(&mut dp, blk, &d_o, qb.rows(r0, m), &sv.v, kb.rows(0, r1).t(), false, 1.0, par(1))?;
                for i in 0..m {
                    let at = (r0 + i) * s;
                    softmax_grad_row(&pb[at..at + r1], &dp[i * r1..(i + 1) * r1], &mut ds[i * r1..(i + 1) * r1]);
                }
                // SAFETY: unit (b, g) alone writes the blocks of heads g·group..(g+1)·group of `dq`
                // and head g of `dk` and `dv` for batch row b; the buffers outlive `each_unit`.
                unsafe {
                    dvs.matmul_into(kb.rows(0, r1), pb, pv.t(), &d_o, qb.rows(r0, m), true, 1.0)?;
                    dqs.matmul_into(qb.rows(r0, m), &ds, blk, &sv.k, kb.rows(0, r1), false, scale)?;
                    dks.matmul_into(kb.rows(0, r1), &ds, blk.t(), &sv.q, qb.rows(r0, m), true, scale)?;
                }
            }
        }
        Ok(())
    })?;
    rope_all(&mut dq, dm, dm.nh, rope, true);
    rope_all(&mut dk, dm, dm.nkv, rope, true);
    let mut dh1 = vec![0f32; n * d];
    gr.q = linear_back(&dq, &sv.h1, n, d, w.q, qd, &mut dh1, false, t)?;
    gr.k = linear_back(&dk, &sv.h1, n, d, w.k, kvd, &mut dh1, true, t)?;
    gr.v = linear_back(&dv, &sv.h1, n, d, w.v, kvd, &mut dh1, true, t)?;
    let mut dx = dx2;
    gr.attn_norm = norm_back(&sv.x, w.attn_norm, &dh1, dm.eps, &mut dx);
    Ok((dx, gr))
}
