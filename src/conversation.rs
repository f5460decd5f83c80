//! One agent conversation with a `Session`, as JSON requests and replies: what `dwim session`
//! (JSON lines over stdio), `dwim serve` (HTTP) and the Python package all speak, so their
//! replies are the same.
//!
//! Requests: `{"op": "step", "text": …}`, `{"op": "check", "text": …}`, `{"op": "tools"}`,
//! `{"op": "trace"}`. Replies: `{"ok": bool, "op": …}` plus, for `step`, the step records
//! (`dwim.trace/1`, without the first record's `tool_set`, which `tools` and `trace` give) and the
//! answer when given; for a rejected step or a failed check, the
//! diagnostics as `dwim check --format json` gives them; `tools`: signatures and the prompt
//! text; `trace`: every record so far. The number of steps and checks is bounded (E301).

use crate::diag::{diagnostics_json, Code, Diagnostic};
use crate::syntax::SourceFile;
use crate::trace::TraceRecord;
use crate::{Limits, Registry, Session};
use serde_json::json;

pub struct Conversation<'r> {
    session: Session<'r>,
    registry: &'r Registry,
    records: Vec<TraceRecord>,
    served: usize,
}

/// Requests one conversation answers before it refuses more (E301): a bound on its memory.
fn max_requests(limits: &Limits) -> usize {
    limits.max_steps.saturating_mul(16).max(64)
}

impl<'r> Conversation<'r> {
    /// A conversation over `session` (which must keep its records: `Session::keep_records`).
    pub fn new(session: Session<'r>, registry: &'r Registry) -> Conversation<'r> {
        Conversation { session, registry, records: Vec::new(), served: 0 }
    }

    pub fn session(&self) -> &Session<'r> {
        &self.session
    }
    pub fn registry(&self) -> &'r Registry {
        self.registry
    }
    /// Every record so far, rejected steps included.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// Answer one request.
    pub fn request(&mut self, req: &serde_json::Value) -> serde_json::Value {
        let op = req["op"].as_str().unwrap_or("").to_string();
        // Steps and checks are bounded (a rejected step leaves a record); reading the trace or the
        // tools is not.
        if matches!(op.as_str(), "step" | "check") {
            self.served += 1;
        }
        let max = max_requests(self.session.limits());
        if matches!(op.as_str(), "step" | "check") && self.served > max {
            return error_reply(Some(&op), Diagnostic::new(Code::E301, format!("this session has answered {max} requests; start a new one")));
        }
        self.answer(&op, req)
    }

    fn answer(&mut self, op: &str, req: &serde_json::Value) -> serde_json::Value {
        let text = || req["text"].as_str().map(str::to_string).ok_or_else(|| Diagnostic::new(Code::E504, format!("`{op}` needs a \"text\" string")));
        let session = &mut self.session;
        let registry = self.registry;
        let records = &mut self.records;
    match op {
        "step" => {
            let text = match text() {
                Ok(t) => t,
                Err(d) => return error_reply(Some(op), d),
            };
            let fed = session.feed(&text);
            let mut new = session.take_records();
            records.extend(new.iter().cloned());
            // A step's reply is what a model reads: the tool set stays in `tools` and `trace`.
            for r in &mut new {
                r.tool_set = None;
            }
            let answer = session.answer().map(|v| v.to_json_bounded(session.limits().trace_value_nodes));
            match fed {
                Ok(outcomes) => {
                    let ok = outcomes.iter().all(|o| o.error().is_none());
                    json!({"ok": ok, "op": op, "records": new, "answer": answer})
                }
                Err(diags) => {
                    let src = SourceFile::new("<step>", text);
                    let mut v = diagnostics_json(&diags[..], Some(&src));
                    v["op"] = json!(op);
                    v["records"] = json!(new);
                    v
                }
            }
        }
        "check" => {
            let text = match text() {
                Ok(t) => t,
                Err(d) => return error_reply(Some(op), d),
            };
            match session.check(&text) {
                Ok(()) => json!({"ok": true, "op": op, "diagnostics": []}),
                Err(diags) => {
                    let mut v = diagnostics_json(&diags[..], Some(&SourceFile::new("<step>", text)));
                    v["op"] = json!(op);
                    v
                }
            }
        }
        "tools" => json!({"ok": true, "op": op, "set": registry.set_name, "fingerprint": registry.fingerprint(), "tools": registry.signatures().collect::<Vec<_>>(), "prompt": registry.prompt(), "skipped": registry.skipped}),
        "trace" => json!({"ok": true, "op": op, "run_id": session.run_id(), "records": records}),
        _ => error_reply(Some(op), Diagnostic::new(Code::E504, format!("unknown op {op:?}: use step, check, tools, trace or close"))),
    }
    }
}

/// A failed request's reply: its diagnostic, and the op when known.
pub fn error_reply(op: Option<&str>, d: Diagnostic) -> serde_json::Value {
    json!({"ok": false, "op": op, "diagnostics": [d.to_json(None)]})
}
