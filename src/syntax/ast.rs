//! The abstract syntax tree. Every node carries the byte span it was parsed from.

use super::span::Span;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Program {
    pub steps: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One top-level statement: one step of a workflow.
#[derive(Debug, Clone, Serialize)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StmtKind {
    Assign { target: Ident, value: Expr },
    Expr { value: Expr },
    Think { text: String },
    Rethink { text: String },
    Answer { value: Expr },
}

impl StmtKind {
    /// The name used in traces and diagnostics.
    pub fn name(&self) -> &'static str {
        match self {
            StmtKind::Assign { .. } => "assign",
            StmtKind::Expr { .. } => "expr",
            StmtKind::Think { .. } => "think",
            StmtKind::Rethink { .. } => "rethink",
            StmtKind::Answer { .. } => "answer",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    Number(f64),
    Text(String),
    Bool(bool),
    None,
    List(Vec<Expr>),
    Var(String),
    Call { tool: Ident, args: Vec<Arg> },
    Index { base: Box<Expr>, index: Box<Expr> },
    Field { base: Box<Expr>, field: Ident },
    Unary { op: UnOp, operand: Box<Expr> },
    Binary { op: BinOp, lhs: Box<Expr>, rhs: Box<Expr> },
    If { cond: Box<Expr>, then: Box<Expr>, otherwise: Box<Expr> },
    Lambda { param: Ident, body: Box<Expr> },
}

#[derive(Debug, Clone, Serialize)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

impl Expr {
    /// Calls made anywhere inside this expression, outermost first.
    pub fn calls(&self) -> Vec<&Ident> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Call { tool, .. } = &e.kind {
                out.push(tool);
            }
        });
        out
    }

    /// Pre-order walk over this expression and its children.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::List(items) => items.iter().for_each(|e| e.walk(f)),
            ExprKind::Call { args, .. } => args.iter().for_each(|a| a.value.walk(f)),
            ExprKind::Index { base, index } => {
                base.walk(f);
                index.walk(f);
            }
            ExprKind::Field { base, .. } => base.walk(f),
            ExprKind::Unary { operand, .. } => operand.walk(f),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            ExprKind::If { cond, then, otherwise } => {
                cond.walk(f);
                then.walk(f);
                otherwise.walk(f);
            }
            ExprKind::Lambda { body, .. } => body.walk(f),
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) | ExprKind::None | ExprKind::Var(_) => {}
        }
    }
}

impl Expr {
    /// Variables this expression reads (lambda parameters excluded inside their lambda).
    pub fn free_vars(&self, out: &mut std::collections::BTreeSet<String>) {
        fn go(e: &Expr, bound: &mut Vec<String>, out: &mut std::collections::BTreeSet<String>) {
            match &e.kind {
                ExprKind::Var(v) if !bound.contains(v) => {
                    out.insert(v.clone());
                }
                ExprKind::Lambda { param, body } => {
                    bound.push(param.name.clone());
                    go(body, bound, out);
                    bound.pop();
                }
                ExprKind::List(items) => items.iter().for_each(|i| go(i, bound, out)),
                ExprKind::Call { args, .. } => args.iter().for_each(|a| go(&a.value, bound, out)),
                ExprKind::Index { base, index } => {
                    go(base, bound, out);
                    go(index, bound, out);
                }
                ExprKind::Field { base, .. } | ExprKind::Unary { operand: base, .. } => go(base, bound, out),
                ExprKind::Binary { lhs, rhs, .. } => {
                    go(lhs, bound, out);
                    go(rhs, bound, out);
                }
                ExprKind::If { cond, then, otherwise } => {
                    go(cond, bound, out);
                    go(then, bound, out);
                    go(otherwise, bound, out);
                }
                _ => {}
            }
        }
        go(self, &mut Vec::new(), out)
    }
}

impl Stmt {
    /// The expression this step evaluates, if any.
    pub fn expr(&self) -> Option<&Expr> {
        match &self.kind {
            StmtKind::Assign { value, .. } | StmtKind::Expr { value } | StmtKind::Answer { value } => Some(value),
            StmtKind::Think { .. } | StmtKind::Rethink { .. } => None,
        }
    }
}
