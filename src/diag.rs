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
                let (line, col) = src.line_col(span.start);
                let (end_line, end_col) = src.line_col(span.end);
                obj.insert("line".into(), line.into());
                obj.insert("col".into(), col.into());
                obj.insert("end_line".into(), end_line.into());
                obj.insert("end_col".into(), end_col.into());
                let text = src.text.lines().nth(line - 1).unwrap_or("");
                obj.insert("source_line".into(), text.into());
            }
        }
        v
    }

    /// Human rendering with a caret snippet; no colour, fixed width (stable for golden files).
    pub fn render(&self, src: Option<&SourceFile>) -> String {
        self.render_with(src, false)
    }

    pub fn render_with(&self, src: Option<&SourceFile>, color: bool) -> String {
        use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
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
                let (name, text, start, end) = excerpt(src, span);
                let label = self.label.clone().unwrap_or_else(|| self.code.title().to_string());
                d = d.with_label(LabeledSpan::at(start..end, label));
                miette::Report::new(d).with_source_code(NamedSource::new(name, text))
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

/// The source to show under a diagnostic: the whole file, or for a very long line a window of it
/// around the span (so a 10 MB line does not end up on the terminal).
fn excerpt(src: &SourceFile, span: Span) -> (String, String, usize, usize) {
    const MAX_LINE: usize = 160;
    const CONTEXT: usize = 60;
    let text = &src.text;
    let end = span.end.min(text.len());
    let start = span.start.min(end);
    let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[start..].find('\n').map(|i| start + i).unwrap_or(text.len());
    if line_end - line_start <= MAX_LINE {
        return (src.name.clone(), text.clone(), start, end);
    }
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ws = floor(start.saturating_sub(CONTEXT).max(line_start));
    let we = floor((end.max(start + 1) + CONTEXT).min(line_end));
    let (pre, post) = (if ws > line_start { "…" } else { "" }, if we < line_end { "…" } else { "" });
    let snippet = format!("{pre}{}{post}", &text[ws..we]);
    let (line, _) = src.line_col(start);
    let s = start - ws + pre.len();
    let e = (end.min(we) - ws + pre.len()).max(s);
    (format!("{} (excerpt of line {line})", src.name), snippet, s, e)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line(None))
    }
}

impl std::error::Error for Diagnostic {}

/// Render many diagnostics as one JSON document: `{"ok": false, "diagnostics": [...]}`.
pub fn diagnostics_json(diags: &[Diagnostic], src: Option<&SourceFile>) -> serde_json::Value {
    serde_json::json!({
        "ok": diags.is_empty(),
        "diagnostics": diags.iter().map(|d| d.to_json(src)).collect::<Vec<_>>(),
    })
}
