//! A collected workflow: the question, its ground truth, and the trace of the steps a teacher took.

use crate::trace::TraceRecord;
use serde::{Deserialize, Serialize};

pub const WORKFLOW_SCHEMA: &str = "dwim.workflow/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub schema: String,
    /// The question's id in its dataset.
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub family: String,
    /// Image file, relative to the dataset directory (the first of `images` when there are several).
    pub image: String,
    /// Every input image by the name the program uses (`left`, `right`, …), when the question has
    /// several; empty for one image bound to `image`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub images: std::collections::BTreeMap<String, String>,
    /// Ground-truth answer as JSON (text, number, bool, or `{"box": [x0, y0, x1, y1]}`).
    pub answer: serde_json::Value,
    /// Which teacher wrote it (`programmatic`, `openai:URL`, `local:CKPT`).
    pub teacher: String,
    /// Collected with discrepancy-aware generation (rethink on discrepancies)?
    pub dw: bool,
    /// Final answer correct and not copied from the ground truth.
    pub viable: bool,
    /// The answer the workflow gave, if any.
    #[serde(default)]
    pub given: Option<serde_json::Value>,
    /// The ground-truth-conditioned check's finding on a dataset without annotations: the final
    /// answer did not match the ground truth (or none was given). Absent when it matched, or when
    /// annotations let the rule judge check each step instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discrepancy: Option<String>,
    /// Why the teacher stopped early: its endpoint refused or garbled this conversation's reply
    /// (E413/E414/E415, e.g. a context overflow). Such a workflow is kept, not viable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_error: Option<String>,
    /// One record per step, flagged (`flag`) once `pipeline::flag` has run.
    pub steps: Vec<TraceRecord>,
}

impl Workflow {
    /// Steps that are actions a model writes (everything but rejected chunks).
    pub fn actions(&self) -> impl Iterator<Item = (usize, &TraceRecord)> {
        self.steps.iter().enumerate().filter(|(_, r)| r.kind != "rejected")
    }
}
