//! Stage 2 of the pipeline: static checks before any tool runs. Names, tool signatures, argument
//! matching and types where they are known. Every problem is found, not just the first; the first
//! `Limits::max_diagnostics` are kept and the rest counted, and the whole check is linear in the
//! program (suggestions, which search the scope, are made only for kept diagnostics).

mod args;
mod exprs;
mod vocabulary;

pub use vocabulary::vocabulary_warnings;

use crate::diag::{Code, Diagnostic, Findings};
use crate::limits::Limits;
use crate::syntax::{Program, Stmt, StmtKind, Span};
use crate::tools::Registry;
use crate::types::Type;
use std::collections::BTreeMap;

/// Variable name → static type, as known at a point of the program.
pub type Scope = BTreeMap<String, Type>;

/// The scope every program starts with: the input image.
pub fn input_scope() -> Scope {
    Scope::from([("image".to_string(), Type::Image)])
}

/// The scope of a program over several named input images (`left`, `right`, …).
pub fn input_scope_for<'a>(names: impl IntoIterator<Item = &'a str>) -> Scope {
    names.into_iter().map(|n| (n.to_string(), Type::Image)).collect()
}

/// Check a whole program. With `require_answer`, it must end in exactly one `answer`.
/// Keeps `Limits::default().max_diagnostics` diagnostics (the same in both presets).
pub fn check_program(program: &Program, registry: &Registry, scope: &Scope, require_answer: bool) -> Findings {
    check_program_capped(program, registry, scope, require_answer, Limits::default().max_diagnostics)
}

/// [`check_program`] keeping at most `max_diagnostics` and counting the rest.
pub fn check_program_capped(program: &Program, registry: &Registry, scope: &Scope, require_answer: bool, max_diagnostics: usize) -> Findings {
    let mut scope = scope.clone();
    let mut diags = check_steps_capped(&program.steps, registry, &mut scope, 0, max_diagnostics);
    if require_answer {
        let answers: Vec<(usize, &Stmt)> =
            program.steps.iter().enumerate().filter(|(_, s)| matches!(s.kind, StmtKind::Answer { .. })).collect();
        let last = program.steps.len().saturating_sub(1);
        match answers.last() {
            None => {
                let end = program.steps.last().map(|s| s.span.end).unwrap_or(0);
                diags.push(Diagnostic::new(Code::E108, "the program never gives an answer")
                    .at(Span::new(end, end))
                    .help("end the workflow with a step like `answer count(objects)`"));
            }
            Some(_) => {
                for (i, s) in &answers {
                    if *i != last || answers.len() > 1 && s.span != answers.last().map(|a| a.1.span).unwrap_or_default() {
                        diags.push(Diagnostic::new(Code::E109, "`answer` must be the last step, and appear once")
                            .at(s.span)
                            .step(*i)
                            .help("compute intermediate values with assignments; answer once at the end"));
                    }
                }
            }
        }
    }
    diags
}

/// Check steps in order, extending `scope` with their assignments (used by incremental sessions:
/// the scope carries over between calls). `first_step` numbers the steps in diagnostics.
/// Returns the first `Limits::default().max_diagnostics`; [`check_steps_capped`] also counts the rest.
pub fn check_steps(steps: &[Stmt], registry: &Registry, scope: &mut Scope, first_step: usize) -> Vec<Diagnostic> {
    check_steps_capped(steps, registry, scope, first_step, Limits::default().max_diagnostics).into_vec()
}

/// [`check_steps`] keeping at most `max_diagnostics` and counting the rest.
pub fn check_steps_capped(steps: &[Stmt], registry: &Registry, scope: &mut Scope, first_step: usize, max_diagnostics: usize) -> Findings {
    let mut cx = exprs::Cx { registry, diags: Findings::new(max_diagnostics) };
    for (i, stmt) in steps.iter().enumerate() {
        let before = cx.diags.len();
        match &stmt.kind {
            StmtKind::Assign { target, value } => {
                let t = cx.infer(value, scope, false);
                scope.insert(target.name.clone(), t);
            }
            StmtKind::Expr { value } | StmtKind::Answer { value } => {
                cx.infer(value, scope, false);
            }
            StmtKind::Think { .. } | StmtKind::Rethink { .. } => {}
        }
        for d in &mut cx.diags[before..] {
            d.step.get_or_insert(first_step + i);
        }
    }
    cx.diags
}
