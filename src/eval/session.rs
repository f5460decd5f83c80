//! A session: the environment and counters of one run, fed a whole program or one step at a time.

use super::interp::{Frame, Interp};
use crate::check::{self, Scope};
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::syntax::{parse_text, ExprKind, SourceFile, Stmt, StmtKind};
use crate::tools::Registry;
use crate::trace::{Loc, ResultSummary, TraceRecord, TraceWriter, SCHEMA};
use crate::value::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub record: TraceRecord,
    pub value: Option<Value>,
}

impl StepOutcome {
    pub fn error(&self) -> Option<&Diagnostic> {
        self.record.error.as_ref()
    }
}

pub struct Session<'r> {
    interp: Interp<'r>,
    env: BTreeMap<String, Value>,
    scope: Scope,
    run_id: Arc<str>,
    /// The name of the file the last step came from, shared by its records.
    file: Arc<str>,
    records: usize,
    steps_run: usize,
    answer: Option<Value>,
    writer: Option<TraceWriter>,
    /// Records kept in memory (see `keep_records`).
    kept: Option<Vec<TraceRecord>>,
    trace_error: Option<String>,
    /// Everything fed so far, so fed steps have spans and line numbers.
    transcript: SourceFile,
}

impl<'r> Session<'r> {
    pub fn new(registry: &'r Registry, limits: Limits) -> Self {
        Session {
            interp: Interp::new(registry, limits),
            env: BTreeMap::new(),
            scope: Scope::new(),
            run_id: new_run_id().into(),
            file: Arc::from("<session>"),
            records: 0,
            steps_run: 0,
            answer: None,
            writer: None,
            kept: None,
            trace_error: None,
            transcript: SourceFile::new("<session>", ""),
        }
    }

    /// Bind an input (e.g. `image`) before the program runs.
    pub fn bind(&mut self, name: &str, value: Value) {
        self.scope.insert(name.to_string(), value.type_of());
        self.env.insert(name.to_string(), value);
    }

    pub fn with_trace(mut self, writer: TraceWriter) -> Self {
        self.writer = Some(writer);
        self
    }

    /// Keep every record (rejected ones included) in memory, for `take_records`.
    pub fn keep_records(mut self) -> Self {
        self.kept = Some(Vec::new());
        self
    }

    /// The records kept so far (empty unless `keep_records` was set).
    pub fn take_records(&mut self) -> Vec<TraceRecord> {
        self.kept.as_mut().map(std::mem::take).unwrap_or_default()
    }

    pub fn set_run_id(&mut self, id: impl Into<String>) {
        self.run_id = id.into().into();
    }
    pub fn run_id(&self) -> &str {
        &self.run_id
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
    pub fn env(&self) -> &BTreeMap<String, Value> {
        &self.env
    }
    pub fn answer(&self) -> Option<&Value> {
        self.answer.as_ref()
    }
    pub fn steps_run(&self) -> usize {
        self.steps_run
    }
    pub fn limits(&self) -> &Limits {
        &self.interp.limits
    }
    pub fn registry(&self) -> &'r Registry {
        self.interp.registry
    }
    /// The first error writing the trace, if any (the run goes on; the caller reports it).
    pub fn trace_error(&self) -> Option<&str> {
        self.trace_error.as_deref()
    }

    /// Run a parsed and checked program, stopping after the first step that fails.
    pub fn run_program(&mut self, src: &SourceFile, steps: &[Stmt]) -> Vec<StepOutcome> {
        let mut out = Vec::new();
        for stmt in steps {
            let o = self.exec(stmt, src);
            let failed = o.error().is_some();
            out.push(o);
            if failed {
                break;
            }
        }
        out
    }

    /// Would `text` be accepted by [`Session::feed`]? Parses and checks it against the current
    /// scope without running anything or writing a record.
    pub fn check(&self, text: &str) -> Result<(), Vec<Diagnostic>> {
        let program = parse_text(text, &self.interp.limits).map_err(|d| vec![d])?;
        let mut scope = self.scope.clone();
        let diags = self.check_chunk(&program.steps, &mut scope);
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }

    /// Parse, check and run new text (one step or several) against the current environment.
    /// A chunk that does not parse or check runs nothing, leaves the session as it was, and is
    /// recorded as one `rejected` record; its diagnostics come back as the error.
    pub fn feed(&mut self, text: &str) -> Result<Vec<StepOutcome>, Vec<Diagnostic>> {
        let offset = self.transcript.text.len();
        let program = match parse_text(text, &self.interp.limits) {
            Ok(p) => p,
            Err(d) => return Err(self.reject(text, offset, vec![d])),
        };
        let diags = self.check_in_place(&program.steps);
        if !diags.is_empty() {
            return Err(self.reject(text, offset, diags));
        }
        self.transcript.push_str(text);
        if !text.ends_with('\n') {
            self.transcript.push_str("\n");
        }
        let mut steps = program.steps;
        for s in &mut steps {
            shift_stmt(s, offset);
        }
        let src = std::mem::replace(&mut self.transcript, SourceFile::new("", ""));
        let out = self.run_program(&src, &steps);
        self.transcript = src;
        Ok(out)
    }

