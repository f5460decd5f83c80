//! Finding weight files: a local models directory, the Hugging Face cache, or a download through
//! `hf-hub` when online. Offline and not found, the error (E411) names the missing file and every
//! place that was searched.

use super::NativeConfig;
use crate::diag::{Code, Diagnostic};
use std::path::{Path, PathBuf};

/// Where one model's files may come from.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// Short name used as the folder under the models directory and as the override key.
    pub name: &'static str,
    /// Hugging Face repository id, when the model is on the hub.
    pub hub_repo: Option<&'static str>,
    /// How to get the files when the hub is not an option.
    pub hint: &'static str,
}

/// The directory searched first: `$DWIM_MODELS`, else `~/.cache/dwim/models`.
pub fn default_models_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("DWIM_MODELS").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("dwim").join("models")
}

/// True when `HF_HUB_OFFLINE` or `DWIM_OFFLINE` is set to something other than `0`/empty.
pub fn offline_env() -> bool {
    ["HF_HUB_OFFLINE", "DWIM_OFFLINE"]
        .iter()
        .any(|v| std::env::var(v).map(|s| !s.is_empty() && s != "0").unwrap_or(false))
}

impl ModelSource {
    /// The directory this model's files are looked up in first.
    pub fn local_dir(&self, cfg: &NativeConfig) -> PathBuf {
        match cfg.overrides.get(self.name) {
            Some(d) => d.clone(),
            None => cfg.models_dir.join(self.name),
        }
    }

    /// Resolve one file: local dir, then HF cache, then (if allowed) download.
    pub fn file(&self, cfg: &NativeConfig, file: &str) -> Result<PathBuf, Diagnostic> {
        let mut searched = Vec::new();
        let local = self.local_dir(cfg).join(file);
        if local.is_file() {
            return Ok(local);
        }
        searched.push(local.display().to_string());
        let overridden = cfg.overrides.contains_key(self.name);
        if let (Some(repo), false) = (self.hub_repo, overridden) {
            let cache = hf_hub::Cache::from_env();
            if let Some(p) = cache.model(repo.to_string()).get(file) {
                return Ok(p);
            }
            searched.push(format!("{} (Hugging Face cache, {repo})", cache.path().display()));
            if cfg.download {
                match download(repo, file) {
                    Ok(p) => return Ok(p),
                    Err(e) => searched.push(format!("https://huggingface.co/{repo} ({e})")),
                }
            } else {
                searched.push(format!("https://huggingface.co/{repo} (downloads off)"));
            }
        }
        Err(missing(self, file, &searched))
    }

    /// Resolve several files, failing on the first missing one.
    pub fn files(&self, cfg: &NativeConfig, files: &[&str]) -> Result<Vec<PathBuf>, Diagnostic> {
        files.iter().map(|f| self.file(cfg, f)).collect()
    }
}

fn download(repo: &str, file: &str) -> Result<PathBuf, String> {
    let api = hf_hub::api::sync::ApiBuilder::from_env().with_progress(false).build().map_err(|e| e.to_string())?;
    api.model(repo.to_string()).get(file).map_err(|e| e.to_string())
}

fn missing(src: &ModelSource, file: &str, searched: &[String]) -> Diagnostic {
    Diagnostic::new(Code::E411, format!("model `{}`: weight file `{file}` not found", src.name))
        .label(format!("searched: {}", searched.join("; ")))
        .help(src.hint.to_string())
}

/// Read a small JSON config file into `T`, mapping errors to E411/E401.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Diagnostic> {
    // A config is small: 16 MiB is generous. A missing one is E411; a FIFO or device is E502.
    let text = crate::io::read_text(path, 16 << 20).map_err(|d| if d.code == Code::E501 { Diagnostic { code: Code::E411, ..d } } else { d })?;
    serde_json::from_str(&text).map_err(|e| Diagnostic::new(Code::E401, format!("bad config {}: {e}", path.display())))
}
