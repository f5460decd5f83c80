//! Action flagging (DWIM's κ): each step is effective, or ineffective because it raised an error,
//! ran without contributing to the answer, or ran fine but its tool failed (the step a `rethink`
//! reacted to).

use crate::syntax::{parse_program, SourceFile, StmtKind};
use crate::trace::{Flag, TraceRecord};
use crate::Limits;
use std::collections::BTreeSet;

/// Flag every record. `triggers` names the steps rethinks reacted to, when the collector knows
/// them; otherwise each rethink is taken to react to the closest earlier tool-calling step.
pub fn flag_steps(records: &mut [TraceRecord], triggers: Option<&[usize]>) {
    let n = records.len();
    let mut flags: Vec<Option<Flag>> = vec![None; n];
    let ineffective = |reason: &str, detail: String| Some(Flag { effective: false, reason: Some(reason.into()), detail });

    for (i, r) in records.iter().enumerate() {
        if r.error.is_some() || r.kind == "rejected" {
            let detail = r.error.as_ref().map(|d| format!("{} {}", d.code, d.message)).unwrap_or_default();
            flags[i] = ineffective("error", detail);
        }
    }
    let trigger_steps: Vec<(usize, usize)> = match triggers {
        Some(t) => t.iter().filter_map(|&s| next_rethink(records, s).map(|r| (s, r))).collect(),
        None => records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == "rethink")
            .filter_map(|(ri, _)| guess_trigger(records, &flags, ri).map(|j| (j, ri)))
            .collect(),
    };
    for (s, r) in trigger_steps {
        if s < n && flags[s].is_none() {
            flags[s] = ineffective("tool_failure", format!("the rethink at step {} reacted to its result", r + 1));
        }
    }

    // Liveness from the answer backwards: a step is effective if the answer depends on it.
    let parsed: Vec<Option<StepVars>> = records.iter().map(step_vars).collect();
    let mut live: BTreeSet<String> = BTreeSet::new();
    let answer = records.iter().rposition(|r| r.kind == "answer" && r.error.is_none());
    if let Some(a) = answer {
        if let Some(Some((_, uses, _))) = parsed.get(a) {
            live.extend(uses.iter().cloned());
        }
    }
    for i in (0..n).rev() {
        let Some((target, uses, kind)) = &parsed[i] else { continue };
        if Some(i) == answer || flags[i].is_some() {
            continue;
        }
        let effective = match (*kind, target) {
            ("think" | "rethink", _) => true,
            ("answer", _) => false,
            (_, Some(t)) if live.contains(t) && answer.is_some_and(|a| i < a) => {
                live.remove(t);
                live.extend(uses.iter().cloned());
                true
            }
            _ => false,
        };
        if !effective {
            flags[i] = ineffective("no_effect", "its result is not used by the answer".into());
        }
    }
    for (r, f) in records.iter_mut().zip(flags) {
        r.flag = Some(f.unwrap_or(Flag { effective: true, reason: None, detail: String::new() }));
    }
}

/// The step a rethink at `ri` most likely reacted to: the latest earlier tool-calling step whose
/// variable is computed again after the rethink (the alternative action), else the latest
/// tool-calling step before it.
fn guess_trigger(records: &[TraceRecord], flags: &[Option<Flag>], ri: usize) -> Option<usize> {
    let candidates: Vec<usize> = (0..ri).rev().filter(|&j| flags[j].is_none() && records[j].tool.is_some()).collect();
    let redone = |j: usize| {
        records[j].target.as_ref().is_some_and(|t| records[ri + 1..].iter().any(|r| r.target.as_ref() == Some(t)))
    };
    candidates.iter().copied().find(|&j| redone(j)).or(candidates.first().copied())
}

/// The rethink that reacted to step `from`: the next step after it (rejected chunks aside), if that
/// step is a rethink.
fn next_rethink(records: &[TraceRecord], from: usize) -> Option<usize> {
    (from + 1..records.len()).find(|&j| records[j].kind != "rejected").filter(|&j| records[j].kind == "rethink")
}

/// (assigned variable, variables read, kind) of a step.
type StepVars = (Option<String>, BTreeSet<String>, &'static str);

/// The `StepVars` of a record's source; None for unparsable sources.
fn step_vars(r: &TraceRecord) -> Option<StepVars> {
    if r.kind == "rejected" {
        return None;
    }
    let src = SourceFile::new("step", r.source.clone());
    let p = parse_program(&src, &Limits::default()).ok()?;
    let stmt = p.steps.first()?;
    let mut uses = BTreeSet::new();
    if let Some(e) = stmt.expr() {
        e.free_vars(&mut uses);
    }
    let target = match &stmt.kind {
        StmtKind::Assign { target, .. } => Some(target.name.clone()),
        _ => None,
    };
    Some((target, uses, stmt.kind.name()))
}