    /// Check a chunk against the session's own scope, then put the scope back as it was (the run
    /// inserts each value's actual type): no copy of the scope, so a step costs the same however
    /// many variables the session holds. The checker's only lasting inserts are the chunk's
    /// top-level assignments (lambda parameters it restores itself).
    fn check_in_place(&mut self, steps: &[Stmt]) -> Vec<Diagnostic> {
        let saved: Vec<(&str, Option<crate::types::Type>)> = steps
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Assign { target, .. } => Some(target.name.as_str()),
                _ => None,
            })
            .map(|name| (name, self.scope.get(name).cloned()))
            .collect();
        let mut scope = std::mem::take(&mut self.scope);
        let diags = self.check_chunk(steps, &mut scope);
        for (name, old) in saved.into_iter().rev() {
            match (old, scope.get_mut(name)) {
                (Some(t), Some(slot)) => *slot = t,
                (Some(t), None) => drop(scope.insert(name.to_string(), t)),
                (None, _) => drop(scope.remove(name)),
            }
        }
        self.scope = scope;
        diags
    }

    /// Check a chunk against `scope`: at most `max_diagnostics` diagnostics, the last one saying
    /// how many more there were (a model is told the count, not only the first 50).
    fn check_chunk(&self, steps: &[Stmt], scope: &mut Scope) -> Vec<Diagnostic> {
        use crate::diag::Reported;
        let max = self.interp.limits.max_diagnostics.max(1);
        let found = check::check_steps_capped(steps, self.interp.registry, scope, self.records, max);
        let more = found.omitted();
        let mut diags = found.into_vec();
        if self.answer.is_some() && !steps.is_empty() {
            diags.push(Diagnostic::new(Code::E109, "the session already gave its answer").at(steps[0].span));
        }
        if more > 0 {
            if let Some(last) = diags.last_mut() {
                let note = format!("{more} more error{} not listed (at most {max} are)", if more == 1 { "" } else { "s" });
                last.help = Some(match last.help.take() {
                    Some(h) => format!("{h}; {note}"),
                    None => note,
                });
            }
        }
        diags
    }

    fn reject(&mut self, text: &str, offset: usize, mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        for d in &mut diags {
            d.step = None;
        }
        let first = diags[0].clone();
        let rec = TraceRecord {
            schema: Cow::Borrowed(SCHEMA),
            run_id: self.run_id.clone(),
            step: self.records,
            kind: Cow::Borrowed("rejected"),
            source: rejected_source(text, self.interp.limits.max_source_bytes),
            file: Arc::from("<session>"),
            loc: Loc { start: offset, end: offset + text.len(), line: self.transcript.line_col(offset).0, col: 1 },
            target: None,
            tool: None,
            calls: Vec::new(),
            calls_total: 0,
            result: None,
            observation: format!("rejected: {}", first.one_line(None)),
            error: Some(first),
            diagnostics: diags.clone(),
            wall_us: 0,
            fuel: None,
            flag: None,
            tool_set: None,
        };
        self.emit(&rec);
        diags
    }

    /// Execute one statement (already checked) and write its trace record.
    pub fn exec(&mut self, stmt: &Stmt, src: &SourceFile) -> StepOutcome {
        let t0 = Instant::now();
        let step = self.records;
        self.interp.calls.clear();
        self.interp.calls_total = 0;
        self.interp.fuel = None;
        let result = self.exec_inner(stmt);
        let (value, error) = match result {
            Ok(v) => (v, None),
            Err(d) => (None, Some(d.at_if_unset(stmt.span).step(step))),
        };
        let (line, col) = src.line_col(stmt.span.start);
        let target = match &stmt.kind {
            StmtKind::Assign { target, .. } => Some(target.name.clone()),
            _ => None,
        };
        let tool = stmt.expr().and_then(|e| match &e.kind {
            ExprKind::Call { tool, .. } => Some(tool.name.clone()),
            _ => e.calls().first().map(|i| i.name.clone()),
        });
        let observation = observe(stmt, value.as_ref(), error.as_ref(), src);
        if *self.file != *src.name {
            self.file = Arc::from(src.name.as_str());
        }
        let record = TraceRecord {
            schema: Cow::Borrowed(SCHEMA),
            run_id: self.run_id.clone(),
            step,
            kind: Cow::Borrowed(stmt.kind.name()),
            source: src.slice(stmt.span).to_string(),
            file: self.file.clone(),
            loc: Loc { start: stmt.span.start, end: stmt.span.end, line, col },
            target,
            tool,
            calls: std::mem::take(&mut self.interp.calls),
            calls_total: self.interp.calls_total,
            result: value.as_ref().map(|v| ResultSummary { ty: v.type_of().to_string(), value: v.to_json_bounded(self.interp.limits.trace_value_nodes) }),
            observation,
            error,
            diagnostics: Vec::new(),
            wall_us: t0.elapsed().as_micros() as u64,
            fuel: self.interp.fuel,
            flag: None,
            tool_set: None,
        };
        self.emit(&record);
        StepOutcome { record, value }
    }

    fn exec_inner(&mut self, stmt: &Stmt) -> Result<Option<Value>, Diagnostic> {
        if self.steps_run >= self.interp.limits.max_steps {
            return Err(Diagnostic::new(Code::E301, format!("more than {} steps", self.interp.limits.max_steps)).at(stmt.span));
        }
        self.steps_run += 1;
        let frame_vars = std::mem::take(&mut self.env);
        let result = match &stmt.kind {
            StmtKind::Think { .. } | StmtKind::Rethink { .. } => Ok(None),
            StmtKind::Assign { value, .. } | StmtKind::Expr { value } | StmtKind::Answer { value } => {
                self.interp.eval(value, &Frame { vars: &frame_vars, bound: None }).map(Some)
            }
        };
        self.env = frame_vars;
        let v = result?;
        match (&stmt.kind, &v) {
            (StmtKind::Assign { target, .. }, Some(v)) => {
                // A name assigned again (the common case in a session) is updated in place: no
                // key is copied.
                let ty = v.type_of();
                match self.scope.get_mut(&target.name) {
                    Some(t) => *t = ty,
                    None => drop(self.scope.insert(target.name.clone(), ty)),
                }
                match self.env.get_mut(&target.name) {
                    Some(old) => *old = v.clone(),
                    None => drop(self.env.insert(target.name.clone(), v.clone())),
                }
            }
            (StmtKind::Answer { .. }, Some(v)) => self.answer = Some(v.clone()),
            _ => {}
        }
        Ok(v)
    }

    fn emit(&mut self, rec: &TraceRecord) {
        let first;
        let rec = if self.records == 0 {
            first = TraceRecord { tool_set: Some(self.interp.registry.provenance_shared()), ..rec.clone() };
            &first
        } else {
            rec
        };
        self.records += 1;
        if let Some(k) = &mut self.kept {
            k.push(rec.clone());
        }
        if let Some(w) = &mut self.writer {
            if let Err(e) = w.write(rec) {
                self.trace_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// The observation text a model sees after a step.
fn observe(stmt: &Stmt, value: Option<&Value>, error: Option<&Diagnostic>, src: &SourceFile) -> String {
    if let Some(d) = error {
        return format!("error: {}", d.one_line(Some(src)));
    }
    match (&stmt.kind, value) {
        (StmtKind::Assign { target, .. }, Some(v)) => format!("{} = {}", target.name, v.describe()),
        (StmtKind::Answer { .. }, Some(v)) => format!("answer: {}", v.describe()),
        (StmtKind::Expr { .. }, Some(v)) => v.describe(),
        (StmtKind::Think { .. }, _) => "ok".into(),
        (StmtKind::Rethink { .. }, _) => "ok".into(),
        _ => String::new(),
    }
}

fn shift_stmt(s: &mut Stmt, offset: usize) {
    use crate::syntax::Expr;
    fn shift_expr(e: &mut Expr, o: usize) {
        e.span = e.span.shifted(o);
        match &mut e.kind {
            ExprKind::List(items) => items.iter_mut().for_each(|i| shift_expr(i, o)),
            ExprKind::Call { tool, args } => {
                tool.span = tool.span.shifted(o);
                for a in args {
                    a.span = a.span.shifted(o);
                    if let Some(n) = &mut a.name {
                        n.span = n.span.shifted(o);
                    }
                    shift_expr(&mut a.value, o);
                }
            }
            ExprKind::Index { base, index } => {
                shift_expr(base, o);
                shift_expr(index, o);
            }
            ExprKind::Field { base, field } => {
                shift_expr(base, o);
                field.span = field.span.shifted(o);
            }
            ExprKind::Unary { operand, .. } => shift_expr(operand, o),
            ExprKind::Binary { lhs, rhs, .. } => {
                shift_expr(lhs, o);
                shift_expr(rhs, o);
            }
            ExprKind::If { cond, then, otherwise } => {
                shift_expr(cond, o);
                shift_expr(then, o);
                shift_expr(otherwise, o);
            }
            ExprKind::Lambda { param, body } => {
                param.span = param.span.shifted(o);
                shift_expr(body, o);
            }
            _ => {}
        }
    }
    s.span = s.span.shifted(offset);
    match &mut s.kind {
        StmtKind::Assign { target, value } => {
            target.span = target.span.shifted(offset);
            shift_expr(value, offset);
        }
        StmtKind::Expr { value } | StmtKind::Answer { value } => shift_expr(value, offset),
        _ => {}
    }
}

/// A run id unique per run: time, process and a counter, hashed.
fn new_run_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let h = blake3::hash(format!("{nanos}-{}-{n}", std::process::id()).as_bytes());
    h.to_hex()[..12].to_string()
}

/// A rejected step's source as its record keeps it: whole within `max` bytes (the source limit),
/// else its first `max` bytes and its size, so a session's rejected steps hold at most what its
/// accepted ones may (a step of 30 MB sent over MCP was kept, and echoed, whole).
fn rejected_source(text: &str, max: usize) -> String {
    let text = text.trim_end();
    if text.len() <= max {
        return text.to_string();
    }
    format!("{}… ({} bytes in all)", crate::value::cut_str(text, max), text.len())
}
