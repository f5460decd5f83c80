//! Tools that run elsewhere: a tool server (any language; a reference one in Python is
//! `tools-remote/python/dwim_tool_server.py`) declares typed tools in a manifest and answers
//! calls over HTTP; `llm_query` asks an OpenAI-compatible chat endpoint. The protocol is
//! documented for server authors in `docs/remote-tools.md`.
//!
//! | file | what it holds |
//! |---|---|
//! | `manifest.rs` | the manifest: endpoint, bounds, declared signatures (checked as a plugin's are) |
//! | `wire.rs` | the JSON of a call and a reply; a reply is validated as a plugin's output is |
//! | `base64.rs` | image pixels in JSON |
//! | `tool.rs` | `RemoteTool`: one call, its deadline, reply cap and retries → E306/E401/E407/E412–E415 |
//! | `llm.rs` | `llm_query(prompt) -> text`, cached by prompt |

pub mod base64;
pub mod llm;
pub mod manifest;
pub mod tool;
pub mod wire;

pub use llm::LlmQuery;
pub use tool::RemoteTool;

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::tools::Tool;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The tools a manifest file declares, each called at its endpoint. The file is read through
/// [`crate::io`] (a regular file of at most [`manifest::MAX_MANIFEST_BYTES`]: E502 / E311 / E501)
/// and parsed as [`manifest::parse`] says (E410, E409). Nothing is contacted until a tool is called.
pub fn load_manifest(path: &Path, limits: &Limits) -> Result<Vec<Arc<dyn Tool>>, Diagnostic> {
    let bytes = crate::io::read_bytes(path, manifest::MAX_MANIFEST_BYTES.min(limits.max_file_bytes))?;
    load_manifest_bytes(&path.display().to_string(), &bytes, limits)
}

/// [`load_manifest`] from bytes already read; `name` names them in messages.
pub fn load_manifest_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Arc<dyn Tool>>, Diagnostic> {
    let agent = tool::agent();
    Ok(manifest::parse(name, bytes, limits)?
        .into_iter()
        .map(|(sig, ep)| Arc::new(RemoteTool::new(sig, ep, agent.clone())) as Arc<dyn Tool>)
        .collect())
}

/// The tools a running server declares at `BASE/manifest` (`GET`, at most
/// [`manifest::MAX_MANIFEST_BYTES`], within `Limits::tool_deadline`); failures as for a call
/// (E412–E415), then as for [`load_manifest`].
pub fn fetch_manifest(base: &str, limits: &Limits) -> Result<Vec<Arc<dyn Tool>>, Diagnostic> {
    let url = format!("{}/manifest", base.trim_end_matches('/'));
    let deadline = limits.tool_deadline.min(Duration::from_secs(60));
    let cap = manifest::MAX_MANIFEST_BYTES as usize;
    let bytes = crate::http::get(&tool::agent(), &url, deadline, cap).map_err(|f| Diagnostic::new(f.code(), format!("remote tool manifest: {}", f.message(&url, deadline, cap))))?;
    load_manifest_bytes(&url, &bytes, limits)
}

/// `--remote SOURCE`: a manifest file, or a running server's base URL (`http://…`).
pub fn load_source(source: &Path, limits: &Limits) -> Result<Vec<Arc<dyn Tool>>, Diagnostic> {
    match source.to_str() {
        Some(s) if s.starts_with("http://") => fetch_manifest(s, limits),
        Some(s) if s.starts_with("https://") => Err(Diagnostic::new(Code::E505, format!("--remote {s}: only http:// endpoints are supported (this dwim has no TLS)"))),
        _ => load_manifest(source, limits),
    }
}
