//! Diagnostics as data: a code, a message, a span, help. Rendered for people (miette) or as JSON
//! (for a model that wrote a broken program).
//!
//! Code ranges: E0xx parse, E1xx check, E2xx runtime, E3xx limits, E4xx tools and endpoints,
//! E5xx files and command-line input, E6xx training.

use crate::syntax::{SourceFile, Span};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! codes {
    ($($code:ident => $title:literal,)*) => {
        /// Every error dwim can report. The title is the short, stable description.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Code { $($code,)* }
        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code),)* }
            }
            pub fn title(self) -> &'static str {
                match self { $(Code::$code => $title,)* }
            }
        }
    };
}

codes! {
    E001 => "syntax error",
    E002 => "source is not valid UTF-8",
    E003 => "invalid string escape",
    E004 => "invalid number",
    E005 => "expected exactly one step",
    E101 => "unknown tool",
    E102 => "unknown argument",
    E103 => "missing argument",
    E104 => "duplicate argument",
    E105 => "too many arguments",
    E106 => "type mismatch",
    E107 => "undefined variable",
    E108 => "program has no answer",
    E109 => "answer is not the last step",
    E110 => "lambda not allowed here",
    E111 => "positional argument after named argument",
    E112 => "unknown field",
    E201 => "runtime type error",
    E202 => "index out of range",
    E203 => "division by zero",
    E204 => "field not present",
    E205 => "invalid value",
    E206 => "no answer produced",
    E301 => "step limit exceeded",
    E302 => "nesting too deep",
    E303 => "list too long",
    E304 => "text too long",
    E305 => "tool-call limit exceeded",
    E306 => "wall-time limit exceeded",
    E307 => "source too large",
    E308 => "evaluation budget exceeded",
    E309 => "value too large",
    E310 => "image too large",
    E311 => "input too large",
    E401 => "tool failed",
    E402 => "invalid tool input",
    E403 => "tool ran out of fuel",
    E404 => "tool deadline exceeded",
    E405 => "tool memory limit exceeded",
    E406 => "tool trapped",
    E407 => "tool returned bad output",
    E408 => "plugin export missing",
    E409 => "plugin signature mismatch",
    E410 => "plugin could not be loaded",
    E411 => "model weights not available",
    E412 => "endpoint unreachable",
    E413 => "endpoint timed out",
    E414 => "endpoint returned an HTTP error",
    E415 => "endpoint reply too large or malformed",
    E499 => "internal error",
    E501 => "cannot read file",
    E502 => "not a regular file",
    E503 => "cannot write output",
    E504 => "bad record in a data file",
    E505 => "invalid command-line value",
    E601 => "nothing to train on",
    E602 => "training diverged",
}

