//! The one `Limits` struct: every bound the engine enforces, given when a session is built.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Bounds on a run. Exceeding one is an E3xx error for the step that hit it — never a hang or a
/// panic. Tool limits (`tool_*`) apply per call to sandboxed tools (WASM plugins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Steps a session may execute (E301).
    pub max_steps: usize,
    /// Nesting depth of one statement: brackets, operators, `if`, lambdas (E302).
    pub max_depth: usize,
    /// Items in any list value, and items written inside one bracket: list items or call
    /// arguments, refused at parse time (E303).
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
    /// Nodes of one value counted as if every shared sub-value were copied out (its expanded
    /// size): what walking, comparing or serialising it costs (E309).
    pub max_value_nodes: u64,
    /// Text bytes of one value, expanded the same way (E309).
    pub max_value_bytes: u64,
    /// Pixels of one image, checked from the file's header before decoding (E310).
    pub max_image_pixels: u64,
    /// Pixels of every image held at once: a command's inputs, or all the live sessions of a
    /// server; checked (E310) before an image is decoded.
    pub max_live_pixels: u64,
    /// Bytes of one input file dwim reads whole: image, program, manifest, checkpoint, dataset (E311).
    pub max_file_bytes: u64,
    /// Bytes of one line of a JSON Lines file: trace, store, dataset, samples (E311).
    pub max_record_bytes: usize,
    /// Diagnostics reported for one check; the rest are counted ("and N more").
    pub max_diagnostics: usize,
    /// Nodes of a value written into a trace record; beyond them the JSON is cut and says so.
    pub trace_value_nodes: usize,
    /// Bytes of one WASM plugin file, core module or component (E410).
    pub max_plugin_bytes: usize,
    /// Functions (imported and defined) of one plugin, every module of a component together
    /// (E410): counted before anything is compiled. CPython as a component (componentize-py) has
    /// about 13,700.
    pub plugin_functions: u64,
    /// Bytes of function bodies of one plugin, every module of a component together (E410):
    /// what compiling it costs in time and memory grows with this.
    pub plugin_code_bytes: u64,
    /// Compile time of one WASM plugin module (E410).
    pub plugin_compile: Duration,
    /// Tokenizer vocabulary size (E505 for a flag, E311 for a file).
    pub max_vocab_size: usize,
    /// Bytes of one endpoint reply (E415), and its total deadline (E413).
    pub max_reply_bytes: usize,
    pub reply_deadline: Duration,
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
            max_value_nodes: 4_000_000,
            max_value_bytes: 256 << 20,
            max_image_pixels: 50_000_000,
            max_live_pixels: 400_000_000,
            max_file_bytes: 4 << 30,
            max_record_bytes: 64 << 20,
            max_diagnostics: 50,
            trace_value_nodes: 4_096,
            max_plugin_bytes: 64 << 20,
            plugin_functions: 32_768,
            plugin_code_bytes: 32 << 20,
            plugin_compile: Duration::from_secs(60),
            max_vocab_size: 1 << 20,
            max_reply_bytes: 16 << 20,
            reply_deadline: Duration::from_secs(300),
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
            max_value_nodes: 250_000,
            max_value_bytes: 8 << 20,
            max_image_pixels: 16_777_216,
            max_live_pixels: 134_217_728,
            max_file_bytes: 256 << 20,
            max_record_bytes: 4 << 20,
            max_diagnostics: 50,
            trace_value_nodes: 1_024,
            max_plugin_bytes: 32 << 20,
            plugin_functions: 16_384,
            plugin_code_bytes: 16 << 20,
            plugin_compile: Duration::from_secs(30),
            max_vocab_size: 1 << 18,
            max_reply_bytes: 4 << 20,
            reply_deadline: Duration::from_secs(120),
        }
    }
}
