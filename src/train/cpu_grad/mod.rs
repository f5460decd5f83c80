//! The whole training pass written out for the CPU: forward, masked cross-entropy and backward of
//! the llama-style model in one go, with gradients written straight into their buffers.
//!
//! Candle's autograd is general: every op allocates its output, and backward gives every gradient a
//! zero tensor to add into, so each activation's gradient costs an allocation and two extra passes
//! over memory; transposes and reshapes are graph nodes with their own copies. Here a layer keeps
//! what its backward reads ([`block::Saved`]), the products run through `gemm` on strided views
//! ([`mat`]), attention runs one (batch row, head) per thread, the LM head sees only the supervised
//! rows, and the row kernels are those of [`super::fused`].
//!
//! [`loss_and_grads`] is what the trainer calls on CPU for full fine-tuning (no LoRA, no q/k/v bias);
//! other models and devices take candle's autograd ([`super::loss::batch_loss`]), which the tests
//! here use as the reference.
//!
//! | file | what it holds |
//! |---|---|
//! | `mat.rs` | strided matrix views, the product, linear layers forward and backward |
//! | `block.rs` | one decoder layer, forward (keeping activations) and backward |
//! | `head.rs` | final norm, LM head and masked cross-entropy, forward and backward |

mod block;
mod head;
mod mat;

use super::data::Batch;
use super::model::Model;
use block::{Dims, Rope, Weights};
use candle_core::{CpuStorage, Storage, Tensor, Var};
use head::Head;
use std::collections::{BTreeMap, HashMap};

/// Whether [`loss_and_grads`] handles this model: F32 on the CPU, every weight trainable, no biases.
pub fn supported(model: &Model) -> bool {
    model.device().is_cpu() && model.lora.is_none() && !model.cfg.attn_bias
}

