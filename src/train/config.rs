//! Model configuration and the named presets.

use serde::{Deserialize, Serialize};

/// The feed-forward block: `Plain` is `W2·SiLU(W1·x)` (the tiny GPT of the PyTorch baseline),
/// `Gated` is llama's `down(SiLU(gate·x) ⊙ up·x)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mlp {
    Plain,
    Gated,
}

/// A decoder-only, pre-norm transformer with RoPE (rotate-half form), RMSNorm and no biases:
/// the llama architecture, plus the plain-MLP variant used by the tiny presets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub vocab: usize,
    pub d_model: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub d_ff: usize,
    pub mlp: Mlp,
    /// Longest sequence trained on; decoding may not go past it.
    pub max_seq: usize,
    pub rope_theta: f64,
    pub norm_eps: f64,
    /// lm_head shares the token embedding matrix.
    pub tie_embeddings: bool,
    /// q/k/v projections carry biases (Qwen2).
    #[serde(default)]
    pub attn_bias: bool,
}

/// The names of one decoder layer's weights, from [`Config::layer_names`].
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNames {
    pub attn_norm: String,
    pub q: String,
    pub k: String,
    pub v: String,
    pub o: String,
    pub mlp_norm: String,
    pub gate: Option<String>,
    pub up: String,
    pub down: String,
}

impl Config {
    /// 4 layers, d 256, 4 heads, plain SiLU MLP ×4, untied head: the model of
    /// `shared/bench/torch_tiny_sft_step.py` (4,196,608 parameters at vocab 2048).
    pub fn tiny(vocab: usize) -> Config {
        Config {
            vocab,
            d_model: 256,
            n_layers: 4,
            n_heads: 4,
            n_kv_heads: 4,
            d_ff: 1024,
            mlp: Mlp::Plain,
            max_seq: 512,
            rope_theta: 10_000.0,
            norm_eps: 1e-5,
            tie_embeddings: false,
            attn_bias: false,
        }
    }

    /// 3 layers, d 128, gated MLP: about 0.9M parameters at vocab 1024 — the ablation's default. It can
    /// learn to copy the question's words into its steps within a few hundred updates, though not in
    /// every run (see the README's ablation).
    pub fn small(vocab: usize) -> Config {
        Config { d_model: 128, n_layers: 3, n_heads: 4, n_kv_heads: 4, d_ff: 384, max_seq: 512, ..Config::micro(vocab) }
    }

    /// About 0.1–1M parameters: for tests and quick experiments.
    pub fn micro(vocab: usize) -> Config {
        Config {
            vocab,
            d_model: 64,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads: 2,
            d_ff: 192,
            mlp: Mlp::Gated,
            max_seq: 256,
            rope_theta: 10_000.0,
            norm_eps: 1e-5,
            tie_embeddings: false,
            attn_bias: false,
        }
    }

    /// SmolLM2-135M(-Instruct): llama, 30 layers, hidden 576, 9 heads / 3 KV heads, tied embeddings.
    pub fn smollm2_135m() -> Config {
        Config {
            vocab: 49_152,
            d_model: 576,
            n_layers: 30,
            n_heads: 9,
            n_kv_heads: 3,
            d_ff: 1536,
            mlp: Mlp::Gated,
            max_seq: 8192,
            rope_theta: 100_000.0,
            norm_eps: 1e-5,
            tie_embeddings: true,
            attn_bias: false,
        }
    }

    pub fn preset(name: &str, vocab: usize) -> Option<Config> {
        match name {
            "tiny" => Some(Config::tiny(vocab)),
            "micro" => Some(Config::micro(vocab)),
            "small" => Some(Config::small(vocab)),
            _ => None,
        }
    }

    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }

    /// Checks that the shapes fit together; a message names the first problem.
    pub fn validate(&self) -> Result<(), String> {
        if self.vocab == 0 || self.d_model == 0 || self.n_layers == 0 || self.n_heads == 0 || self.d_ff == 0 {
            return Err("vocab, d_model, n_layers, n_heads and d_ff must be positive".into());
        }
        if !self.d_model.is_multiple_of(self.n_heads) {
            return Err(format!("d_model {} is not a multiple of n_heads {}", self.d_model, self.n_heads));
        }
        if !self.head_dim().is_multiple_of(2) {
            return Err(format!("head dim {} must be even for RoPE", self.head_dim()));
        }
        if self.n_kv_heads == 0 || !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return Err(format!("n_heads {} is not a multiple of n_kv_heads {}", self.n_heads, self.n_kv_heads));
        }
        Ok(())
    }

    /// The names of layer `i`'s weights (llama / Hugging Face naming); `gate` only with the gated MLP.
    pub fn layer_names(&self, i: usize) -> LayerNames {
        let p = format!("model.layers.{i}");
        LayerNames {
            attn_norm: format!("{p}.input_layernorm.weight"),
            q: format!("{p}.self_attn.q_proj.weight"),
            k: format!("{p}.self_attn.k_proj.weight"),
            v: format!("{p}.self_attn.v_proj.weight"),
            o: format!("{p}.self_attn.o_proj.weight"),
            mlp_norm: format!("{p}.post_attention_layernorm.weight"),
            gate: (self.mlp == Mlp::Gated).then(|| format!("{p}.mlp.gate_proj.weight")),
            up: format!("{p}.mlp.up_proj.weight"),
            down: format!("{p}.mlp.down_proj.weight"),
        }
    }

    /// Every parameter name with its shape, in a fixed order (llama / Hugging Face naming).
    pub fn param_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let (d, hd) = (self.d_model, self.head_dim());
        let kv = self.n_kv_heads * hd;
        let bias = |w: &str| w.replace(".weight", ".bias");
        let mut out = vec![("model.embed_tokens.weight".to_string(), vec![self.vocab, d])];
        for i in 0..self.n_layers {
            let n = self.layer_names(i);
            let biases = [(bias(&n.q), vec![d]), (bias(&n.k), vec![kv]), (bias(&n.v), vec![kv])];
            out.push((n.attn_norm, vec![d]));
            out.push((n.q, vec![d, d]));
            out.push((n.k, vec![kv, d]));
            out.push((n.v, vec![kv, d]));
            out.push((n.o, vec![d, d]));
            if self.attn_bias {
                out.extend(biases);
            }
            out.push((n.mlp_norm, vec![d]));
            if let Some(g) = n.gate {
                out.push((g, vec![self.d_ff, d]));
            }
            out.push((n.up, vec![self.d_ff, d]));
            out.push((n.down, vec![d, self.d_ff]));
        }
        out.push(("model.norm.weight".to_string(), vec![d]));
        if !self.tie_embeddings {
            out.push(("lm_head.weight".to_string(), vec![self.vocab, d]));
        }
        out
    }

    pub fn n_params(&self) -> usize {
        self.param_shapes().iter().map(|(_, s)| s.iter().product::<usize>()).sum()
    }
}
