//! Diagnostics as data: a code, a message, a span, help. Rendered for people (miette) or as JSON
//! (for a model that wrote a broken program).
//!
//! Code ranges: E0xx parse, E1xx check, E2xx runtime, E3xx limits, E4xx tools and endpoints,
//! E5xx files and command-line input, E6xx training; W1xx are warnings about a program that still checks.

use crate::syntax::Span;
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
    E312 => "too many live sessions",
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
    E506 => "tool name collision",
    E507 => "unknown session",
    E508 => "not authorized",
    E509 => "path outside the dataset directory",
    E601 => "nothing to train on",
    E602 => "training diverged",
    W101 => "word outside a tool's vocabulary (a warning: the program still runs)",
}

impl Code {
    /// Parse/check codes mean the program was rejected before anything ran.
    pub fn is_static(self) -> bool {
        !self.is_warning() && matches!(self.as_str().as_bytes()[1], b'0' | b'1')
    }
    /// A warning: reported, but nothing is rejected.
    pub fn is_warning(self) -> bool {
        self.as_str().starts_with('W')
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
}

mod findings;
mod render;
pub use findings::{diagnostics_json, Findings, Reported};

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line(None))
    }
}

impl std::error::Error for Diagnostic {}