/// The masked loss of `batch` (Σ target NLL / `denom`) and the gradient of every variable in
/// `vars`, in that order, as [`super::loss::batch_loss`] followed by backward would give them.
pub fn loss_and_grads(model: &Model, batch: &Batch, denom: f64, vars: &[(String, Var)]) -> candle_core::Result<(f32, Vec<Option<Tensor>>)> {
    if !supported(model) {
        candle_core::bail!("cpu_grad: this model needs candle's autograd (LoRA, q/k/v biases or a GPU)");
    }
    let cfg = &model.cfg;
    let (b, s) = (batch.batch, batch.seq);
    if s > cfg.max_seq {
        candle_core::bail!("sequence of {s} tokens exceeds max_seq {}", cfg.max_seq);
    }
    let names: Vec<(String, Vec<usize>)> = cfg.param_shapes();
    let guards = names
        .iter()
        .map(|(n, _)| model.base_var(n).map(|v| v.as_tensor().storage_and_layout()).ok_or_else(|| candle_core::Error::msg(format!("missing weight {n}"))))
        .collect::<candle_core::Result<Vec<_>>>()?;
    let mut w: HashMap<&str, &[f32]> = HashMap::new();
    for ((name, shape), (st, layout)) in names.iter().zip(&guards) {
        let (Storage::Cpu(CpuStorage::F32(data)), Some((lo, hi))) = (&**st, layout.contiguous_offsets()) else {
            candle_core::bail!("cpu_grad: weight {name} is not a contiguous f32 CPU tensor");
        };
        if hi - lo != shape.iter().product::<usize>() {
            candle_core::bail!("cpu_grad: weight {name} has {} elements, expected {shape:?}", hi - lo);
        }
        w.insert(name.as_str(), &data[lo..hi]);
    }
    let get = |n: &str| w.get(n).copied().ok_or_else(|| candle_core::Error::msg(format!("missing weight {n}")));

    let threads = rayon::current_num_threads();
    let dm = Dims { b, s, d: cfg.d_model, nh: cfg.n_heads, nkv: cfg.n_kv_heads, hd: cfg.head_dim(), ff: cfg.d_ff, eps: cfg.norm_eps as f32, threads };
    let (cos, sin) = model.rope_tables();
    let (cos, sin) = (cos.narrow(0, 0, s)?.flatten_all()?.to_vec1::<f32>()?, sin.narrow(0, 0, s)?.flatten_all()?.to_vec1::<f32>()?);
    let rope = Rope { cos: &cos, sin: &sin };
    let ids = batch.ids.flatten_all()?.to_vec1::<u32>()?;
    let rows = batch.rows.to_vec1::<u32>()?;
    let targets = batch.targets.to_vec1::<u32>()?;
    if ids.len() != dm.n() {
        candle_core::bail!("cpu_grad: {} token ids for a {b} × {s} batch", ids.len());
    }

    let d = dm.d;
    let embed = get("model.embed_tokens.weight")?;
    let mut x = vec![0f32; dm.n() * d];
    for (t, &id) in ids.iter().enumerate() {
        let id = id as usize;
        if id >= cfg.vocab {
            candle_core::bail!("token id {id} outside the vocabulary of {}", cfg.vocab);
        }
        x[t * d..(t + 1) * d].copy_from_slice(&embed[id * d..(id + 1) * d]);
    }
    let layer_w = (0..cfg.n_layers)
        .map(|i| {
            let n = cfg.layer_names(i);
            Ok(Weights {
                attn_norm: get(&n.attn_norm)?,
                q: get(&n.q)?,
                k: get(&n.k)?,
                v: get(&n.v)?,
                o: get(&n.o)?,
                mlp_norm: get(&n.mlp_norm)?,
                gate: n.gate.as_deref().map(get).transpose()?,
                up: get(&n.up)?,
                down: get(&n.down)?,
            })
        })
        .collect::<candle_core::Result<Vec<_>>>()?;

    let mut saved = Vec::with_capacity(cfg.n_layers);
    for lw in &layer_w {
        let (out, sv) = block::forward(&dm, lw, &rope, x)?;
        saved.push(sv);
        x = out;
    }
    let head_name = if cfg.tie_embeddings { "model.embed_tokens.weight" } else { "lm_head.weight" };
    let head = Head { norm: get("model.norm.weight")?, w: get(head_name)?, vocab: cfg.vocab, eps: dm.eps };
    let hg = head::loss_and_back(&x, d, &head, &rows, &targets, denom as f32, threads)?;
    drop(x);

    let mut grads: BTreeMap<String, Vec<f32>> = BTreeMap::new();
    grads.insert("model.norm.weight".into(), hg.norm);
    let mut dx = hg.dx;
    for (i, (lw, sv)) in layer_w.iter().zip(&saved).enumerate().rev() {
        let (dprev, g) = block::backward(&dm, lw, &rope, sv, dx)?;
        dx = dprev;
        let n = cfg.layer_names(i);
        grads.extend([(n.attn_norm, g.attn_norm), (n.q, g.q), (n.k, g.k), (n.v, g.v), (n.o, g.o), (n.mlp_norm, g.mlp_norm), (n.up, g.up), (n.down, g.down)]);
        grads.extend(n.gate.zip(g.gate));
    }
    // The embedding: each position's gradient goes back to its token's row (plus the head's when tied).
    let mut demb = if cfg.tie_embeddings {
        hg.w
    } else {
        grads.insert("lm_head.weight".into(), hg.w);
        vec![0f32; cfg.vocab * d]
    };
    for (t, &id) in ids.iter().enumerate() {
        let row = &mut demb[id as usize * d..(id as usize + 1) * d];
        row.iter_mut().zip(&dx[t * d..(t + 1) * d]).for_each(|(a, b)| *a += b);
    }
    grads.insert("model.embed_tokens.weight".into(), demb);
    drop(guards);

    let dev = model.device();
    let shapes: HashMap<&str, &Vec<usize>> = names.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let out = vars
        .iter()
        .map(|(name, _)| match (grads.remove(name), shapes.get(name.as_str())) {
            (Some(g), Some(shape)) => Tensor::from_vec(g, shape.as_slice(), dev).map(Some),
            _ => Ok(None),
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Ok((hg.loss, out))
}

#[cfg(test)]
mod tests;
