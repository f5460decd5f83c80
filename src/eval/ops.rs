//! Operators, indexing and the limits on produced values.

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::syntax::{BinOp, UnOp};
use crate::value::Value;

pub fn check_text(t: &str, limits: &Limits) -> Result<(), Diagnostic> {
    if t.len() > limits.max_text_len {
        return Err(Diagnostic::new(Code::E304, format!("text of {} bytes exceeds the limit of {}", t.len(), limits.max_text_len)));
    }
    Ok(())
}

pub fn list_too_long(n: usize, limits: &Limits) -> Diagnostic {
    Diagnostic::new(Code::E303, format!("a list of {n} items exceeds the limit of {}", limits.max_list_len))
}

/// Bound what a tool returns, in O(1): its own length and its expanded size (nesting, nodes,
/// bytes). Items inside it were bounded when they were built (a tool builds lists only from
/// bounded inputs, and plugin output is bounded as it is decoded).
pub fn check_result(v: Value, limits: &Limits) -> Result<Value, Diagnostic> {
    match &v {
        Value::Text(t) => check_text(t, limits)?,
        Value::List(items) if items.len() > limits.max_list_len => return Err(list_too_long(items.len(), limits)),
        _ => {}
    }
    v.size().check(limits)?;
    Ok(v)
}

/// Work units a binary operation costs beyond its operands' evaluation: comparing walks the
/// smaller operand, joining copies the items or bytes.
pub fn binary_cost(op: BinOp, l: &Value, r: &Value) -> u64 {
    match (op, l, r) {
        (BinOp::Eq | BinOp::Ne, _, _) => l.size().nodes.min(r.size().nodes),
        (BinOp::Add, Value::List(a), Value::List(b)) => (a.len() + b.len()) as u64,
        (BinOp::Add, Value::Text(a), Value::Text(b)) => (a.len() + b.len()) as u64 / 64,
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Value::Text(a), Value::Text(b)) => a.len().min(b.len()) as u64 / 64,
        _ => 0,
    }
}

pub fn unary(op: UnOp, v: Value) -> Result<Value, Diagnostic> {
    match (op, v) {
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnOp::Neg, Value::Number(n)) => Ok(Value::Number(-n)),
        (UnOp::Not, v) => Err(Diagnostic::new(Code::E201, format!("`not` needs a bool, got {}", v.kind()))),
        (UnOp::Neg, v) => Err(Diagnostic::new(Code::E201, format!("`-` needs a number, got {}", v.kind()))),
    }
}

/// `and`/`or` decided by the left side alone.
pub fn short_circuit(op: BinOp, l: &Value) -> Result<Option<Value>, Diagnostic> {
    match (op, l) {
        (BinOp::And, Value::Bool(false)) => Ok(Some(Value::Bool(false))),
        (BinOp::Or, Value::Bool(true)) => Ok(Some(Value::Bool(true))),
        (BinOp::And | BinOp::Or, Value::Bool(_)) => Ok(None),
        (BinOp::And | BinOp::Or, v) => Err(Diagnostic::new(Code::E201, format!("`{}` needs bools, got {}", op.symbol(), v.kind()))),
        _ => Ok(None),
    }
}

pub fn binary(op: BinOp, l: Value, r: Value, limits: &Limits) -> Result<Value, Diagnostic> {
    use Value::*;
    let mismatch = |l: &Value, r: &Value| {
        Diagnostic::new(Code::E201, format!("`{}` cannot combine {} and {}", op.symbol(), l.kind(), r.kind()))
    };
    Ok(match op {
        BinOp::And | BinOp::Or => match r {
            Bool(b) => Bool(b),
            v => return Err(Diagnostic::new(Code::E201, format!("`{}` needs bools, got {}", op.symbol(), v.kind()))),
        },
        BinOp::Eq => Bool(l.equals(&r)),
        BinOp::Ne => Bool(!l.equals(&r)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (&l, &r) {
                (Number(a), Number(b)) => a.partial_cmp(b),
                (Text(a), Text(b)) => Some(a.cmp(b)),
                _ => return Err(mismatch(&l, &r)),
            };
            let Some(ord) = ord else { return Ok(Bool(false)) };
            Bool(match op {
                BinOp::Lt => ord.is_lt(),
                BinOp::Le => ord.is_le(),
                BinOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        BinOp::Add => match (&l, &r) {
            (Number(a), Number(b)) => Number(a + b),
            (Text(a), Text(b)) => {
                if a.len() + b.len() > limits.max_text_len {
                    return Err(Diagnostic::new(Code::E304,
                        format!("text of {} bytes exceeds the limit of {}", a.len() + b.len(), limits.max_text_len)));
                }
                Value::text(format!("{a}{b}"))
            }
            (List(a), List(b)) => {
                if a.len() + b.len() > limits.max_list_len {
                    return Err(list_too_long(a.len() + b.len(), limits));
                }
                let v = Value::list(a.iter().chain(b.iter()).cloned().collect());
                v.size().check(limits)?;
                v
            }
            _ => return Err(mismatch(&l, &r)),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
            let (Number(a), Number(b)) = (&l, &r) else { return Err(mismatch(&l, &r)) };
            let (a, b) = (*a, *b);
            if matches!(op, BinOp::Div | BinOp::Rem) && b == 0.0 {
                return Err(Diagnostic::new(Code::E203, format!("`{}` by zero", op.symbol())));
            }
            let v = match op {
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                _ => a % b,
            };
            if !v.is_finite() {
                return Err(Diagnostic::new(Code::E205, "the result is not a finite number"));
            }
            Number(v)
        }
    })
}

pub fn index(base: &Value, idx: &Value) -> Result<Value, Diagnostic> {
    let pos = |n: f64, len: usize| -> Result<usize, Diagnostic> {
        if n.fract() != 0.0 {
            return Err(Diagnostic::new(Code::E201, format!("an index must be a whole number, got {n}")));
        }
        let i = if n < 0.0 { len as f64 + n } else { n };
        if i < 0.0 || i >= len as f64 {
            return Err(Diagnostic::new(Code::E202, format!("index {n} is out of range for length {len}"))
                .help(if len == 0 { "the list is empty: check it with exists(...) or count(...) first" } else { "indices start at 0; -1 is the last item" }));
        }
        Ok(i as usize)
    };
    match (base, idx) {
        (Value::List(items), Value::Number(n)) => Ok(items[pos(*n, items.len())?].clone()),
        (Value::Text(t), Value::Number(n)) => {
            let i = pos(*n, t.chars().count())?;
            Ok(Value::text(t.chars().nth(i).map(String::from).unwrap_or_default()))
        }
        (Value::Record(f), Value::Text(k)) => f.get(k.as_ref()).cloned()
            .ok_or_else(|| Diagnostic::new(Code::E204, format!("record has no key {k:?}"))),
        (b, i) => Err(Diagnostic::new(Code::E201, format!("cannot index {} with {}", b.kind(), i.kind()))),
    }
}
