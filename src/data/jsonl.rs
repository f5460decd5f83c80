//! The plain JSON Lines form, one question a line:
//!
//! ```text
//! {"id": "q1", "image": "images/a.png", "question": "How many cats?", "answer": 2,
//!  "family": "count", "split": "test", "program": "cats = detect(image, \"cat\")\nanswer count(cats)"}
//! {"id": "q2", "images": {"left": "l.png", "right": "r.png"}, "question": "…", "answer": "yes"}
//! ```
//!
//! `answer` is text, a number, a bool (read as yes/no) or a box `[x0, y0, x1, y1]` / `{"box": […]}`.
//! A line that is not such a record is E504 naming `file:line`.

use super::{Answer, Item};
use crate::diag::{Code, Diagnostic};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    id: serde_json::Value,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    images: BTreeMap<String, String>,
    question: String,
    answer: serde_json::Value,
    #[serde(default)]
    family: String,
    #[serde(default)]
    split: String,
    #[serde(default)]
    program: Option<String>,
    #[serde(default)]
    iou: Option<f64>,
    /// Bench-world questions carry their scene id; kept so a converted benchmark still names it.
    #[serde(default)]
    scene: Option<String>,
}

fn answer_of(v: &serde_json::Value) -> Option<Answer> {
    use serde_json::Value as J;
    let four = |a: &Vec<J>| -> Option<[f64; 4]> {
        let xs: Vec<f64> = a.iter().filter_map(|x| x.as_f64()).collect();
        (a.len() == 4 && xs.len() == 4).then(|| [xs[0], xs[1], xs[2], xs[3]])
    };
    match v {
        J::String(s) => Some(Answer::Text(s.clone())),
        J::Number(n) => Some(Answer::Text(crate::value::fmt_number(n.as_f64()?))),
        J::Bool(b) => Some(Answer::Text(if *b { "yes" } else { "no" }.into())),
        J::Array(a) => four(a).map(Answer::Box),
        J::Object(o) => o.get("box").and_then(|b| b.as_array()).and_then(four).map(Answer::Box),
        J::Null => None,
    }
}

/// Items of one JSON Lines file, with the line each came from.
pub fn load(path: &Path) -> Result<Vec<(usize, Item)>, Diagnostic> {
    let mut out = Vec::new();
    crate::io::for_each_json_line(path, crate::Limits::default().max_record_bytes, |line, r: Record| {
        let bad = |why: &str| crate::io::bad_record(path, line, why);
        let id = match &r.id {
            serde_json::Value::String(s) if !s.trim().is_empty() => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(bad("\"id\" must be a non-empty string or a number")),
        };
        let answer = answer_of(&r.answer).ok_or_else(|| bad("\"answer\" must be text, a number, a bool or a box [x0, y0, x1, y1]"))?;
        let image = match (r.image, r.images.values().next()) {
            (Some(i), _) if !i.is_empty() => i,
            (_, Some(first)) => first.clone(),
            _ => return Err(bad("needs \"image\" (a path) or \"images\" (name → path)")),
        };
        if let Some(name) = r.images.keys().find(|k| !is_variable(k)) {
            return Err(bad(&format!("image name {name:?} is not a variable name (letters, digits, _)")));
        }
        out.push((line, Item { id, image, images: r.images, question: r.question, answer, family: r.family, split: r.split, scene: r.scene, program: r.program, iou: r.iou }));
        Ok(())
    })?;
    Ok(out)
}

fn is_variable(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_') && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// One item as a JSON Lines record, its image paths replaced by `image_path` of each.
pub fn record(item: &Item, image_path: impl Fn(&str) -> String) -> serde_json::Value {
    let mut it = item.clone();
    it.image = image_path(&item.image);
    it.images = item.images.iter().map(|(k, v)| (k.clone(), image_path(v))).collect();
    let mut v = serde_json::to_value(&it).unwrap_or_default();
    if let (Some(o), Answer::Box(b)) = (v.as_object_mut(), &item.answer) {
        o.insert("answer".into(), serde_json::json!({"box": b}));
    }
    v
}

/// E504 for a question id that appears twice, naming both places.
pub fn duplicate(id: &str, first: &str, again: &str) -> Diagnostic {
    Diagnostic::new(Code::E504, format!("question id {id:?} appears twice ({first} and {again})")).help("every question needs its own id: results, shards and resumption are keyed by it")
}