impl Code {
    /// Parse/check codes mean the program was rejected before anything ran.
    pub fn is_static(self) -> bool {
        matches!(self.as_str().as_bytes()[1], b'0' | b'1')
    }
    pub fn is_limit(self) -> bool {
        self.as_str().as_bytes()[1] == b'3'
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Tokens the parser would have accepted at the span.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<String>,
    /// 0-based step index, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The tool involved, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Other places that explain it, e.g. the `(` a syntax error leaves unclosed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

/// A secondary labelled span of a diagnostic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    pub span: Span,
    pub label: String,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            expected: Vec::new(),
            step: None,
            tool: None,
            related: Vec::new(),
        }
    }
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    /// Set the span only if none is set yet (inner errors know better).
    pub fn at_if_unset(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn step(mut self, step: usize) -> Self {
        self.step.get_or_insert(step);
        self
    }
    pub fn tool(mut self, tool: impl Into<String>) -> Self {
        self.tool.get_or_insert(tool.into());
        self
    }
    /// Add a secondary labelled span.
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push(Related { span, label: label.into() });
        self
    }

    /// `file:line:col: E101 unknown tool: ...` in one line.
    pub fn one_line(&self, src: Option<&SourceFile>) -> String {
        let place = match (src, self.span) {
            (Some(src), Some(span)) => {
                let (l, c) = src.line_col(span.start);
                format!("{}:{l}:{c}: ", src.name)
            }
            (Some(src), None) => format!("{}: ", src.name),
            _ => String::new(),
        };
        let step = self.step.map(|s| format!(" (step {})", s + 1)).unwrap_or_default();
        let tool = self.tool.as_ref().map(|t| format!(" [tool {t}]")).unwrap_or_default();
        format!("{place}{} {}{step}{tool}: {}", self.code, self.code.title(), self.message)
    }

    /// JSON for machines and models: the diagnostic plus resolved file/line/col and the source line.
    pub fn to_json(&self, src: Option<&SourceFile>) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        let obj = v.as_object_mut().expect("diagnostic serialises to an object");
        obj.insert("title".into(), self.code.title().into());
        obj.insert("severity".into(), "error".into());
        if let Some(src) = src {
            obj.insert("file".into(), src.name.clone().into());
            if let Some(span) = self.span {
                place_json(obj, src, span);
                let (_, text, _, _) = line_excerpt(src, span);
                obj.insert("source_line".into(), text.into());
            }
            if let Some(serde_json::Value::Array(related)) = obj.get_mut("related") {
                for (r, j) in self.related.iter().zip(related.iter_mut()) {
                    if let Some(o) = j.as_object_mut() {
                        place_json(o, src, r.span);
                    }
                }
            }
        }
        v
    }

    /// Human rendering with a caret snippet; no colour, fixed width (stable for golden files).
    pub fn render(&self, src: Option<&SourceFile>) -> String {
        self.render_with(src, false)
    }

    pub fn render_with(&self, src: Option<&SourceFile>, color: bool) -> String {
        use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic};
        let mut d = MietteDiagnostic::new(self.message.clone()).with_code(format!("{} {}", self.code, self.code.title()));
        let mut help = self.help.clone().unwrap_or_default();
        if !self.expected.is_empty() {
            let exp = format!("expected {}", self.expected.join(", "));
            help = if help.is_empty() { exp } else { format!("{help}; {exp}") };
        }
        if let Some(step) = self.step {
            let ctx = match &self.tool {
                Some(t) => format!("in step {} (tool `{t}`)", step + 1),
                None => format!("in step {}", step + 1),
            };
            help = if help.is_empty() { ctx } else { format!("{help}\n{ctx}") };
        }
        if !help.is_empty() {
            d = d.with_help(help);
        }
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
        let mut out = String::new();
        let report = match (src, self.span) {
            (Some(src), Some(span)) => {
                let window = Window::around(src, span, &self.related);
                let label = self.label.clone().unwrap_or_else(|| self.code.title().to_string());
                let at = |s: Span| (s.start - window.offset, s.end.min(window.offset + window.text.len()) - window.offset);
                let (start, end) = window.primary;
                let mut labels = vec![LabeledSpan::new_primary_with_span(Some(label), start..end)];
                for r in self.related.iter().filter(|r| window.holds(r.span)) {
                    let (s, e) = at(r.span);
                    labels.push(LabeledSpan::new_with_span(Some(r.label.clone()), s..e));
                }
                labels.sort_by_key(|l| l.offset());
                d = d.with_labels(labels);
                miette::Report::new(d).with_source_code(window)
            }
            _ => miette::Report::new(d),
        };
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            return self.one_line(src);
        }
        if let (Some(src), Some(span)) = (src, self.span) {
            let (l, c) = src.line_col(span.start);
            out = format!("{}:{l}:{c}\n{out}", src.name);
        }
        out
    }
}

const MAX_LINE: usize = 160;
const CONTEXT: usize = 60;
const MAX_SPAN_LINES: usize = 4;
const MAX_RELATED_LINES: usize = 50;

/// `line`, `col`, `end_line`, `end_col` of a span.
fn place_json(obj: &mut serde_json::Map<String, serde_json::Value>, src: &SourceFile, span: Span) {
    let (line, col) = src.line_col(span.start);
    let (end_line, end_col) = src.line_col(span.end);
    obj.insert("line".into(), line.into());
    obj.insert("col".into(), col.into());
    obj.insert("end_line".into(), end_line.into());
    obj.insert("end_col".into(), end_col.into());
}

