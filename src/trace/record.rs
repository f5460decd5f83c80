//! The trace record schema, `dwim.trace/1`. See docs/trace-schema.md.

use crate::diag::Diagnostic;
use crate::eval::CallRecord;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::Arc;

/// Version tag written in every record. Readers reject other major versions.
pub const SCHEMA: &str = "dwim.trace/1";

/// Where the step's source is: byte span plus 1-based line/col.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Loc {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultSummary {
    /// The value's static type, e.g. `list[region]`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The value as JSON (images by content hash).
    pub value: serde_json::Value,
}

/// One executed (or rejected) step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRecord {
    // The fields every record of a run shares are shared, not copied: a step builds no string for
    // them (`cargo bench --bench engine`'s feed-one-step figure).
    pub schema: Cow<'static, str>,
    pub run_id: Arc<str>,
    /// 0-based position of this record in the run.
    pub step: usize,
    /// `assign`, `expr`, `think`, `rethink`, `answer`, or `rejected` (did not parse or check).
    pub kind: Cow<'static, str>,
    /// The step's source text.
    pub source: String,
    /// The program file (or `<session>` for fed steps).
    pub file: Arc<str>,
    pub loc: Loc,
    /// The variable assigned, for `assign`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The outermost tool the step calls, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Every tool call the step made, in order (at most 64 listed; `calls_total` counts all).
    #[serde(default)]
    pub calls: Vec<CallRecord>,
    #[serde(default)]
    pub calls_total: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultSummary>,
    /// What a model would be shown after this step.
    pub observation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Diagnostic>,
    /// All diagnostics, for `rejected` steps (the checker reports every problem).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
    pub wall_us: u64,
    /// Fuel consumed by sandboxed tools during this step, when any ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// DWIM action flag κ, set by `dwim::pipeline::flag` on collected workflows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<Flag>,
    /// On a run's first record only: the tool set it ran with (`set`, `fingerprint`, and each
    /// tool's `name`, `kind`, `source`, plugin `hash`), so a run can be reproduced and a run with
    /// a different tool set told apart. Shared with the registry (computed once per tool set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_set: Option<std::sync::Arc<serde_json::Value>>,
}

/// κ: was this step an effective action, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub effective: bool,
    /// For ineffective steps: `error`, `no_effect` or `tool_failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable detail, e.g. which rethink reacted to this step.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl TraceRecord {
    pub fn is_error(&self) -> bool {
        self.error.is_some()
    }
}
