//! A check's diagnostics, capped: what is kept, what is only counted, and how they are reported.

use super::Diagnostic;
use crate::syntax::SourceFile;

/// The diagnostics of one check, capped: the first `max` in full, the rest only counted (so a
/// storm of errors costs a count, not memory or rendering time).
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    diags: Vec<Diagnostic>,
    more: usize,
    max: usize,
}

impl Findings {
    pub fn new(max: usize) -> Self {
        Findings { diags: Vec::new(), more: 0, max }
    }
    /// Keep `d`, or only count it once `max` are kept.
    pub fn push(&mut self, d: Diagnostic) {
        if self.is_full() { self.more += 1 } else { self.diags.push(d) }
    }
    /// Are further diagnostics only counted? (Then costly help, like suggestions, can be skipped.)
    pub fn is_full(&self) -> bool {
        self.diags.len() >= self.max
    }
    /// How many were counted but not kept.
    pub fn more(&self) -> usize {
        self.more
    }
    pub fn total(&self) -> usize {
        self.diags.len() + self.more
    }
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.diags
    }
}

/// The kept diagnostics; pushing through `DerefMut` bypasses the cap (use [`Findings::push`]).
impl std::ops::Deref for Findings {
    type Target = Vec<Diagnostic>;
    fn deref(&self) -> &Vec<Diagnostic> {
        &self.diags
    }
}

impl std::ops::DerefMut for Findings {
    fn deref_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.diags
    }
}

impl IntoIterator for Findings {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.diags.into_iter()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.diags.iter()
    }
}

/// Diagnostics to report: a slice or `Vec`, or [`Findings`], which also count what they left out.
pub trait Reported {
    fn shown(&self) -> &[Diagnostic];
    fn omitted(&self) -> usize {
        0
    }
    /// At most `max` to show, and how many are left out in all.
    fn capped(&self, max: usize) -> (&[Diagnostic], usize) {
        let all = self.shown();
        let n = all.len().min(max);
        (&all[..n], all.len() - n + self.omitted())
    }
}

impl Reported for [Diagnostic] {
    fn shown(&self) -> &[Diagnostic] {
        self
    }
}

impl<const N: usize> Reported for [Diagnostic; N] {
    fn shown(&self) -> &[Diagnostic] {
        self
    }
}

impl Reported for Vec<Diagnostic> {
    fn shown(&self) -> &[Diagnostic] {
        self
    }
}

impl Reported for Findings {
    fn shown(&self) -> &[Diagnostic] {
        &self.diags
    }
    fn omitted(&self) -> usize {
        self.more
    }
}

/// Render many diagnostics as one JSON document: `{"ok": false, "diagnostics": [...]}`, at most
/// `Limits::max_diagnostics` of them, plus `"omitted": N` when more were found.
pub fn diagnostics_json<R: Reported + ?Sized>(diags: &R, src: Option<&SourceFile>) -> serde_json::Value {
    let (shown, omitted) = diags.capped(crate::limits::Limits::default().max_diagnostics);
    let mut v = serde_json::json!({
        "ok": shown.is_empty() && omitted == 0,
        "diagnostics": shown.iter().map(|d| d.to_json(src)).collect::<Vec<_>>(),
    });
    if omitted > 0 {
        v["omitted"] = omitted.into();
    }
    v
}
