//! Tool dispatch: one trait, one registry. Built-in tools live in `builtin`; WASM plugins and native
//! models implement the same trait. Every tool has a `Signature` from which the checker, `dwim tools`
//! and the prompt given to a model are all generated.

pub mod args;
pub mod bench;
pub mod builtin;
pub mod matching;
#[cfg(feature = "native")]
pub mod native;
pub mod origin;
pub mod remote;
pub mod signature;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use args::Args;
pub use origin::{Origin, Overrides};
pub use signature::{Param, Signature, ToolKind};

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::value::{Lambda, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A tool the engine can call.
///
/// `call` receives arguments already matched to the signature (defaults filled, in parameter
/// order). Errors are diagnostics without a span; the engine attaches the call's span, step and
/// tool name. Implementations must not panic on any argument values.
pub trait Tool: Send + Sync {
    fn signature(&self) -> &Signature;
    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic>;
}

/// What a tool may ask of the engine while it runs: apply a lambda, read the limits, and account
/// for its own work.
pub trait Applier {
    fn apply(&mut self, f: &Lambda, arg: Value) -> Result<Value, Diagnostic>;
    fn limits(&self) -> &Limits;
    /// Count `work` units (one per list item visited, per value node walked, per 256 pixels)
    /// against the run's evaluation budget, and check its wall limit. Long work inside a tool
    /// calls this as it goes, so the limits hold inside one call, not only between calls.
    fn charge(&mut self, work: u64) -> Result<(), Diagnostic> {
        let _ = work;
        Ok(())
    }
    /// Wall time left before the run's limit, if it has one: a tool that waits (a sandboxed call's
    /// deadline, an endpoint) waits at most this long.
    fn wall_left(&self) -> Option<std::time::Duration> {
        None
    }
}

pub struct ToolCtx<'a> {
    pub(crate) applier: &'a mut dyn Applier,
    fuel: Option<u64>,
}

impl<'a> ToolCtx<'a> {
    pub fn new(applier: &'a mut dyn Applier) -> Self {
        ToolCtx { applier, fuel: None }
    }
    /// Record fuel a sandboxed tool consumed during this call (the engine puts it in the trace).
    pub fn add_fuel(&mut self, fuel: u64) {
        self.fuel = Some(self.fuel.unwrap_or(0).saturating_add(fuel));
    }
    /// Fuel recorded by this call, `None` when no sandboxed code ran.
    pub fn fuel(&self) -> Option<u64> {
        self.fuel
    }
    pub fn apply(&mut self, f: &Lambda, arg: Value) -> Result<Value, Diagnostic> {
        self.applier.apply(f, arg)
    }
    pub fn limits(&self) -> &Limits {
        self.applier.limits()
    }
    /// See [`Applier::charge`]: an E308/E306 error ends the tool's work.
    pub fn charge(&mut self, work: u64) -> Result<(), Diagnostic> {
        self.applier.charge(work)
    }
    /// See [`Applier::wall_left`].
    pub fn wall_left(&self) -> Option<std::time::Duration> {
        self.applier.wall_left()
    }
    /// A deadline for one call of a tool that waits: `per_call`, or less when the run's wall limit
    /// is nearer.
    pub fn call_deadline(&self, per_call: std::time::Duration) -> std::time::Duration {
        self.wall_left().map_or(per_call, |left| per_call.min(left))
    }
}

/// A named set of tools. The same name may mean different tools in different sets.
#[derive(Clone, Default)]
pub struct Registry {
    pub set_name: String,
    tools: BTreeMap<String, Arc<dyn Tool>>,
    origins: BTreeMap<String, Origin>,
    /// Tools found but not added (name, why): native tools from the default models directory
    /// whose name the set already has. `dwim tools` lists them.
    pub skipped: Vec<(String, String)>,
    /// The fingerprint and provenance, computed once (every session's first record carries
    /// them); reset whenever a tool is added, recomputed if `set_name` changed since.
    summary: std::sync::OnceLock<Summary>,
}

#[derive(Clone)]
struct Summary {
    set_name: String,
    fingerprint: String,
    provenance: Arc<serde_json::Value>,
}

impl Registry {
    pub fn empty(set_name: impl Into<String>) -> Self {
        Registry { set_name: set_name.into(), tools: BTreeMap::new(), origins: BTreeMap::new(), skipped: Vec::new(), summary: std::sync::OnceLock::new() }
    }

    /// The built-in tools (pure Rust): geometry, lists, text, and simple pixel tools.
    pub fn builtin() -> Self {
        let mut r = Registry::empty("builtin");
        for t in builtin::all() {
            r.add(t);
        }
        r
    }

