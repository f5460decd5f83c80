//! The one `Limits` struct: every bound the engine enforces, given when a session is built.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Bounds on a run. Exceeding one is an E3xx error for the step that hit it — never a hang or a
/// panic. Tool limits (`tool_*`) apply per call to sandboxed tools (WASM plugins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Steps a session may execute (E301).
    pub max_steps: usize,
    /// Nesting depth of one statement: brackets, operators, `if`, lambdas (E302).
    pub max_depth: usize,
    /// Items in any list value (E303).
    pub max_list_len: usize,
    /// Bytes in any text value, literal or computed (E304).
    pub max_text_len: usize,
    /// Tool calls per session, counting calls made by lambdas (E305).
    pub max_tool_calls: usize,
    /// Wall time for the whole session (E306).
    pub max_wall: Duration,
    /// Bytes of program source (E307).
    pub max_source_bytes: usize,
    /// Expression evaluations per session: a deterministic budget (E308).
    pub max_ticks: u64,
    /// Fuel per sandboxed tool call (E403).
    pub tool_fuel: u64,
    /// Wall-clock deadline per sandboxed tool call (E404).
    pub tool_deadline: Duration,
    /// Memory per sandboxed tool instance, in bytes (E405).
    pub tool_memory: usize,
}

impl Default for Limits {
    /// Generous bounds for hand-written programs.
    fn default() -> Self {
        Limits {
            max_steps: 10_000,
            max_depth: 128,
            max_list_len: 100_000,
            max_text_len: 1 << 20,
            max_tool_calls: 100_000,
            max_wall: Duration::from_secs(600),
            max_source_bytes: 8 << 20,
            max_ticks: 50_000_000,
            tool_fuel: 2_000_000_000,
            tool_deadline: Duration::from_secs(30),
            tool_memory: 256 << 20,
        }
    }
}

impl Limits {
    /// Tight bounds for programs a model wrote: DWIM's agent takes at most 10 steps per question.
    pub fn strict() -> Self {
        Limits {
            max_steps: 32,
            max_depth: 32,
            max_list_len: 10_000,
            max_text_len: 64 << 10,
            max_tool_calls: 500,
            max_wall: Duration::from_secs(60),
            max_source_bytes: 64 << 10,
            max_ticks: 1_000_000,
            tool_fuel: 500_000_000,
            tool_deadline: Duration::from_secs(5),
            tool_memory: 64 << 20,
        }
    }
}
