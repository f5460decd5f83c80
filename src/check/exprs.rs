//! Type inference over expressions. Unknown types are `Any`, and `Any` is accepted everywhere.

use super::Scope;
use crate::diag::{Code, Diagnostic, Findings};
use crate::fields::field_type;
use crate::syntax::{BinOp, Expr, ExprKind, UnOp};
use crate::tools::{closest, Registry};
use crate::types::Type;

/// Undo a lambda parameter's binding.
pub(super) fn restore(scope: &mut Scope, name: &str, shadowed: Option<Type>) {
    match shadowed {
        Some(t) => {
            scope.insert(name.to_string(), t);
        }
        None => {
            scope.remove(name);
        }
    }
}

/// Types nest at most this deep in the checker; a list literal around a deeper type is
/// `list[any]`, so `a = [a]` repeated 100,000 times costs linear time, not a 100,000-deep type.
const MAX_TYPE_DEPTH: usize = 16;

fn list_of(t: Type) -> Type {
    let mut depth = 0;
    let mut cur = &t;
    while let Type::List(inner) = cur {
        depth += 1;
        if depth >= MAX_TYPE_DEPTH {
            return Type::list(Type::Any);
        }
        cur = inner;
    }
    Type::list(t)
}

/// Suggestions ("did you mean") cost an edit distance per candidate: they are made for names up to
/// this many bytes and scopes up to `MAX_SUGGEST_SCOPE` names.
const MAX_SUGGEST_NAME: usize = 64;
const MAX_SUGGEST_SCOPE: usize = 10_000;

pub(super) fn suggestable(name: &str) -> bool {
    name.len() <= MAX_SUGGEST_NAME
}

/// Can values of these two types ever be equal? Unknown types can; none compares with anything
/// (a tool may return none); lists can (two empty lists are equal).
pub(super) fn can_equal(a: &Type, b: &Type) -> bool {
    matches!(a, Type::None) || matches!(b, Type::None) || matches!((a, b), (Type::List(_), Type::List(_))) || a.accepts(b) || b.accepts(a)
}

pub(super) struct Cx<'a> {
    pub registry: &'a Registry,
    pub diags: Findings,
}

