//! The training model: a llama-style decoder whose forward runs over all positions and records a
//! gradient for every weight. Candle's fused kernels silently drop gradients (see FACTS.md): RMSNorm,
//! RoPE, SiLU, the causal softmax and attention's batched products run as our own fused ops with
//! hand-written backward passes on CPU ([`super::fused`]), as differentiable candle ops elsewhere.

use super::config::Config;
use super::fused::{bmm, causal_softmax, rms_norm, rope, silu};
use super::lora::{Adapter, Linear, LoraConfig};
use super::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var, D};
use std::collections::BTreeMap;

/// Per-layer key/value cache for incremental decoding: (B, kv_heads, T, head_dim) each.
#[derive(Debug, Default, Clone)]
pub struct KvCache {
    pub layers: Vec<Option<(Tensor, Tensor)>>,
}

impl KvCache {
    pub fn len(&self) -> usize {
        match self.layers.first() {
            Some(Some((k, _))) => k.dim(2).unwrap_or(0),
            _ => 0,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Layer {
    attn_norm: Tensor,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    mlp_norm: Tensor,
    gate: Option<Linear>,
    up: Linear,
    down: Linear,
}

/// Weights live in [`Var`]s (named as in Hugging Face llama checkpoints). In full fine-tuning every weight
/// is trainable; with LoRA the base weights are detached (no gradient is computed for them) and only the
/// adapters train.
pub struct Model {
    pub cfg: Config,
    pub lora: Option<LoraConfig>,
    base: BTreeMap<String, Var>,
    adapters: BTreeMap<String, Var>,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    head: Tensor,
    cos: Tensor,
    sin: Tensor,
    device: Device,
}

impl Model {
    /// Fresh weights: N(0, 0.02) for matrices, ones for norms (the PyTorch baseline's init).
    pub fn init(cfg: &Config, seed: u64, dev: &Device) -> Result<Model> {
        cfg.validate().map_err(candle_core::Error::msg)?;
        let mut rng = Rng::new(seed);
        let mut w = BTreeMap::new();
        for (name, shape) in cfg.param_shapes() {
            let n: usize = shape.iter().product();
            let t = if name.ends_with(".bias") {
                Tensor::zeros(shape, DType::F32, dev)?
            } else if shape.len() == 1 {
                Tensor::ones(shape, DType::F32, dev)?
            } else {
                Tensor::from_vec(rng.normal_vec(n, 0.02), shape, dev)?
            };
            w.insert(name, t);
        }
        Model::from_weights(cfg, w, None, dev)
    }

    /// Build from named tensors (all of [`Config::param_shapes`], plus optional `lora.*` adapter tensors).
    pub fn from_weights(cfg: &Config, mut w: BTreeMap<String, Tensor>, lora: Option<LoraConfig>, dev: &Device) -> Result<Model> {
        cfg.validate().map_err(candle_core::Error::msg)?;
        let mut base = BTreeMap::new();
        for (name, shape) in cfg.param_shapes() {
            let t = w.remove(&name).ok_or_else(|| candle_core::Error::msg(format!("missing weight {name}")))?;
            if t.dims() != shape.as_slice() {
                candle_core::bail!("weight {name} has shape {:?}, expected {shape:?}", t.dims());
            }
            let t = t.to_dtype(DType::F32)?.to_device(dev)?;
            base.insert(name, Var::from_tensor(&t)?);
        }
        let mut rng = Rng::new(0x10_4A);
        let mut adapters = BTreeMap::new();
        if let Some(l) = &lora {
            if l.rank == 0 {
                candle_core::bail!("LoRA rank must be positive");
            }
            for (name, v) in &base {
                if !l.applies_to(name) {
                    continue;
                }
                let (out_dim, in_dim) = v.dims2()?;
                let (a_name, b_name) = (format!("lora.{name}.a"), format!("lora.{name}.b"));
                let fresh = Adapter::init(out_dim, in_dim, l, &mut rng, dev)?;
                let a = match w.remove(&a_name) {
                    Some(t) => Var::from_tensor(&t.to_dtype(DType::F32)?.to_device(dev)?)?,
                    None => fresh.a,
                };
                let b = match w.remove(&b_name) {
                    Some(t) => Var::from_tensor(&t.to_dtype(DType::F32)?.to_device(dev)?)?,
                    None => fresh.b,
                };
                adapters.insert(a_name, a);
                adapters.insert(b_name, b);
            }
        }
        // A bias left over has no place in this configuration (`attn_bias` off, or an MLP bias):
        // refuse, rather than run without it and produce wrong logits.
        if let Some(name) = w.keys().find(|n| n.ends_with(".bias")) {
            candle_core::bail!("weight {name} has no place in this model (only q/k/v biases are supported, with attn_bias / Qwen2)");
        }
        Model::assemble(cfg.clone(), lora, base, adapters, dev)
    }

    fn assemble(cfg: Config, lora: Option<LoraConfig>, base: BTreeMap<String, Var>, adapters: BTreeMap<String, Var>, dev: &Device) -> Result<Model> {
        let frozen = lora.is_some();
        let get = |n: &str| -> Result<Tensor> {
            let v = base.get(n).ok_or_else(|| candle_core::Error::msg(format!("missing weight {n}")))?;
            Ok(if frozen { v.as_tensor().detach() } else { v.as_tensor().clone() })
        };
        let lin = |n: &str| -> Result<Linear> {
            let adapter = match (adapters.get(&format!("lora.{n}.a")), adapters.get(&format!("lora.{n}.b"))) {
                (Some(a), Some(b)) => Some(Adapter { a: a.clone(), b: b.clone(), scale: lora.as_ref().map_or(1.0, |l| l.scale()) }),
                _ => None,
            };
            let bias = n.strip_suffix(".weight").map(|s| format!("{s}.bias")).filter(|b| base.contains_key(b));
            Ok(Linear { w: get(n)?, adapter, b: bias.map(|b| get(&b)).transpose()? })
        };
        let mut layers = Vec::with_capacity(cfg.n_layers);
        for i in 0..cfg.n_layers {
            let n = cfg.layer_names(i);
            layers.push(Layer {
                attn_norm: get(&n.attn_norm)?,
                q: lin(&n.q)?,
                k: lin(&n.k)?,
                v: lin(&n.v)?,
                o: lin(&n.o)?,
                mlp_norm: get(&n.mlp_norm)?,
                gate: n.gate.as_deref().map(lin).transpose()?,
                up: lin(&n.up)?,
                down: lin(&n.down)?,
            });
        }
        let embed = get("model.embed_tokens.weight")?;
        let head = if cfg.tie_embeddings { embed.clone() } else { get("lm_head.weight")? };
        let norm = get("model.norm.weight")?;
        let (cos, sin) = rope_tables(&cfg, cfg.max_seq, dev)?;
        Ok(Model { cfg, lora, base, adapters, embed, layers, norm, head, cos, sin, device: dev.clone() })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// A base weight by its checkpoint name.
    pub(crate) fn base_var(&self, name: &str) -> Option<&Var> {
        self.base.get(name)
    }

    /// The RoPE cos/sin tables, (max_seq × head_dim) each.
    pub(crate) fn rope_tables(&self) -> (&Tensor, &Tensor) {
        (&self.cos, &self.sin)
    }

    /// The variables an optimizer should update, by name: every weight, or only the adapters with LoRA.
    pub fn trainable(&self) -> Vec<(String, Var)> {
        let src = if self.lora.is_some() { &self.adapters } else { &self.base };
        src.iter().map(|(n, v)| (n.clone(), v.clone())).collect()
    }

    /// Every tensor of the model (base weights and adapters), for saving.
    pub fn state(&self) -> BTreeMap<String, Tensor> {
        self.base.iter().chain(self.adapters.iter()).map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect()
    }

    /// Base weights only.
    pub fn base_state(&self) -> BTreeMap<String, Tensor> {
        self.base.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect()
    }

    pub fn adapter_state(&self) -> BTreeMap<String, Tensor> {
        self.adapters.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect()
    }

    /// Fold the adapters into the base weights: a plain model that decodes as fast as the base.
    pub fn merged(&self) -> Result<Model> {
        let mut w = BTreeMap::new();
        for (name, v) in &self.base {
            let mut t = v.as_tensor().copy()?;
            if let (Some(a), Some(b)) = (self.adapters.get(&format!("lora.{name}.a")), self.adapters.get(&format!("lora.{name}.b"))) {
                let scale = self.lora.as_ref().map_or(1.0, |l| l.scale());
                let ad = Adapter { a: a.clone(), b: b.clone(), scale };
                t = (t + ad.delta()?)?;
            }
            w.insert(name.clone(), t);
        }
        Model::from_weights(&self.cfg, w, None, &self.device)
    }

    /// Hidden states after the final norm: `ids` (B, S) u32 → (B, S, d). `cache` enables incremental
    /// decoding: positions start at the cache length and the new keys/values are appended.
    pub fn hidden(&self, ids: &Tensor, mut cache: Option<&mut KvCache>) -> Result<Tensor> {
        let s = ids.dim(1)?;
        let offset = cache.as_ref().map_or(0, |c| c.len());
        if offset + s > self.cfg.max_seq {
            candle_core::bail!("sequence of {} tokens exceeds max_seq {}", offset + s, self.cfg.max_seq);
        }
        if let Some(c) = cache.as_mut() {
            c.layers.resize(self.layers.len(), None);
        }
        let (b, _) = ids.dims2()?;
        let mut x = self.embed.index_select(&ids.flatten_all()?, 0)?.reshape((b, s, self.cfg.d_model))?;
        let cos = self.cos.narrow(0, offset, s)?;
        let sin = self.sin.narrow(0, offset, s)?;
        for (i, layer) in self.layers.iter().enumerate() {
            let slot = cache.as_mut().map(|c| &mut c.layers[i]);
            x = self.block(layer, &x, &cos, &sin, slot)?;
        }
        rms_norm(&x, &self.norm, self.cfg.norm_eps)
    }

    /// Logits for every position: (B, S, vocab).
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let h = self.hidden(ids, None)?;
        self.lm_head(&h)
    }

    /// Project normed hidden states (…, d) to logits (…, vocab).
    pub fn lm_head(&self, h: &Tensor) -> Result<Tensor> {
        Linear { w: self.head.clone(), adapter: None, b: None }.forward(h)
    }

    fn block(&self, l: &Layer, x: &Tensor, cos: &Tensor, sin: &Tensor, cache: Option<&mut Option<(Tensor, Tensor)>>) -> Result<Tensor> {
        let (b, s, d) = x.dims3()?;
        let (nh, nkv, hd) = (self.cfg.n_heads, self.cfg.n_kv_heads, self.cfg.head_dim());
        let h = rms_norm(x, &l.attn_norm, self.cfg.norm_eps)?;
        let q = l.q.forward(&h)?.reshape((b, s, nh, hd))?.transpose(1, 2)?.contiguous()?;
        let k = l.k.forward(&h)?.reshape((b, s, nkv, hd))?.transpose(1, 2)?.contiguous()?;
        let v = l.v.forward(&h)?.reshape((b, s, nkv, hd))?.transpose(1, 2)?.contiguous()?;
        let q = rope(&q, cos, sin)?;
        let mut k = rope(&k, cos, sin)?;
        let mut v = v;
        if let Some(slot) = cache {
            if let Some((pk, pv)) = slot.as_ref() {
                k = Tensor::cat(&[pk, &k], 2)?;
                v = Tensor::cat(&[pv, &v], 2)?;
            }
            *slot = Some((k.clone(), v.clone()));
        }
        // Grouped-query attention without copying keys/values per query head: the query heads sharing
        // a key/value head are stacked as rows, (B, kv_heads, group·S, hd).
        let t = k.dim(2)?;
        let group = nh / nkv;
        // Scale the queries rather than the (B, H, S, T) scores: one fewer T² tensor each way.
        let q = (q * (1.0 / (hd as f64).sqrt()))?.reshape((b * nkv, group * s, hd))?;
        let k = k.reshape((b * nkv, t, hd))?;
        let att = bmm(&q, &k.t()?)?.reshape((b, nh, s, t))?;
        let att = causal_softmax(&att)?.reshape((b * nkv, group * s, t))?;
        let y = bmm(&att, &v.reshape((b * nkv, t, hd))?)?.reshape((b, nh, s, hd))?.transpose(1, 2)?.reshape((b, s, d))?;
        let x = (x + l.o.forward(&y)?)?;
        let h = rms_norm(&x, &l.mlp_norm, self.cfg.norm_eps)?;
        let up = l.up.forward(&h)?;
        let act = match &l.gate {
            Some(g) => (silu(&g.forward(&h)?)? * up)?,
            None => silu(&up)?,
        };
        x + l.down.forward(&act)?
    }
}

/// RMSNorm written with differentiable ops (candle's fused `rms_norm` has no backward): the
/// reference for, and the non-CPU path of, [`super::fused::rms_norm`].
pub fn rms_norm_ops(x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
    let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
    x.broadcast_div(&(ms + eps)?.sqrt()?)?.broadcast_mul(w)
}

/// Softmax over the last dimension with differentiable ops; the max is detached (softmax does not
/// depend on it), which keeps the backward graph small.
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

/// Log-softmax over the last dimension, max detached likewise.
pub fn log_softmax_last(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let z = x.broadcast_sub(&max)?;
    z.broadcast_sub(&z.exp()?.sum_keepdim(D::Minus1)?.log()?)
}

/// cos/sin tables (T, head_dim), rotate-half layout (both halves share the frequencies).
fn rope_tables(cfg: &Config, len: usize, dev: &Device) -> Result<(Tensor, Tensor)> {
    let hd = cfg.head_dim();
    let inv: Vec<f64> = (0..hd / 2).map(|i| 1.0 / cfg.rope_theta.powf(2.0 * i as f64 / hd as f64)).collect();
    let mut cos = Vec::with_capacity(len * hd);
    let mut sin = Vec::with_capacity(len * hd);
    for t in 0..len {
        for half in 0..2 {
            let _ = half;
            for f in &inv {
                let a = t as f64 * f;
                cos.push(a.cos() as f32);
                sin.push(a.sin() as f32);
            }
        }
    }
    Ok((Tensor::from_vec(cos, (len, hd), dev)?, Tensor::from_vec(sin, (len, hd), dev)?))
}
