//! Where each tool of a registry came from, and who may take a name another source holds.
//!
//! A tool set is assembled from sources in order: a base set (`builtin`, `benchmark`), native
//! models, plugins, remote tools (`--remote`, `--llm`). A later source may not silently replace a tool an earlier one
//! registered: the collision is E506 naming both, unless the user lets the newcomer win with
//! `--override NAME` (or `--override '*'`).

use super::ToolKind;
use serde::{Deserialize, Serialize};

/// A tool's provenance, as `dwim tools` shows it and a trace or collected workflow records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub kind: ToolKind,
    /// `builtin`, `benchmark`, a plugin file, a native model folder, a remote manifest.
    pub source: String,
    /// The BLAKE3 hash of the code or weights file, where there is one (plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Part of a base set (`--tools builtin|benchmark|…`), not added by the user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base: bool,
}

impl Origin {
    pub fn new(kind: ToolKind, source: impl Into<String>) -> Origin {
        Origin { kind, source: source.into(), hash: None, base: false }
    }
    /// A tool of the base set `set`.
    pub fn base(kind: ToolKind, set: impl Into<String>) -> Origin {
        Origin { base: true, ..Origin::new(kind, set) }
    }
    pub fn with_hash(mut self, hash: impl Into<String>) -> Origin {
        self.hash = Some(hash.into());
        self
    }
    /// `benchmark`, `plugin /p/area.wasm`: how a collision message names it.
    pub fn describe(&self) -> String {
        if self.base {
            return format!("the {} set", self.source);
        }
        match self.kind {
            ToolKind::Builtin => format!("built-in {}", self.source),
            ToolKind::Wasm => format!("plugin {}", self.source),
            ToolKind::WasmComponent => format!("component plugin {}", self.source),
            ToolKind::Native => format!("native model {}", self.source),
            ToolKind::Remote => format!("remote {}", self.source),
        }
    }
}

/// The names a later source may take over (`--override NAME`, repeatable; `*` for every name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides(Vec<String>);

impl Overrides {
    pub fn new(names: impl IntoIterator<Item = impl Into<String>>) -> Overrides {
        Overrides(names.into_iter().map(Into::into).collect())
    }
    pub fn allows(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == "*" || n == name)
    }
    /// Names given that no collision used (a typo in `--override` is worth a warning).
    pub fn unused<'a>(&'a self, used: &'a [String]) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |n| n.as_str() != "*" && !used.contains(n)).map(String::as_str)
    }
}
