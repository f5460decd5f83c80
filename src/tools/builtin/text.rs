//! Text and small conversions.

use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, FnTool, Param, Signature, ToolCtx};
use crate::types::Type;
use crate::value::{fmt_number, Value};
use serde_json::json;

fn t(sig: Signature, f: fn(&Args, &mut ToolCtx<'_>) -> Result<Value, Diagnostic>) -> FnTool {
    FnTool { sig, f }
}

pub fn tools() -> Vec<FnTool> {
    let text = |n: &str| Param::req(n, Type::Text);
    vec![
        t(Signature::new("lower", vec![text("text")], Type::Text, "Lower-case text."), |a, c| {
            let s = bytes_work(a.text(0)?, c)?.to_lowercase();
            check_len(&s, c)?;
            Ok(Value::text(s))
        }),
        t(Signature::new("upper", vec![text("text")], Type::Text, "Upper-case text."), |a, c| {
            let s = bytes_work(a.text(0)?, c)?.to_uppercase();
            check_len(&s, c)?;
            Ok(Value::text(s))
        }),
        t(Signature::new("contains", vec![Param::one_of("container", &[Type::Text, Type::list(Type::Any)]), Param::req("item", Type::Any).member_of(0)], Type::Bool,
            "Does a text contain a text, or a list contain a value?"), contains),
        t(Signature::new("to_yesno", vec![Param::req("value", Type::Bool)], Type::Text, "\"yes\" for true, \"no\" for false."),
            |a, _| Ok(Value::text(if a.bool(0)? { "yes" } else { "no" }))),
        t(Signature::new("text", vec![Param::req("value", Type::Any)], Type::Text, "A value as text (numbers without trailing zeros)."), to_text),
        t(Signature::new("number", vec![text("text")], Type::Number, "Parse a number from text."), |a, _| {
            let s = a.text(0)?.trim();
            s.parse::<f64>().ok().filter(|n| n.is_finite()).map(Value::Number)
                .ok_or_else(|| Diagnostic::new(Code::E205, format!("{s:?} is not a number")))
        }),
        t(Signature::new("join", vec![Param::req("list", Type::list(Type::Any)), Param::opt("sep", Type::Text, json!(", "))], Type::Text,
            "Join items as text with a separator."), join),
        t(Signature::new("round", vec![Param::req("value", Type::Number), Param::opt("digits", Type::Number, json!(0))], Type::Number,
            "Round to `digits` decimal places."), |a, _| {
            let d = a.number(1)?.clamp(0.0, 12.0) as i32;
            let m = 10f64.powi(d);
            Ok(Value::Number((a.number(0)? * m).round() / m))
        }),
        t(Signature::new("abs", vec![Param::req("value", Type::Number)], Type::Number, "Absolute value."), |a, _| Ok(Value::Number(a.number(0)?.abs()))),
        t(Signature::new("same_text", vec![text("a"), text("b")], Type::Bool,
            "Equal after VQA normalisation (case, punctuation, articles, surrounding space)."),
            |a, c| Ok(Value::Bool(normalize(bytes_work(a.text(0)?, c)?) == normalize(bytes_work(a.text(1)?, c)?)))),
    ]
}

/// VQA-style answer normalisation: lower case, no punctuation, no articles, single spaces.
pub fn normalize(s: &str) -> String {
    let cleaned: String = s.to_lowercase().chars().map(|c| if c.is_alphanumeric() || c == '.' { c } else { ' ' }).collect();
    cleaned
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !matches!(*w, "a" | "an" | "the" | ""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Charge the work of reading a text (one unit per 64 bytes) and pass it on.
fn bytes_work<'a>(s: &'a str, ctx: &mut ToolCtx<'_>) -> Result<&'a str, Diagnostic> {
    ctx.charge(s.len() as u64 / 64)?;
    Ok(s)
}

fn contains(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    match (a.get(0), a.get(1)) {
        (Value::Text(h), Value::Text(n)) => Ok(Value::Bool(bytes_work(h, ctx)?.contains(n.as_ref()))),
        (Value::List(l), item) => {
            for v in l.iter() {
                ctx.charge(v.size().nodes.min(item.size().nodes))?;
                if v.equals(item) {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        (Value::Text(_), i) => Err(Diagnostic::new(Code::E201, format!("contains: a text contains texts, and `item` is {}", i.kind()))),
        (c, _) => Err(Diagnostic::new(Code::E201, format!("contains needs a text or a list, got {}", c.kind()))),
    }
}

pub fn plain_text(v: &Value) -> String {
    match v {
        Value::Text(t) => t.to_string(),
        Value::Number(n) => fmt_number(*n),
        other => other.describe(),
    }
}

fn to_text(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let s = plain_text(a.get(0));
    check_len(&s, ctx)?;
    Ok(Value::text(s))
}

fn join(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let sep = a.text(1)?;
    let mut s = String::new();
    for (i, v) in a.list(0)?.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        let part = plain_text(v);
        ctx.charge(1 + part.len() as u64 / 64)?;
        s.push_str(&part);
        check_len(&s, ctx)?;
    }
    Ok(Value::text(s))
}

fn check_len(s: &str, ctx: &mut ToolCtx<'_>) -> Result<(), Diagnostic> {
    let max = ctx.limits().max_text_len;
    if s.len() > max {
        return Err(Diagnostic::new(Code::E304, format!("text of {} bytes exceeds the limit of {max}", s.len())));
    }
    Ok(())
}
