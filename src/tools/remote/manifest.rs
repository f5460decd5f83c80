//! The remote tool manifest: which tools a server offers, their signatures, and the bounds of a
//! call. JSON; every bound can only lower the host's [`Limits`].
//!
//! ```json
//! {"endpoint": "http://127.0.0.1:8765", "timeout_ms": 20000, "retries": 2, "max_reply_bytes": 8388608,
//!  "tools": [{"name": "mean_brightness", "params": [{"name": "image", "type": "image"}],
//!             "result": "number", "doc": "mean of all RGB samples, 0-255"}]}
//! ```

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::tools::signature::clip;
use crate::tools::{Signature, ToolKind};
use crate::types::Type;
use serde::Deserialize;
use std::time::Duration;

/// Bytes of a manifest file or `GET /manifest` reply.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// Tools one manifest may declare.
pub const MAX_TOOLS: usize = 256;
/// Retries after the first attempt, whatever a manifest asks.
pub const MAX_RETRIES: u32 = 5;
/// Retries when a manifest does not say.
pub const DEFAULT_RETRIES: u32 = 2;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Base URL (`http://host:port`); a tool is called at `ENDPOINT/call/NAME`.
    pub endpoint: String,
    /// Per-call timeout in milliseconds, all attempts together (default `Limits::tool_deadline`;
    /// never more than `Limits::reply_deadline`, never past the run's wall limit).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Attempts after the first for a connect failure or an HTTP 5xx (default 2, at most 5).
    #[serde(default)]
    pub retries: Option<u32>,
    /// Bytes of one reply (default and most: `Limits::max_reply_bytes`).
    #[serde(default)]
    pub max_reply_bytes: Option<u64>,
    pub tools: Vec<Declared>,
}

/// One tool: its signature (the fields of [`Signature`]: `name`, `params`, `result`, `doc`,
/// `result_like`, `result_elem_of`) and optional per-tool overrides of the manifest's bounds.
#[derive(Debug, Clone, Deserialize)]
pub struct Declared {
    #[serde(flatten)]
    pub sig: Signature,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// One tool, ready to be called: where and within what.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub max_reply_bytes: Option<usize>,
}

/// Parse and bound a manifest: E410 for one that is not JSON of this shape (its first 300 bytes
/// of error), has no `http://` endpoint, declares more than [`MAX_TOOLS`] tools or a name twice;
/// E409 for a signature out of bounds (see [`Signature::check_declared`]) or a `fn` parameter
/// (a function cannot be sent). `name` names the file or URL in every message.
pub fn parse(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<(Signature, Endpoint)>, Diagnostic> {
    let invalid = |m: String| {
        Diagnostic::new(Code::E410, format!("remote tool manifest {name}: {m}"))
            .help("fields: endpoint, timeout_ms, retries, max_reply_bytes, tools ([{name, params, result, doc, timeout_ms}]); see docs/remote-tools.md")
    };
    let m: Manifest = serde_json::from_slice(bytes).map_err(|e| invalid(clip(&e.to_string(), 300).to_string()))?;
    let base = m.endpoint.trim_end_matches('/');
    let rest = base.strip_prefix("http://").ok_or_else(|| invalid(format!("endpoint `{}` is not an http:// URL", clip(base, 200))))?;
    if rest.is_empty() || base.len() > 2048 || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!("endpoint `{}` is not a URL", clip(base, 200))));
    }
    if m.tools.len() > MAX_TOOLS {
        return Err(invalid(format!("{} tools declared; a manifest may declare at most {MAX_TOOLS}", m.tools.len())));
    }
    let retries = m.retries.unwrap_or(DEFAULT_RETRIES).min(MAX_RETRIES);
    let max_reply_bytes = m.max_reply_bytes.map(|b| usize::try_from(b).unwrap_or(usize::MAX).min(limits.max_reply_bytes));
    let mut out: Vec<(Signature, Endpoint)> = Vec::with_capacity(m.tools.len());
    for d in m.tools {
        let mut sig = d.sig;
        sig.check_declared(limits).map_err(|e| Diagnostic { message: format!("remote tool manifest {name}: {}", e.message), ..e })?;
        if out.iter().any(|(s, _)| s.name == sig.name) {
            return Err(invalid(format!("tool `{}` is declared twice", sig.name)));
        }
        if let Some(p) = sig.params.iter().find(|p| p.ty == Type::Fn) {
            return Err(Diagnostic::new(Code::E409, format!("remote tool manifest {name}: `{}` takes a function (`{}`), which cannot be sent to a server", sig.name, p.name)));
        }
        sig.kind = ToolKind::Remote;
        let timeout = d.timeout_ms.or(m.timeout_ms).map(Duration::from_millis);
        let url = format!("{base}/call/{}", sig.name);
        out.push((sig, Endpoint { url, timeout, retries, max_reply_bytes }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_bounded() {
        let lim = Limits::default();
        let ok = br#"{"endpoint": "http://127.0.0.1:1/", "retries": 99, "tools": [{"name": "f", "params": [{"name": "x", "type": "number", "default": 2}], "result": "list[number]", "doc": "d", "timeout_ms": 5}]}"#;
        let tools = parse("m.json", ok, &lim).unwrap();
        assert_eq!(tools[0].1.url, "http://127.0.0.1:1/call/f");
        assert_eq!(tools[0].1.retries, MAX_RETRIES);
        assert_eq!(tools[0].1.timeout, Some(Duration::from_millis(5)));
        assert_eq!(tools[0].0.render(), "f(x: number = 2) -> list[number]");
        for (bad, code) in [
            (&br#"{"endpoint": "https://x", "tools": []}"#[..], Code::E410),
            (br#"{"endpoint": "http://x", "tools": [], "extra": 1}"#, Code::E410),
            (br#"{"endpoint": "http://x", "tools": [{"name": "f", "params": [], "result": "nope", "doc": ""}]}"#, Code::E410),
            (br#"{"endpoint": "http://x", "tools": [{"name": "f-g", "params": [], "result": "text", "doc": ""}]}"#, Code::E409),
            (br#"{"endpoint": "http://x", "tools": [{"name": "f", "params": [{"name": "g", "type": "fn"}], "result": "text", "doc": ""}]}"#, Code::E409),
            (br#"{"endpoint": "http://x", "tools": [{"name": "f", "params": [], "result": "text", "doc": ""}, {"name": "f", "params": [], "result": "text", "doc": ""}]}"#, Code::E410),
        ] {
            let e = parse("m.json", bad, &lim).expect_err(std::str::from_utf8(bad).unwrap());
            assert_eq!(e.code, code, "{}", e.message);
            assert!(e.message.contains("m.json"));
        }
    }
}
