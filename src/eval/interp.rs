//! Expression evaluation and tool dispatch.

use super::ops;
use crate::diag::{Code, Diagnostic};
use crate::fields::get_field;
use crate::limits::Limits;
use crate::syntax::{Expr, ExprKind};
use crate::tools::matching::match_args;
use crate::tools::{Applier, Args, Registry, ToolCtx};
use crate::value::{Lambda, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// One tool call as the trace records it: arguments by value summary, images by content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub tool: String,
    pub args: serde_json::Map<String, serde_json::Value>,
    pub wall_us: u64,
    /// What the tool returned (summarised like the arguments); absent on error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Fuel a sandboxed (WASM) tool consumed; absent for other tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
}

/// Variables visible to an expression: the session environment, plus a lambda's parameter.
pub struct Frame<'a> {
    pub vars: &'a BTreeMap<String, Value>,
    pub bound: Option<(&'a str, &'a Value)>,
}

impl Frame<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        match self.bound {
            Some((n, v)) if n == name => Some(v),
            _ => self.vars.get(name),
        }
    }
}

/// The evaluator. Counters persist across the steps of a session.
pub struct Interp<'r> {
    pub registry: &'r Registry,
    pub limits: Limits,
    pub ticks: u64,
    pub tool_calls: usize,
    pub started: Instant,
    /// Calls made by the current step (drained by the session).
    pub calls: Vec<CallRecord>,
    pub calls_total: usize,
    /// Fuel consumed by sandboxed tools in the current step (reset by the session).
    pub fuel: Option<u64>,
    /// `ticks` when the wall clock was last read.
    wall_checked_at: u64,
}

/// Most calls one trace record lists; the rest are counted.
const MAX_CALL_RECORDS: usize = 64;

impl<'r> Interp<'r> {
    pub fn new(registry: &'r Registry, limits: Limits) -> Self {
        Interp { registry, limits, ticks: 0, tool_calls: 0, started: Instant::now(), calls: Vec::new(), calls_total: 0, fuel: None, wall_checked_at: 0 }
    }

    fn tick(&mut self, e: &Expr) -> Result<(), Diagnostic> {
        self.charge_work(1).map_err(|d| d.at(e.span))
    }

    /// Count `work` against the evaluation budget; read the wall clock every 1024 units.
    pub fn charge_work(&mut self, work: u64) -> Result<(), Diagnostic> {
        self.ticks = self.ticks.saturating_add(work);
        if self.ticks > self.limits.max_ticks {
            return Err(Diagnostic::new(Code::E308, format!("more than {} evaluations", self.limits.max_ticks)));
        }
        if self.ticks - self.wall_checked_at >= 1024 {
            self.wall_checked_at = self.ticks;
            self.wall()?;
        }
        Ok(())
    }

    fn wall(&self) -> Result<(), Diagnostic> {
        if self.started.elapsed() > self.limits.max_wall {
            return Err(Diagnostic::new(Code::E306, format!("the run took longer than {:?}", self.limits.max_wall)));
        }
        Ok(())
    }

    fn check_wall(&self, e: &Expr) -> Result<(), Diagnostic> {
        self.wall().map_err(|d| d.at(e.span))
    }

