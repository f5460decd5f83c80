//! Values as JSON (traces, answers) and as observation text, both bounded.
//!
//! A value may be large (up to `Limits::max_value_nodes` expanded nodes), so nothing that is
//! written out walks all of it: JSON stops after a budget of nodes and text bytes and marks the
//! cut as `{"cut": {"nodes", "bytes", "len"?}, "head": <what fits>}`, stating the full size;
//! a list or record nested deeper than [`JSON_MAX_DEPTH`] is cut the same way with an empty head
//! (and `"depth"`), so every JSON dwim writes reads back within serde_json's nesting limit of 128;
//! observation text stops after a budget of characters.

use super::{fmt_number, Value};
use serde_json::json;
use std::fmt::Write;

/// What is left to write: nodes and text bytes.
struct Budget {
    nodes: usize,
    bytes: usize,
}

impl Budget {
    fn take_node(&mut self) -> bool {
        if self.nodes == 0 {
            return false;
        }
        self.nodes -= 1;
        true
    }
}

/// Text bytes a bounded JSON may hold per node of its budget.
pub const JSON_BYTES_PER_NODE: usize = 64;

/// Lists and records nested in a value's JSON: deeper ones are cut. With a trace record's own
/// levels around it this stays well inside the 128 levels a JSON reader (serde_json) accepts, so
/// a trace of a value as deep as `Limits::max_depth` allows reads back.
pub const JSON_MAX_DEPTH: usize = 64;

impl Value {
    /// JSON for traces and answers, at most `max_nodes` values and `max_nodes * 64` text bytes;
    /// a list, record or text that does not fit is cut (see the module doc). Images appear by
    /// content hash, never by pixels.
    pub fn to_json_bounded(&self, max_nodes: usize) -> serde_json::Value {
        let mut b = Budget { nodes: max_nodes.max(1), bytes: max_nodes.max(1).saturating_mul(JSON_BYTES_PER_NODE) };
        self.json_in(&mut b, 0)
    }

    /// JSON of a value known to be small (a few nodes): a tool argument, a record field.
    pub fn to_json(&self) -> serde_json::Value {
        self.to_json_bounded(4096)
    }

    fn json_in(&self, b: &mut Budget, depth: usize) -> serde_json::Value {
        b.take_node();
        if depth >= JSON_MAX_DEPTH && matches!(self, Value::List(_) | Value::Record(_)) {
            let s = self.size();
            let len = match self {
                Value::List(items) => items.len(),
                Value::Record(fields) => fields.len(),
                _ => 0,
            };
            return json!({"cut": {"len": len, "nodes": s.nodes, "bytes": s.bytes, "depth": s.depth}, "head": []});
        }
        match self {
            Value::None => serde_json::Value::Null,
            Value::Bool(v) => json!(v),
            Value::Number(n) => json!(n),
            Value::Text(t) => text_in(t, b),
            Value::Image(img) => json!({"image": img.hash(), "width": img.width(), "height": img.height()}),
            Value::Region(r) => {
                let bx = r.bbox;
                let mut v = json!({"region": [bx.x0, bx.y0, bx.x1, bx.y1], "image": r.image.hash()});
                if let Some(l) = &r.label {
                    v["label"] = text_in(l, b);
                }
                if let Some(s) = r.score {
                    v["score"] = json!(s);
                }
                v
            }
            Value::List(items) => {
                let mut out = Vec::new();
                for v in items.iter() {
                    if b.nodes == 0 || b.bytes == 0 && v.size().bytes > 0 {
                        break;
                    }
                    out.push(v.json_in(b, depth + 1));
                }
                if out.len() == items.len() {
                    return serde_json::Value::Array(out);
                }
                let s = items.size();
                json!({"cut": {"len": items.len(), "nodes": s.nodes, "bytes": s.bytes}, "head": out})
            }
            Value::Record(fields) => {
                let mut out = serde_json::Map::new();
                for (k, v) in fields.iter() {
                    if b.nodes == 0 || b.bytes < k.len() {
                        break;
                    }
                    b.bytes -= k.len();
                    out.insert(k.clone(), v.json_in(b, depth + 1));
                }
                if out.len() == fields.len() {
                    return serde_json::Value::Object(out);
                }
                let s = fields.size();
                json!({"cut": {"len": fields.len(), "nodes": s.nodes, "bytes": s.bytes}, "head": out})
            }
            Value::Lambda(l) => json!({"fn": l.param}),
        }
    }