/// The line holding `span.start`, or for a very long line a window of it around the span (so a
/// 10 MB line does not end up on the terminal or in the JSON): (its offset, its text with `…`
/// where cut, and the span's start and end within that text).
fn line_excerpt(src: &SourceFile, span: Span) -> (usize, String, usize, usize) {
    let text = &src.text;
    let end = span.end.min(text.len());
    let start = span.start.min(end);
    let (line, _) = src.line_col(start);
    let whole = src.line_span(line);
    let (line_start, line_end) = (whole.start, whole.end);
    if line_end - line_start <= MAX_LINE {
        return (line_start, text[line_start..line_end].to_string(), start - line_start, end.min(line_end).max(start) - line_start);
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let end = end.min(start + CONTEXT);
    let ws = floor(start.saturating_sub(CONTEXT).max(line_start));
    let we = floor((end.max(start + 1) + CONTEXT).min(line_end));
    let (pre, post) = (if ws > line_start { "…" } else { "" }, if we < line_end { "…" } else { "" });
    let snippet = format!("{pre}{}{post}", &text[ws..we]);
    let s = start - ws + pre.len();
    let e = (end.min(we) - ws + pre.len()).max(s);
    (ws, snippet, s, e)
}

/// The part of a source that miette renders under a diagnostic: a few lines around its spans,
/// found through the line index, so rendering costs what the snippet holds, not the whole file.
/// A very long line is cut to a window around the primary span (named "excerpt of line N").
struct Window {
    name: String,
    text: String,
    /// Byte offset of `text` in the source (`usize::MAX` for a cut line), and its first line (0-based).
    offset: usize,
    first_line: usize,
    /// The primary span within `text`.
    primary: (usize, usize),
}

impl Window {
    fn around(src: &SourceFile, span: Span, related: &[Related]) -> Window {
        const LINES: usize = 2;
        let (line, _) = src.line_col(span.start);
        if src.line_span(line).len() > MAX_LINE {
            let (_, text, s, e) = line_excerpt(src, span);
            let name = format!("{} (excerpt of line {line})", src.name);
            // A cut line's offsets no longer map to the source: only the primary label is shown.
            return Window { name, text, offset: usize::MAX, first_line: 0, primary: (s, e) };
        }
        let long = |l: usize| src.line_span(l).len() > MAX_LINE;
        // A span over many lines, or through a long one, is shown by its first line (the JSON has its end).
        let mut span = span;
        let end_line = src.line_col(span.end).0;
        if end_line > line + MAX_SPAN_LINES || (line + 1..=end_line).any(long) {
            span.end = src.line_span(line).end.max(span.start);
        }
        let (mut lo, mut hi) = (line, src.line_col(span.end).0);
        // Related spans are drawn when they are near and no long line lies between.
        for r in related {
            let (rl, rh) = (src.line_col(r.span.start).0, src.line_col(r.span.end).0);
            let (nlo, nhi) = (lo.min(rl), hi.max(rh));
            if nhi - nlo <= MAX_RELATED_LINES && !(nlo..=nhi).any(long) {
                (lo, hi) = (nlo, nhi);
            }
        }
        // Context lines around, as long as they are short.
        let (mut first, mut last) = (lo, hi);
        while first > 1 && lo - first < LINES && !long(first - 1) {
            first -= 1;
        }
        while last < src.line_count() && last - hi < LINES && !long(last + 1) {
            last += 1;
        }
        let (start, end) = (src.line_span(first).start, src.line_span(last).end);
        let text = src.text[start..end].to_string();
        let clip = |o: usize| o.clamp(start, end) - start;
        Window { name: src.name.clone(), text, offset: start, first_line: first - 1, primary: (clip(span.start), clip(span.end)) }
    }

    fn holds(&self, s: Span) -> bool {
        self.offset != usize::MAX && s.start >= self.offset && s.end <= self.offset + self.text.len()
    }
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let c = self.text.as_str().read_span(span, before, after)?;
        let (data, at, line, col, count) = (c.data(), *c.span(), c.line() + self.first_line, c.column(), c.line_count());
        Ok(Box::new(miette::MietteSpanContents::new_named(self.name.clone(), data, at, line, col, count)))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line(None))
    }
}

impl std::error::Error for Diagnostic {}

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