    pub fn eval(&mut self, e: &Expr, env: &Frame<'_>) -> Result<Value, Diagnostic> {
        self.tick(e)?;
        let v = match &e.kind {
            ExprKind::Number(n) => Value::Number(*n),
            ExprKind::Text(t) => {
                ops::check_text(t, &self.limits).map_err(|d| d.at(e.span))?;
                Value::text(t.as_str())
            }
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::None => Value::None,
            ExprKind::List(items) => {
                if items.len() > self.limits.max_list_len {
                    return Err(ops::list_too_long(items.len(), &self.limits).at(e.span));
                }
                let v = Value::list(items.iter().map(|i| self.eval(i, env)).collect::<Result<_, _>>()?);
                v.size().check(&self.limits).map_err(|d| d.at(e.span))?;
                v
            }
            ExprKind::Var(name) => env.get(name).cloned().ok_or_else(|| {
                Diagnostic::new(Code::E107, format!("`{name}` is not defined")).at(e.span)
            })?,
            ExprKind::Call { tool, args } => self.call(e, &tool.name, args, env)?,
            ExprKind::Index { base, index } => {
                let b = self.eval(base, env)?;
                let i = self.eval(index, env)?;
                if let Value::Text(t) = &b {
                    self.charge_work(t.len() as u64 / 64).map_err(|d| d.at(e.span))?;
                }
                ops::index(&b, &i).map_err(|d| d.at_if_unset(e.span))?
            }
            ExprKind::Field { base, field } => {
                let b = self.eval(base, env)?;
                get_field(&b, &field.name).ok_or_else(|| {
                    Diagnostic::new(Code::E204, format!("{} has no field `{}`", b.kind(), field.name)).at(field.span)
                })?
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand, env)?;
                ops::unary(*op, v).map_err(|d| d.at(e.span))?
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.eval(lhs, env)?;
                if let Some(short) = ops::short_circuit(*op, &l).map_err(|d| d.at(lhs.span))? {
                    return Ok(short);
                }
                let r = self.eval(rhs, env)?;
                self.charge_work(ops::binary_cost(*op, &l, &r)).map_err(|d| d.at(e.span))?;
                ops::binary(*op, l, r, &self.limits).map_err(|d| d.at(e.span))?
            }
            ExprKind::If { cond, then, otherwise } => match self.eval(cond, env)? {
                Value::Bool(true) => self.eval(then, env)?,
                Value::Bool(false) => self.eval(otherwise, env)?,
                v => return Err(Diagnostic::new(Code::E201, format!("an `if` condition must be a bool, got {}", v.kind())).at(cond.span)),
            },
            ExprKind::Lambda { param, body } => {
                self.charge_work(env.vars.len() as u64).map_err(|d| d.at(e.span))?;
                let mut captured = env.vars.clone();
                if let Some((n, v)) = env.bound {
                    captured.insert(n.to_string(), v.clone());
                }
                Value::Lambda(Arc::new(Lambda { param: param.name.clone(), body: (**body).clone(), env: captured }))
            }
        };
        Ok(v)
    }

    fn call(&mut self, e: &Expr, name: &str, args: &[crate::syntax::Arg], env: &Frame<'_>) -> Result<Value, Diagnostic> {
        let registry: &'r Registry = self.registry;
        let tool = registry.get(name).ok_or_else(|| Diagnostic::new(Code::E101, format!("there is no tool `{name}`")).at(e.span))?;
        let sig = tool.signature();
        let (slots, mut problems) = match_args(sig, args, e.span);
        if !problems.is_empty() {
            return Err(problems.swap_remove(0).tool(name));
        }
        let mut values = Vec::with_capacity(sig.params.len());
        for (p, slot) in sig.params.iter().zip(&slots) {
            let v = match slot {
                Some(ai) => self.eval(&args[*ai].value, env)?,
                None => p.default_value().unwrap_or(Value::None),
            };
            values.push(v);
        }
        self.check_wall(e)?;
        self.tool_calls += 1;
        if self.tool_calls > self.limits.max_tool_calls {
            return Err(Diagnostic::new(Code::E305, format!("more than {} tool calls", self.limits.max_tool_calls)).at(e.span).tool(name));
        }
        let args = Args::new(sig.params.iter().map(|p| p.name.clone()).collect(), values);
        let record_args = summarize_args(&args);
        let t0 = Instant::now();
        let mut ctx = ToolCtx::new(self);
        let result = tool.call(&args, &mut ctx);
        let fuel = ctx.fuel();
        let wall_us = t0.elapsed().as_micros() as u64;
        if let Some(f) = fuel {
            self.fuel = Some(self.fuel.unwrap_or(0).saturating_add(f));
        }
        let result = result.and_then(|v| ops::check_result(v, &self.limits));
        self.calls_total += 1;
        if self.calls.len() < MAX_CALL_RECORDS {
            let error = result.as_ref().err().map(|d| format!("{} {}", d.code, d.message));
            let summary = result.as_ref().ok().map(summarize);
            self.calls.push(CallRecord { tool: name.to_string(), args: record_args, wall_us, result: summary, error, fuel });
        }
        result.map_err(|d| d.at_if_unset(e.span).tool(name))
    }
}

impl Applier for Interp<'_> {
    fn apply(&mut self, f: &Lambda, arg: Value) -> Result<Value, Diagnostic> {
        let frame = Frame { vars: &f.env, bound: Some((&f.param, &arg)) };
        self.eval(&f.body, &frame)
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn charge(&mut self, work: u64) -> Result<(), Diagnostic> {
        self.charge_work(work)
    }
    fn wall_left(&self) -> Option<std::time::Duration> {
        Some(self.limits.max_wall.saturating_sub(self.started.elapsed()))
    }
}

fn summarize_args(args: &Args) -> serde_json::Map<String, serde_json::Value> {
    args.names.iter().zip(&args.values).map(|(n, v)| (n.clone(), summarize(v))).collect()
}

/// Nodes of a tool argument or result written into a call record; the rest is cut (and says so).
pub const CALL_VALUE_NODES: usize = 64;

/// A value as trace JSON for a call record: bounded before anything is copied.
fn summarize(v: &Value) -> serde_json::Value {
    v.to_json_bounded(CALL_VALUE_NODES)
}
