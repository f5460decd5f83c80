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
//! | `errors.rs` | wasmtime errors → E403..E406 |
//!
//! The guest ABI and the manifest are documented for plugin authors in `docs/plugins.md`.

pub mod abi;
pub mod cache;
pub mod engine;
pub mod errors;
pub mod imports;
pub mod limiter;
pub mod load;
pub mod manifest;
pub mod plugin;

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

/// Load every plugin (`*.wasm`, `*.wat`) in `dir`, in file-name order, each bounded by `limits`
/// (see [`WasmTool::load_within`]). A plugin that fails to load — an entry with a plugin's name
/// that is not a regular file included (E502) — is returned as a diagnostic naming its file and
/// skipped; the others still load.
pub fn load_dir_within(dir: &Path, opts: &LoadOptions, limits: &Limits) -> (Vec<Arc<WasmTool>>, Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return (vec![], vec![Diagnostic::new(Code::E410, format!("cannot read plugin directory {}: {e}", dir.display()))]),
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|x| x.to_str()), Some("wasm" | "wat")))
        .collect();
    paths.sort();
    let (mut tools, mut problems) = (Vec::new(), Vec::new());
    for p in paths {
        match WasmTool::load_within(&p, opts, limits) {
            Ok(t) => tools.push(Arc::new(t)),
            Err(d) => problems.push(d),
        }
    }
    (tools, problems)
}
