//! Tools as sandboxed WebAssembly plugins (wasmtime).
//!
//! | file | what it holds |
//! |---|---|
//! | `manifest.rs` | the per-plugin policy (`NAME.json`): limits that only lower the host's, grants |
//! | `engine.rs` | the one `Engine`: fuel, epoch ticker thread, pooling allocator |
//! | `cache.rs` | compiled modules on disk, keyed by content hash |
//! | `limiter.rs` | the memory/table `ResourceLimiter` that records why it refused |
//! | `imports.rs` | the only imports a plugin gets: `dwim.trap` and denying WASI stubs |
//! | `abi.rs` | the value encoding across the boundary (images as raw RGB bytes) |
//! | `load.rs` | bounded loading: regular files under a size cap, module caps, compile deadline |
//! | `plugin.rs` | `WasmTool`: load, describe, call in a fresh instance |
//! | `component.rs` | `ComponentTool`: the same for a component of the `dwim:tool@0.1.0` world |
//! | `component_values.rs` | dwim values ⇄ the world's flattened values, checked without recursion |
//! | `errors.rs` | wasmtime errors → E403..E406 |
//!
//! The guest ABI, the WIT world (`tools-wasm/wit`) and the manifest are documented for plugin
//! authors in `docs/plugins.md`.

pub mod abi;
pub mod cache;
mod call;
pub mod component;
pub mod component_values;
pub mod engine;
pub mod errors;
pub mod imports;
pub mod limiter;
pub mod load;
pub mod manifest;
pub mod plugin;

pub use component::ComponentTool;
pub use manifest::{Grant, Manifest};
pub use plugin::{LoadOptions, WasmTool};

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use std::path::Path;
use std::sync::Arc;

/// [`load_dir_within`] under the default [`Limits`].
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> (Vec<Arc<WasmTool>>, Vec<Diagnostic>) {
    load_dir_within(dir, opts, &Limits::default())
}

/// Load every core-module plugin (`*.wasm`, `*.wat`) in `dir`, in file-name order, each bounded
/// by `limits` (see [`WasmTool::load_within`]); a component is refused (E410) — see
/// [`load_plugins_within`] for both kinds. A plugin that fails to load — an entry with a plugin's
/// name that is not a regular file included (E502) — is returned as a diagnostic naming its file
/// and skipped; the others still load.
pub fn load_dir_within(dir: &Path, opts: &LoadOptions, limits: &Limits) -> (Vec<Arc<WasmTool>>, Vec<Diagnostic>) {
    let (paths, mut problems) = plugin_paths(dir);
    let mut tools = Vec::new();
    for p in paths {
        match WasmTool::load_within(&p, opts, limits) {
            Ok(t) => tools.push(Arc::new(t)),
            Err(d) => problems.push(d),
        }
    }
    (tools, problems)
}

fn plugin_paths(dir: &Path) -> (Vec<std::path::PathBuf>, Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return (vec![], vec![Diagnostic::new(Code::E410, format!("cannot read plugin directory {}: {e}", dir.display()))]),
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|x| x.to_str()), Some("wasm" | "wat")))
        .collect();
    paths.sort();
    (paths, vec![])
}

/// A loaded plugin of either kind.
#[derive(Clone)]
pub enum Plugin {
    /// A core module speaking the ABI of `abi.rs`.
    Core(Arc<WasmTool>),
    /// A component of the `dwim:tool@0.1.0` world.
    Component(Arc<ComponentTool>),
}

impl Plugin {
    pub fn tool(&self) -> Arc<dyn crate::tools::Tool> {
        match self {
            Plugin::Core(t) => t.clone(),
            Plugin::Component(t) => t.clone(),
        }
    }
    pub fn kind(&self) -> crate::tools::ToolKind {
        match self {
            Plugin::Core(_) => crate::tools::ToolKind::Wasm,
            Plugin::Component(_) => crate::tools::ToolKind::WasmComponent,
        }
    }
    pub fn path(&self) -> &Path {
        match self {
            Plugin::Core(t) => t.path(),
            Plugin::Component(t) => t.path(),
        }
    }
    /// BLAKE3 of the plugin's bytes, hex.
    pub fn hash(&self) -> &str {
        match self {
            Plugin::Core(t) => t.hash(),
            Plugin::Component(t) => t.hash(),
        }
    }
}

/// Load one plugin of either kind, told apart by its header bytes (a component's version field
/// differs from a module's); the same bounds and errors as [`WasmTool::load_within`], and those of
/// [`ComponentTool::from_bytes`] for a component. Every message names the file.
pub fn load_plugin_within(path: &Path, opts: &LoadOptions, limits: &Limits) -> Result<Plugin, Diagnostic> {
    let load = || {
        let bytes = load::read_bounded(path, limits.max_plugin_bytes as u64, "a plugin")?;
        let manifest = Manifest::for_plugin(path)?;
        if wasmparser::Parser::is_component(&bytes) {
            Ok(Plugin::Component(Arc::new(ComponentTool::from_bytes(path, &bytes, manifest, opts, limits)?)))
        } else {
            Ok(Plugin::Core(Arc::new(WasmTool::from_bytes(path, &bytes, manifest, opts, limits)?)))
        }
    };
    load().map_err(|d: Diagnostic| Diagnostic { message: format!("{}: {}", path.display(), d.message), ..d })
}

/// [`load_dir_within`] for both kinds: core modules and components from one folder, in
/// file-name order, each failure a diagnostic naming its file.
pub fn load_plugins_within(dir: &Path, opts: &LoadOptions, limits: &Limits) -> (Vec<Plugin>, Vec<Diagnostic>) {
    let (paths, mut problems) = plugin_paths(dir);
    let mut plugins = Vec::new();
    for p in paths {
        match load_plugin_within(&p, opts, limits) {
            Ok(t) => plugins.push(t),
            Err(d) => problems.push(d),
        }
    }
    (plugins, problems)
}