impl Cx<'_> {
    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Expect `want`; report E106 when `got` is known and does not fit.
    pub fn expect(&mut self, want: &Type, got: &Type, e: &Expr, what: &str) {
        if !want.accepts(got) {
            self.error(Diagnostic::new(Code::E106, format!("{what} must be {want}, but this is {got}")).at(e.span).label(format!("this is {got}")));
        }
    }

    pub fn infer(&mut self, e: &Expr, scope: &mut Scope, lambda_ok: bool) -> Type {
        match &e.kind {
            ExprKind::Number(_) => Type::Number,
            ExprKind::Text(_) => Type::Text,
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::None => Type::None,
            ExprKind::List(items) => {
                let ts: Vec<Type> = items.iter().map(|i| self.infer(i, scope, false)).collect();
                match ts.first() {
                    Some(t) if ts.iter().all(|x| x == t) => list_of(t.clone()),
                    _ => Type::list(Type::Any),
                }
            }
            ExprKind::Var(name) => match scope.get(name) {
                Some(t) => t.clone(),
                None => {
                    let mut d = Diagnostic::new(Code::E107, format!("`{name}` is not defined")).at(e.span).label("not defined");
                    // A suggestion measures the name against the whole scope: only for diagnostics that
                    // are kept, names a typo could be, and scopes of a size a person writes.
                    let near = if self.diags.is_full() || !suggestable(name) || scope.len() > MAX_SUGGEST_SCOPE {
                        None
                    } else {
                        closest(name, scope.keys().map(String::as_str))
                    };
                    d = match (near, self.registry.get(name)) {
                        (_, Some(_)) => d.help(format!("`{name}` is a tool: call it, e.g. `{name}(...)`")),
                        (Some(k), None) => d.help(format!("did you mean `{k}`?")),
                        (None, None) => d.help("assign it in an earlier step, e.g. `x = ...`"),
                    };
                    self.error(d);
                    Type::Any
                }
            },
            ExprKind::Call { tool, args } => self.call(e, tool, args, scope),
            ExprKind::Index { base, index } => {
                let bt = self.infer(base, scope, false);
                let it = self.infer(index, scope, false);
                match bt.clone() {
                    Type::List(elem) => {
                        self.expect(&Type::Number, &it, index, "a list index");
                        *elem
                    }
                    Type::Text => {
                        self.expect(&Type::Number, &it, index, "a text index");
                        Type::Text
                    }
                    Type::Record | Type::Fields(_) => {
                        self.expect(&Type::Text, &it, index, "a record key");
                        match (&bt, &index.kind) {
                            (Type::Fields(_), ExprKind::Text(key)) => match field_type(&bt, key) {
                                Ok(t) => t.unwrap_or(Type::Any),
                                Err(names) => {
                                    self.error(Diagnostic::new(Code::E112, format!("{bt} has no field {key:?}"))
                                        .at(index.span)
                                        .help(format!("fields of {bt}: {}", names.join(", "))));
                                    Type::Any
                                }
                            },
                            _ => Type::Any,
                        }
                    }
                    Type::Any => Type::Any,
                    other => {
                        self.error(Diagnostic::new(Code::E106, format!("cannot index into {other}")).at(base.span).label(format!("this is {other}")));
                        Type::Any
                    }
                }
            }
            ExprKind::Field { base, field } => {
                let bt = self.infer(base, scope, false);
                match field_type(&bt, &field.name) {
                    Ok(t) => t.unwrap_or(Type::Any),
                    Err(names) => {
                        let mut d = Diagnostic::new(Code::E112, format!("{bt} has no field `{}`", field.name)).at(field.span);
                        if !names.is_empty() {
                            d = d.help(format!("fields of {bt}: {}", names.join(", ")));
                        }
                        self.error(d);
                        Type::Any
                    }
                }
            }
            ExprKind::Unary { op, operand } => {
                let t = self.infer(operand, scope, false);
                let want = if *op == UnOp::Not { Type::Bool } else { Type::Number };
                let what = if *op == UnOp::Not { "the operand of `not`" } else { "the operand of `-`" };
                self.expect(&want, &t, operand, what);
                want
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, scope),
            ExprKind::If { cond, then, otherwise } => {
                let c = self.infer(cond, scope, false);
                self.expect(&Type::Bool, &c, cond, "an `if` condition");
                let (a, b) = (self.infer(then, scope, false), self.infer(otherwise, scope, false));
                if a == b { a } else { Type::Any }
            }
            ExprKind::Lambda { param, body } => {
                if !lambda_ok {
                    self.error(Diagnostic::new(Code::E110, "a lambda can only be an argument of a tool that takes a function")
                        .at(e.span)
                        .help("use it inside filter, map, sort_by, max_by or min_by"));
                }
                let shadowed = scope.insert(param.name.clone(), Type::Any);
                self.infer(body, scope, false);
                restore(scope, &param.name, shadowed);
                Type::Fn
            }
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, scope: &mut Scope) -> Type {
        let (l, r) = (self.infer(lhs, scope, false), self.infer(rhs, scope, false));
        let sym = op.symbol();
        match op {
            BinOp::And | BinOp::Or => {
                self.expect(&Type::Bool, &l, lhs, &format!("the left side of `{sym}`"));
                self.expect(&Type::Bool, &r, rhs, &format!("the right side of `{sym}`"));
                Type::Bool
            }
            BinOp::Eq | BinOp::Ne => {
                if !can_equal(&l, &r) {
                    let always = if op == BinOp::Eq { "false" } else { "true" };
                    self.error(Diagnostic::new(Code::E106, format!("`{sym}` between {l} and {r} is always {always}: they can never be equal"))
                        .at(lhs.span.to(rhs.span))
                        .label(format!("{l} {sym} {r}"))
                        .help("compare values of one type; convert with text(...), number(...) or to_yesno(...)"));
                }
                Type::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ok = |t: &Type| matches!(t, Type::Number | Type::Text | Type::Any);
                for (t, e) in [(&l, lhs), (&r, rhs)] {
                    if !ok(t) {
                        self.error(Diagnostic::new(Code::E106, format!("`{sym}` compares numbers or texts, but this is {t}")).at(e.span));
                    }
                }
                if ok(&l) && ok(&r) && l != Type::Any && r != Type::Any && l != r {
                    self.error(Diagnostic::new(Code::E106, format!("cannot compare {l} with {r}")).at(lhs.span.to(rhs.span)));
                }
                Type::Bool
            }
            BinOp::Add => match (&l, &r) {
                (Type::Number, Type::Number) => Type::Number,
                (Type::Text, Type::Text) => Type::Text,
                (Type::List(_), Type::List(_)) => Type::list(Type::Any),
                (Type::Any, t) | (t, Type::Any) if matches!(t, Type::Number | Type::Text | Type::List(_) | Type::Any) => {
                    if *t == Type::Any { Type::Any } else { t.clone() }
                }
                _ => {
                    self.error(Diagnostic::new(Code::E106, format!("cannot add {l} and {r}"))
                        .at(lhs.span.to(rhs.span))
                        .help("`+` adds numbers, joins texts, or concatenates lists; convert with text(...) or number(...)"));
                    Type::Any
                }
            },
            _ => {
                self.expect(&Type::Number, &l, lhs, &format!("the left side of `{sym}`"));
                self.expect(&Type::Number, &r, rhs, &format!("the right side of `{sym}`"));
                Type::Number
            }
        }
    }
}
