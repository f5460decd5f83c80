//! The discrepancy judge: does a step's observation contradict what the ground truth implies?
//!
//! `OracleJudge` is the rules-over-annotations judge for datasets with annotations (the built-in
//! benchmark): every perception call a step made is replayed against the `oracle` tool set (exact
//! answers from the scene annotations) and compared — a detector that missed or invented objects,
//! a colour, shape, label or VQA answer that differs. The message names what was observed, in
//! words a model can also use at inference, not the hidden truth.

use crate::tools::builtin::normalize;
use crate::tools::signature::json_to_value;
use crate::tools::{Args, Registry, ToolCtx};
use crate::trace::TraceRecord;
use crate::value::{BBox, Image, Region, Value};

pub trait Judge {
    /// A discrepancy found in this step, described in one sentence; None when it is consistent.
    fn judge(&self, record: &TraceRecord) -> Option<String>;
}

/// Perception tools the oracle can replay.
const PERCEPTION: &[&str] = &["detect", "color", "shape", "read_text", "vqa"];

pub struct OracleJudge {
    oracle: Registry,
    image: Image,
    /// Values the reference workflow binds when run with the oracle: what the truth implies for
    /// each intermediate variable.
    expected: std::collections::BTreeMap<String, Value>,
}

impl OracleJudge {
    /// `oracle` must know `image` (see `tools::bench::OracleWorld::add`). `reference` is a workflow
    /// that answers correctly with perfect tools; the values it binds become expectations.
    pub fn new(oracle: Registry, image: Image, reference: Option<&str>) -> Self {
        let mut expected = std::collections::BTreeMap::new();
        if let Some(src) = reference {
            let mut s = crate::Session::new(&oracle, crate::Limits::default());
            s.bind("image", Value::Image(image.clone()));
            let _ = s.feed(src);
            expected = s.env().clone();
            expected.remove("image");
        }
        OracleJudge { oracle, image, expected }
    }

    fn differs(&self, found: &Value, truth: &Value) -> bool {
        match (found, truth) {
            (Value::List(_), Value::List(_)) if !boxes(truth).is_empty() || !boxes(found).is_empty() => {
                !same_detections(&boxes(found), &boxes(truth))
            }
            (Value::Region(a), Value::Region(b)) => a.bbox.iou(&b.bbox) < 0.5,
            _ => normalize(&crate::tools::builtin::plain(found)) != normalize(&crate::tools::builtin::plain(truth)),
        }
    }

    /// A trace JSON value back into a runtime value over this judge's image.
    fn value(&self, j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Object(o) if o.contains_key("region") => {
                let b: Vec<f64> = o["region"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default();
                if b.len() != 4 {
                    return Value::None;
                }
                let mut r = Region::new(self.image.clone(), BBox { x0: b[0], y0: b[1], x1: b[2], y1: b[3] });
                r.label = o.get("label").and_then(|l| l.as_str()).map(Into::into);
                Value::Region(r)
            }
            serde_json::Value::Object(o) if o.contains_key("image") && o.contains_key("width") => Value::Image(self.image.clone()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(|x| self.value(x)).collect()),
            other => json_to_value(other),
        }
    }
}

struct NoLambdas(crate::Limits);
impl crate::tools::Applier for NoLambdas {
    fn apply(&mut self, _: &crate::value::Lambda, _: Value) -> Result<Value, crate::Diagnostic> {
        Err(crate::Diagnostic::new(crate::Code::E201, "the judge replays perception calls only"))
    }
    fn limits(&self) -> &crate::Limits {
        &self.0
    }
}

fn boxes(v: &Value) -> Vec<BBox> {
    match v {
        Value::List(items) => items.iter().filter_map(|i| if let Value::Region(r) = i { Some(r.bbox) } else { None }).collect(),
        _ => Vec::new(),
    }
}

/// Same objects: equal counts and every expected box matched by a found one (IoU ≥ 0.5).
fn same_detections(found: &[BBox], truth: &[BBox]) -> bool {
    let mut used = vec![false; found.len()];
    found.len() == truth.len()
        && truth.iter().all(|t| {
            let best = found.iter().enumerate().filter(|(i, _)| !used[*i]).max_by(|a, b| a.1.iou(t).total_cmp(&b.1.iou(t)));
            match best {
                Some((i, f)) if f.iou(t) >= 0.5 => {
                    used[i] = true;
                    true
                }
                _ => false,
            }
        })
}

