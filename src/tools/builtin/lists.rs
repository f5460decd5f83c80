//! Lists: counting, higher-order functions (with pure lambdas), extremes.

use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, FnTool, Param, Signature, ToolCtx};
use crate::types::Type;
use crate::value::Value;
use serde_json::json;
use std::cmp::Ordering;

fn t(sig: Signature, f: fn(&Args, &mut ToolCtx<'_>) -> Result<Value, Diagnostic>) -> FnTool {
    FnTool { sig, f }
}

pub fn tools() -> Vec<FnTool> {
    let list = || Param::req("list", Type::list(Type::Any));
    let func = || Param::req("fn", Type::Fn);
    vec![
        t(Signature::new("len", vec![Param::one_of("value", &[Type::Text, Type::list(Type::Any)])], Type::Number, "Number of items in a list, or characters in a text."), len),
        t(Signature::new("count", vec![list()], Type::Number, "Number of items in a list."), |a, _| Ok(Value::Number(a.list(0)?.len() as f64))),
        t(Signature::new("exists", vec![list()], Type::Bool, "Is the list non-empty?"), |a, _| Ok(Value::Bool(!a.list(0)?.is_empty()))),
        t(Signature::new("filter", vec![list(), Param::func("fn", &[Type::Bool])], Type::list(Type::Any), "The items for which `fn` returns true.").like(0), filter),
        t(Signature::new("map", vec![list(), func()], Type::list(Type::Any), "`fn` applied to every item.").list_of_fn(1), map),
        t(Signature::new("sort_by", vec![list(), Param::func("fn", &[Type::Number, Type::Text]), Param::opt("descending", Type::Bool, json!(false))], Type::list(Type::Any),
            "The items ordered by the number or text `fn` returns (stable).").like(0), sort_by),
        t(Signature::new("max_by", vec![list(), Param::func("fn", &[Type::Number, Type::Text])], Type::Any, "The item for which `fn` returns the largest value (a number, or a text: the last in alphabetical order).").elem_of(0), |a, c| extreme_by(a, c, true)),
        t(Signature::new("min_by", vec![list(), Param::func("fn", &[Type::Number, Type::Text])], Type::Any, "The item for which `fn` returns the smallest value (a number, or a text: the first in alphabetical order).").elem_of(0), |a, c| extreme_by(a, c, false)),
        t(Signature::new("max", vec![Param::req("list", Type::list(Type::Number))], Type::Number, "Largest number in a list."), |a, c| extreme(a, c, true)),
        t(Signature::new("min", vec![Param::req("list", Type::list(Type::Number))], Type::Number, "Smallest number in a list."), |a, c| extreme(a, c, false)),
        t(Signature::new("sum", vec![Param::req("list", Type::list(Type::Number))], Type::Number, "Sum of a list of numbers."), sum),
        t(Signature::new("first", vec![list()], Type::Any, "The first item (error if empty).").elem_of(0), |a, _| end(a, true)),
        t(Signature::new("last", vec![list()], Type::Any, "The last item (error if empty).").elem_of(0), |a, _| end(a, false)),
    ]
}

fn len(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    match a.get(0) {
        Value::List(l) => Ok(Value::Number(l.len() as f64)),
        Value::Text(t) => {
            ctx.charge(t.len() as u64 / 64)?;
            Ok(Value::Number(t.chars().count() as f64))
        }
        v => Err(Diagnostic::new(Code::E201, format!("len needs a list or text, got {}", v.kind()))),
    }
}

fn filter(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let f = a.lambda(1)?.clone();
    let mut out = Vec::new();
    for item in a.list(0)?.iter() {
        match ctx.apply(&f, item.clone())? {
            Value::Bool(true) => out.push(item.clone()),
            Value::Bool(false) => {}
            v => return Err(Diagnostic::new(Code::E201, format!("the filter function must return a bool, got {}", v.kind()))),
        }
    }
    Ok(Value::list(out))
}

fn map(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let f = a.lambda(1)?.clone();
    let out = a.list(0)?.iter().map(|item| ctx.apply(&f, item.clone())).collect::<Result<Vec<_>, _>>()?;
    Ok(Value::list(out))
}

fn keys(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Vec<(Value, Value)>, Diagnostic> {
    let f = a.lambda(1)?.clone();
    a.list(0)?
        .iter()
        .map(|item| {
            let k = ctx.apply(&f, item.clone())?;
            match k {
                Value::Number(_) | Value::Text(_) => Ok((k, item.clone())),
                v => Err(Diagnostic::new(Code::E201, format!("the key function must return a number or text, got {}", v.kind()))),
            }
        })
        .collect()
}

fn cmp_key(x: &Value, y: &Value) -> Ordering {
    match (x, y) {
        (Value::Number(p), Value::Number(q)) => p.total_cmp(q),
        (Value::Text(p), Value::Text(q)) => p.cmp(q),
        (Value::Number(_), _) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn sort_by(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let desc = a.bool(2)?;
    let mut ks = keys(a, ctx)?;
    // n log n comparisons, each of keys that are numbers or bounded texts.
    let n = ks.len() as u64;
    ctx.charge(n * (64 - n.leading_zeros() as u64))?;
    ks.sort_by(|x, y| if desc { cmp_key(&y.0, &x.0) } else { cmp_key(&x.0, &y.0) });
    Ok(Value::list(ks.into_iter().map(|(_, v)| v).collect()))
}

fn extreme_by(a: &Args, ctx: &mut ToolCtx<'_>, largest: bool) -> Result<Value, Diagnostic> {
    let ks = keys(a, ctx)?;
    let best = if largest {
        ks.into_iter().rev().max_by(|x, y| cmp_key(&x.0, &y.0))
    } else {
        ks.into_iter().min_by(|x, y| cmp_key(&x.0, &y.0))
    };
    best.map(|(_, v)| v).ok_or_else(|| Diagnostic::new(Code::E205, "the list is empty"))
}

fn numbers(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Vec<f64>, Diagnostic> {
    ctx.charge(a.list(0)?.len() as u64)?;
    a.list(0)?
        .iter()
        .map(|v| match v {
            Value::Number(n) => Ok(*n),
            v => Err(Diagnostic::new(Code::E201, format!("expected a list of numbers, found {}", v.kind()))),
        })
        .collect()
}

fn extreme(a: &Args, ctx: &mut ToolCtx<'_>, largest: bool) -> Result<Value, Diagnostic> {
    let ns = numbers(a, ctx)?;
    let it = ns.into_iter();
    let r = if largest { it.max_by(f64::total_cmp) } else { it.min_by(f64::total_cmp) };
    r.map(Value::Number).ok_or_else(|| Diagnostic::new(Code::E205, "the list is empty"))
}

fn sum(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    Ok(Value::Number(numbers(a, ctx)?.iter().sum()))
}

fn end(a: &Args, first: bool) -> Result<Value, Diagnostic> {
    let l = a.list(0)?;
    let v = if first { l.first() } else { l.last() };
    v.cloned().ok_or_else(|| Diagnostic::new(Code::E202, "the list is empty"))
}