    /// The observation text a model sees: compact, deterministic, at most about
    /// [`DESCRIBE_MAX`] bytes whatever the value (lists show 12 items, texts 200 bytes, nesting 4).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        self.describe_into(&mut s, 0);
        s
    }

    fn describe_into(&self, out: &mut String, depth: usize) {
        const MAX_ITEMS: usize = 12;
        const MAX_TEXT: usize = 200;
        if out.len() > DESCRIBE_MAX {
            out.push('…');
            return;
        }
        match self {
            Value::None => out.push_str("none"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&fmt_number(*n)),
            Value::Text(t) => quoted(out, t, MAX_TEXT),
            Value::Image(img) => {
                let _ = write!(out, "image({}x{})", img.width(), img.height());
            }
            Value::Region(r) => {
                let b = r.bbox;
                let _ = write!(out, "region({}, {}, {}, {}", fmt_number(b.x0), fmt_number(b.y0), fmt_number(b.x1), fmt_number(b.y1));
                if let Some(l) = &r.label {
                    out.push_str(", ");
                    quoted(out, l, MAX_TEXT);
                }
                if let Some(sc) = r.score {
                    let _ = write!(out, ", score={:.2}", sc);
                }
                out.push(')');
            }
            Value::List(items) => {
                if depth > 3 {
                    let _ = write!(out, "[… {} item{}]", items.len(), if items.len() == 1 { "" } else { "s" });
                    return;
                }
                out.push('[');
                for (i, v) in items.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.describe_into(out, depth + 1);
                }
                if items.len() > MAX_ITEMS {
                    let _ = write!(out, ", … {} more", items.len() - MAX_ITEMS);
                }
                out.push(']');
            }
            Value::Record(fields) => {
                if depth > 3 {
                    let _ = write!(out, "{{… {} fields}}", fields.len());
                    return;
                }
                out.push('{');
                for (i, (k, v)) in fields.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{}: ", cut_str(k, MAX_TEXT));
                    v.describe_into(out, depth + 1);
                }
                if fields.len() > MAX_ITEMS {
                    let _ = write!(out, ", … {} more", fields.len() - MAX_ITEMS);
                }
                out.push('}');
            }
            Value::Lambda(l) => {
                let _ = write!(out, "<fn {} -> …>", l.param);
            }
        }
    }
}

/// Bytes after which an observation stops growing (the item that crosses it is finished).
pub const DESCRIBE_MAX: usize = 4096;

fn text_in(t: &str, b: &mut Budget) -> serde_json::Value {
    if t.len() <= b.bytes {
        b.bytes -= t.len();
        return json!(t);
    }
    let head = cut_str(t, b.bytes);
    b.bytes = 0;
    json!({"cut": {"bytes": t.len()}, "head": head})
}

/// The longest prefix of `t` of at most `max` bytes that ends on a character boundary.
pub fn cut_str(t: &str, max: usize) -> &str {
    if t.len() <= max {
        return t;
    }
    let cut = (0..=max).rev().find(|&i| t.is_char_boundary(i)).unwrap_or(0);
    &t[..cut]
}

fn quoted(out: &mut String, t: &str, max: usize) {
    if t.len() > max {
        let _ = write!(out, "{:?}… ({} bytes)", cut_str(t, max), t.len());
    } else {
        let _ = write!(out, "{t:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_of_a_shared_tree_is_cut_and_says_its_size() {
        let mut a = Value::list(vec![Value::Number(1.0), Value::Number(2.0)]);
        for _ in 0..30 {
            a = Value::list(vec![a.clone(), a.clone()]);
        }
        let j = a.to_json_bounded(100);
        let text = j.to_string();
        assert!(text.len() < 10_000, "{} bytes", text.len());
        assert_eq!(j["cut"]["nodes"], a.size().nodes);
        let d = a.describe();
        assert!(d.len() < DESCRIBE_MAX + 200, "{} bytes", d.len());
    }

    #[test]
    fn json_of_a_deep_value_is_cut_and_reads_back() {
        let mut a = Value::Number(1.0);
        for _ in 0..127 {
            a = Value::list(vec![a]);
        }
        let text = serde_json::json!({"record": {"value": a.to_json_bounded(4096)}}).to_string();
        let back: serde_json::Value = serde_json::from_str(&text).expect("within serde_json's 128 levels");
        let mut at = &back["record"]["value"];
        for _ in 0..JSON_MAX_DEPTH {
            at = &at[0];
        }
        assert_eq!(at["cut"]["depth"], 127 - JSON_MAX_DEPTH as u64, "{at}");
        assert_eq!(at["head"], serde_json::json!([]));
    }

    #[test]
    fn small_values_are_whole_and_long_texts_cut() {
        let v = Value::list(vec![Value::Number(1.0), Value::text("ab")]);
        assert_eq!(v.to_json_bounded(10), json!([1.0, "ab"]));
        let long = Value::text("é".repeat(1000));
        let j = long.to_json_bounded(2);
        assert_eq!(j["cut"]["bytes"], 2000);
        assert!(j["head"].as_str().unwrap().len() <= 128);
    }
}