impl Judge for OracleJudge {
    fn judge(&self, record: &TraceRecord) -> Option<String> {
        if let Some(m) = self.judge_calls(record) {
            return Some(m);
        }
        let target = record.target.as_ref()?;
        let truth = self.expected.get(target)?;
        if let Some(e) = &record.error {
            return Some(format!("computing {target} failed ({}), which does not fit the expected answer", e.message));
        }
        let found = record.result.as_ref().map(|r| self.value(&r.value))?;
        self.differs(&found, truth).then(|| {
            let what = match &found {
                Value::List(l) if l.is_empty() => "nothing".to_string(),
                Value::List(l) => format!("{} items", l.len()),
                v => v.describe(),
            };
            format!("{target} is {what}, which does not fit the expected answer")
        })
    }
}

impl OracleJudge {
    fn judge_calls(&self, record: &TraceRecord) -> Option<String> {
        for call in &record.calls {
            if !PERCEPTION.contains(&call.tool.as_str()) {
                continue;
            }
            let Some(tool) = self.oracle.get(&call.tool) else { continue };
            let sig = tool.signature();
            let values: Vec<Value> = sig.params.iter().map(|p| call.args.get(&p.name).map(|j| self.value(j)).unwrap_or(Value::None)).collect();
            let args = Args::new(sig.params.iter().map(|p| p.name.clone()).collect(), values);
            let mut ctx_state = NoLambdas(crate::Limits::default());
            let Ok(truth) = tool.call(&args, &mut ToolCtx::new(&mut ctx_state)) else { continue };
            // A result cut for the trace (see docs/trace-schema.md) cannot be compared: judge no further.
            let Some(found) = call.result.as_ref().filter(|j| j.get("cut").is_none()).map(|j| self.value(j)) else { continue };
            let query = call.args.get("query").or(call.args.get("question")).and_then(|q| q.as_str()).unwrap_or("");
            match call.tool.as_str() {
                "detect" => {
                    let (f, t) = (boxes(&found), boxes(&truth));
                    if !same_detections(&f, &t) {
                        let what = if f.is_empty() { "nothing".to_string() } else { format!("{} region(s)", f.len()) };
                        return Some(format!("detect(\"{query}\") found {what}, which does not fit the expected answer"));
                    }
                }
                tool => {
                    let (f, t) = (crate::tools::builtin::plain(&found), crate::tools::builtin::plain(&truth));
                    if normalize(&f) != normalize(&t) {
                        let arg = if query.is_empty() { String::new() } else { format!(", \"{query}\"") };
                        return Some(format!("{tool}(…{arg}) said \"{f}\", which does not fit the expected answer"));
                    }
                }
            }
        }
        None
    }
}

/// The optional LLM judge, through the same OpenAI-compatible endpoint as the teacher: shown the
/// question, the target answer, the step and its observation, it answers `yes: <reason>` when the
/// observation contradicts what the target implies.
pub struct LlmJudge {
    pub client: crate::pipeline::teacher::openai::OpenAiTeacher,
    pub question: String,
    pub target: String,
}

impl LlmJudge {
    pub fn messages(&self, record: &TraceRecord) -> Vec<serde_json::Value> {
        vec![
            serde_json::json!({"role": "system", "content": "You check one step of a visual reasoning workflow. Reply `yes: <reason>` if the step's result contradicts what the correct answer implies (e.g. nothing was detected although the answer needs the object), otherwise reply `no`."}),
            serde_json::json!({"role": "user", "content": format!("Question: {}\nCorrect answer: {}\nStep: {}\nResult: {}\nDoes the result contradict the correct answer?", self.question, self.target, record.source, record.observation)}),
        ]
    }
}

/// Read a judge reply: `yes: reason` → Some(reason).
pub fn parse_verdict(reply: &str) -> Option<String> {
    let r = reply.trim();
    let lower = r.to_lowercase();
    if !lower.starts_with("yes") {
        return None;
    }
    let reason = r[3..].trim_start_matches([':', ',', '.', ' ', '-']).trim();
    Some(if reason.is_empty() { "the result contradicts the expected answer".into() } else { reason.lines().next().unwrap_or("").to_string() })
}

impl Judge for LlmJudge {
    fn judge(&self, record: &TraceRecord) -> Option<String> {
        self.client.chat(self.messages(record), 48).ok().and_then(|r| parse_verdict(&r))
    }
}

/// Several judges: the first discrepancy any of them finds.
pub struct Judges(pub Vec<Box<dyn Judge>>);

impl Judge for Judges {
    fn judge(&self, record: &TraceRecord) -> Option<String> {
        self.0.iter().find_map(|j| j.judge(record))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_verdict;

    #[test]
    fn verdicts_parse() {
        assert_eq!(parse_verdict("yes: no shoe was found"), Some("no shoe was found".into()));
        assert_eq!(parse_verdict("Yes."), Some("the result contradicts the expected answer".into()));
        assert_eq!(parse_verdict("no"), None);
        assert_eq!(parse_verdict("  No, it fits"), None);
    }
}
