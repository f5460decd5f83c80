//! The plugin manifest: `NAME.json` beside `NAME.wasm`. Every field is optional; an absent
//! manifest means the safe defaults (the host's per-call limits, no capabilities).

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Capabilities a plugin may be granted. Filesystem, network and environment access are never
/// granted: a plugin sees no files, no sockets and an empty environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// WASI `clock_time_get` / `clock_res_get` read the host clocks.
    Clock,
    /// WASI `random_get` fills buffers from a PRNG seeded with `random_seed` (deterministic).
    Random,
    /// WASI `fd_write` to fds 1 and 2 is copied to the host's stderr, prefixed with the tool name.
    Stderr,
}

/// Sandbox policy for one plugin. Limits here can only lower the host's `Limits`, never raise them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Fuel per call (roughly one unit per wasm instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Wall-clock deadline per call, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Linear memory cap per call, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Largest output message accepted, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<u64>,
    /// Capabilities granted; none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// Seed for the `random` grant.
    #[serde(default)]
    pub random_seed: u64,
}

/// Limits for one call: the host's limits, lowered by the manifest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallLimits {
    pub fuel: u64,
    pub deadline: Duration,
    pub memory: usize,
    pub max_output: usize,
}

pub const DEFAULT_MAX_OUTPUT: usize = 16 << 20;

impl Manifest {
    /// Read the manifest beside `wasm` (`foo.wasm` → `foo.json`), or the defaults if there is none.
    /// It must be a regular file of at most 1 MiB (`load::MAX_MANIFEST_BYTES`; E502 / E410).
    pub fn for_plugin(wasm: &Path) -> Result<Manifest, Diagnostic> {
        let path = wasm.with_extension("json");
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(Manifest::default());
        }
        let bytes = super::load::read_bounded(&path, super::load::MAX_MANIFEST_BYTES, "a manifest")?;
        serde_json::from_slice(&bytes).map_err(|e| {
            let e = e.to_string();
            let e = e.char_indices().nth(300).map_or(e.as_str(), |(i, _)| &e[..i]);
            Diagnostic::new(Code::E410, format!("invalid manifest {}: {e}", path.display()))
                .help("fields: fuel, deadline_ms, memory_mb, max_output_bytes, grants ([\"clock\", \"random\", \"stderr\"]), random_seed")
        })
    }

    pub fn grants(&self, g: Grant) -> bool {
        self.grants.contains(&g)
    }

    pub fn limits(&self, host: &Limits, memory_cap: usize) -> CallLimits {
        let lower = |m: Option<u64>, h: u64| m.map_or(h, |m| m.min(h));
        let host_ms = u64::try_from(host.tool_deadline.as_millis()).unwrap_or(u64::MAX);
        let host_mem = host.tool_memory.min(memory_cap) as u64;
        CallLimits {
            fuel: lower(self.fuel, host.tool_fuel),
            deadline: Duration::from_millis(lower(self.deadline_ms, host_ms)),
            memory: lower(self.memory_mb.map(|m| m.saturating_mul(1 << 20)), host_mem) as usize,
            max_output: lower(self.max_output_bytes, DEFAULT_MAX_OUTPUT as u64) as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn manifest_only_lowers() {
        let host = Limits::strict();
        let m: Manifest = serde_json::from_str(r#"{"fuel": 1e3, "memory_mb": 100000}"#).unwrap_or_default();
        let m2: Manifest = serde_json::from_str(r#"{"fuel": 1000, "memory_mb": 100000, "deadline_ms": 10}"#).unwrap();
        assert_eq!(m, Manifest::default(), "non-integer fuel is rejected");
        let l = m2.limits(&host, usize::MAX);
        assert_eq!(l.fuel, 1000);
        assert_eq!(l.memory, host.tool_memory);
        assert_eq!(l.deadline, Duration::from_millis(10));
        assert!(serde_json::from_str::<Manifest>(r#"{"filesystem": true}"#).is_err());
    }
}
