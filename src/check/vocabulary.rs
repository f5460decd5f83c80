//! Warnings (W101) for literal query words a tool does not understand: `detect(image, "teal
//! shape")` checks, but the detector knows no `teal`. A warning does not reject the program —
//! the tool itself refuses the word at run time (E402) — but it tells the writer before anything
//! runs, and a policy shown it learns the tool's vocabulary.

use crate::diag::{Code, Diagnostic};
use crate::syntax::{Expr, ExprKind, Stmt};
use crate::tools::Registry;

/// At most this many warnings per check.
const MAX_WARNINGS: usize = 50;

/// Every literal text argument of a call whose parameter declares a vocabulary, checked against
/// it. Walks each statement's expression tree once, without recursion.
pub fn vocabulary_warnings(steps: &[Stmt], registry: &Registry) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut stack: Vec<&Expr> = steps.iter().filter_map(Stmt::expr).collect();
    while let Some(e) = stack.pop() {
        if out.len() >= MAX_WARNINGS {
            break;
        }
        match &e.kind {
            ExprKind::Call { tool, args } => {
                if let Some(t) = registry.get(&tool.name) {
                    let sig = t.signature();
                    for (i, a) in args.iter().enumerate() {
                        let param = match &a.name {
                            Some(n) => sig.params.iter().find(|p| p.name == n.name),
                            None => sig.params.get(i),
                        };
                        let (Some(p), ExprKind::Text(text)) = (param, &a.value.kind) else { continue };
                        let unknown = p.unknown_words(text);
                        if unknown.is_empty() {
                            continue;
                        }
                        let words: Vec<String> = unknown.iter().take(8).map(|w| format!("`{w}`")).collect();
                        let shown: Vec<&str> = p.vocab.iter().take(60).map(String::as_str).collect();
                        out.push(
                            Diagnostic::new(Code::W101, format!("`{}` does not know {} in its `{}`", sig.name, words.join(", "), p.name))
                                .at(a.value.span)
                                .tool(&sig.name)
                                .help(format!("it knows: {}{}", shown.join(", "), if p.vocab.len() > shown.len() { ", …" } else { "" })),
                        );
                    }
                }
                stack.extend(args.iter().map(|a| &a.value));
            }
            ExprKind::List(items) => stack.extend(items),
            ExprKind::Index { base, index } => stack.extend([&**base, &**index]),
            ExprKind::Field { base, .. } => stack.push(base),
            ExprKind::Unary { operand, .. } => stack.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => stack.extend([&**lhs, &**rhs]),
            ExprKind::If { cond, then, otherwise } => stack.extend([&**cond, &**then, &**otherwise]),
            ExprKind::Lambda { body, .. } => stack.push(body),
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) | ExprKind::None | ExprKind::Var(_) => {}
        }
    }
    out.sort_by_key(|d| d.span.map(|s| s.start));
    out
}
