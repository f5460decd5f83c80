//! Rendering diagnostics: one line, JSON for a model, and miette's snippets over a window of the
//! source (so a 10 MB line or a 100 000-line program costs a window, not the whole text).

use super::{Diagnostic, Related};
use crate::syntax::{SourceFile, Span};

impl Diagnostic {
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
        obj.insert("severity".into(), if self.code.is_warning() { "warning" } else { "error" }.into());
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
        if self.code.is_warning() {
            d = d.with_severity(miette::Severity::Warning);
        }
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
