//! A compact S-expression form of the AST, for golden tests and `dwim check --ast`.

use super::ast::*;
use crate::value::fmt_number;

impl Expr {
    pub fn sexpr(&self) -> String {
        match &self.kind {
            ExprKind::Number(n) => fmt_number(*n),
            ExprKind::Text(t) => format!("{t:?}"),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::None => "none".into(),
            ExprKind::List(items) => format!("[{}]", items.iter().map(|e| e.sexpr()).collect::<Vec<_>>().join(" ")),
            ExprKind::Var(v) => v.clone(),
            ExprKind::Call { tool, args } => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| match &a.name {
                        Some(n) => format!("{}={}", n.name, a.value.sexpr()),
                        None => a.value.sexpr(),
                    })
                    .collect();
                format!("({}{}{})", tool.name, if args.is_empty() { "" } else { " " }, args.join(" "))
            }
            ExprKind::Index { base, index } => format!("(index {} {})", base.sexpr(), index.sexpr()),
            ExprKind::Field { base, field } => format!("(. {} {})", base.sexpr(), field.name),
            ExprKind::Unary { op, operand } => {
                format!("({} {})", if *op == UnOp::Not { "not" } else { "neg" }, operand.sexpr())
            }
            ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op.symbol(), lhs.sexpr(), rhs.sexpr()),
            ExprKind::If { cond, then, otherwise } => format!("(if {} {} {})", cond.sexpr(), then.sexpr(), otherwise.sexpr()),
            ExprKind::Lambda { param, body } => format!("(fn {} {})", param.name, body.sexpr()),
        }
    }
}

impl Stmt {
    pub fn sexpr(&self) -> String {
        match &self.kind {
            StmtKind::Assign { target, value } => format!("(= {} {})", target.name, value.sexpr()),
            StmtKind::Expr { value } => value.sexpr(),
            StmtKind::Think { text } => format!("(think {text:?})"),
            StmtKind::Rethink { text } => format!("(rethink {text:?})"),
            StmtKind::Answer { value } => format!("(answer {})", value.sexpr()),
        }
    }
}

impl Program {
    pub fn sexpr(&self) -> String {
        self.steps.iter().map(|s| s.sexpr() + "\n").collect()
    }
}