    /// Add a tool while building a base set; a tool already registered under the same name is
    /// replaced and returned. Its origin is its kind and this set's name. Tools from the user's
    /// sources go through [`Registry::add_from`], which refuses silent replacement.
    pub fn add(&mut self, tool: Arc<dyn Tool>) -> Option<Arc<dyn Tool>> {
        let name = tool.signature().name.clone();
        self.summary = std::sync::OnceLock::new();
        self.origins.insert(name.clone(), Origin::base(tool.signature().kind, self.set_name.clone()));
        self.tools.insert(name, tool)
    }

    /// Add a tool from `origin`. A name already taken is E506 naming both sources, unless
    /// `overrides` lets the newcomer win; then the replaced tool is returned.
    pub fn add_from(&mut self, tool: Arc<dyn Tool>, origin: Origin, overrides: &Overrides) -> Result<Option<Arc<dyn Tool>>, Diagnostic> {
        let name = tool.signature().name.clone();
        if let Some(old) = self.origins.get(&name) {
            if !overrides.allows(&name) {
                return Err(Diagnostic::new(Code::E506, format!("tool `{name}` from {} collides with `{name}` from {}", origin.describe(), old.describe()))
                    .tool(&name)
                    .help(format!("rename one of them, or pass `--override {name}` to let {} replace it", origin.describe())));
            }
        }
        self.summary = std::sync::OnceLock::new();
        self.origins.insert(name.clone(), origin);
        Ok(self.tools.insert(name, tool))
    }

    /// Where the tool `name` came from.
    pub fn origin(&self, name: &str) -> Option<&Origin> {
        self.origins.get(name)
    }

    /// Every tool's name, signature and origin, sorted by name: what a trace or a collected
    /// workflow records so that a run can be reproduced and a different tool set refused.
    pub fn manifest(&self) -> serde_json::Value {
        let tools: Vec<serde_json::Value> = self
            .tools
            .iter()
            .map(|(name, t)| serde_json::json!({"name": name, "signature": t.signature().render(), "origin": self.origins.get(name)}))
            .collect();
        serde_json::json!({"set": self.set_name, "tools": tools})
    }

    /// What a trace's first record carries: the set's name and fingerprint, and each tool's
    /// name and origin (no signatures: the fingerprint covers them).
    pub fn provenance(&self) -> serde_json::Value {
        self.with_summary(|s| (*s.provenance).clone())
    }

    /// [`Registry::provenance`], shared (what each run's first trace record holds).
    pub fn provenance_shared(&self) -> Arc<serde_json::Value> {
        self.with_summary(|s| s.provenance.clone())
    }

    /// A short hash of [`Registry::manifest`] (BLAKE3, 16 hex digits).
    pub fn fingerprint(&self) -> String {
        self.with_summary(|s| s.fingerprint.clone())
    }

    fn with_summary<R>(&self, f: impl FnOnce(&Summary) -> R) -> R {
        match self.summary.get() {
            Some(s) if s.set_name == self.set_name => f(s),
            Some(_) => f(&self.compute_summary()),
            None => f(self.summary.get_or_init(|| self.compute_summary())),
        }
    }

    fn compute_summary(&self) -> Summary {
        let fingerprint = blake3::hash(self.manifest().to_string().as_bytes()).to_hex()[..16].to_string();
        let tools: Vec<serde_json::Value> = self
            .origins
            .iter()
            .map(|(name, o)| {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                v["name"] = name.clone().into();
                v
            })
            .collect();
        let provenance = serde_json::json!({"set": self.set_name, "fingerprint": fingerprint, "tools": tools});
        Summary { set_name: self.set_name.clone(), fingerprint, provenance: Arc::new(provenance) }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.get(name)
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    pub fn signatures(&self) -> impl Iterator<Item = &Signature> {
        self.tools.values().map(|t| t.signature())
    }

    /// The closest registered name, for "did you mean" help.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        closest(name, self.tools.keys().map(String::as_str))
    }

    /// The tool description given to a model: one signature and doc line per tool.
    pub fn prompt(&self) -> String {
        self.signatures().map(|s| format!("{}\n    {}\n", s.render(), s.doc)).collect()
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let max = 2.max(name.chars().count() / 3);
    let abbreviates = |a: &str, b: &str| a.len() >= 3 && is_subsequence(a, b) || b.len() >= 3 && is_subsequence(b, a);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= max || abbreviates(name, c))
        .min()
        .map(|(_, c)| c)
}

fn is_subsequence(short: &str, long: &str) -> bool {
    let mut it = long.chars();
    short.chars().all(|c| it.any(|l| l == c))
}

/// Levenshtein distance over chars, for suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A built-in tool: a signature and a plain function.
pub struct FnTool {
    pub sig: Signature,
    pub f: fn(&Args, &mut ToolCtx<'_>) -> Result<Value, Diagnostic>,
}

impl Tool for FnTool {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        (self.f)(args, ctx)
    }
}

/// Shorthand for tool errors.
pub fn fail(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::E401, msg)
}
