//! Which native models have their weights, and the tool set built from them (`--native`).

use super::{clip, depth, minilm, native_tools, ocr, paligemma, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::tools::Tool;
use std::sync::Arc;

/// One native model: its folder under the models directory and the tools it serves.
pub struct NativeModel {
    pub name: &'static str,
    pub tools: &'static [&'static str],
    resolve: fn(&NativeConfig) -> Result<(), Diagnostic>,
}

impl NativeModel {
    /// Resolve every file the model needs (downloading only if `cfg.download`); the error
    /// (E411) names the first missing file.
    pub fn check(&self, cfg: &NativeConfig) -> Result<(), Diagnostic> {
        (self.resolve)(cfg)
    }
}

/// Every native model, in the order `dwim tools` lists them.
pub const MODELS: [NativeModel; 5] = [
    NativeModel { name: minilm::SOURCE.name, tools: &["text_similarity", "best_text_match"], resolve: |c| minilm::SOURCE.files(c, &minilm::FILES).map(drop) },
    NativeModel { name: ocr::SOURCE.name, tools: &["read_text"], resolve: |c| ocr::SOURCE.file(c, ocr::WEIGHTS).map(drop) },
    NativeModel { name: clip::SOURCE.name, tools: &["classify", "best_image_match"], resolve: |c| clip::SOURCE.files(c, &clip::FILES).map(drop) },
    NativeModel { name: depth::SOURCE.name, tools: &["depth"], resolve: |c| depth::resolve_files(c).map(drop) },
    NativeModel { name: paligemma::SOURCE.name, tools: &["vqa", "detect"], resolve: |c| paligemma::resolve_files(c).map(drop) },
];

/// Each model with the outcome of resolving its files under `cfg`.
pub fn available_models(cfg: &NativeConfig) -> Vec<(&'static NativeModel, Result<(), Diagnostic>)> {
    MODELS.iter().map(|m| (m, m.check(cfg))).collect()
}

/// The native tools to register.
///
/// - `wanted` empty: the tools of every model whose files are found. A model whose folder exists
///   under the models directory but lacks a file is an error (E411, naming the file): the folder
///   says the user meant it.
/// - otherwise each entry is a tool name (`depth`) or a model folder name (`paligemma`); all must
///   have their weights, else E411 naming the missing file. Unknown names are E402.
pub fn native_tools_for(cfg: &NativeConfig, wanted: &[String]) -> Result<Vec<Arc<dyn Tool>>, Diagnostic> {
    let mut names: Vec<&str> = Vec::new();
    if wanted.is_empty() {
        for m in &MODELS {
            match m.check(cfg) {
                Ok(()) => names.extend(m.tools),
                Err(d) if cfg.models_dir.join(m.name).is_dir() => return Err(d),
                Err(_) => {}
            }
        }
    } else {
        for w in wanted.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            let Some(m) = MODELS.iter().find(|m| m.name == w || m.tools.contains(&w)) else {
                let known: Vec<&str> = MODELS.iter().flat_map(|m| m.tools.iter().copied()).collect();
                return Err(Diagnostic::new(Code::E402, format!("unknown native tool or model `{w}`"))
                    .help(format!("tools: {}; models: {}", known.join(", "), MODELS.map(|m| m.name).join(", "))));
            };
            m.check(cfg)?;
            if m.name == w { names.extend(m.tools) } else { names.push(w) }
        }
    }
    Ok(native_tools(cfg).into_iter().filter(|t| names.contains(&t.signature().name.as_str())).collect())
}
