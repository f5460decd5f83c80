//! The diagnostics parsing gives: E001 from a pest error or from where the fast path stopped
//! (what was found, the bracket left open before it, what was expected), and the E302/E303 that
//! both parsers give alike for a statement too deep or a bracket with too many items.

use super::parser::Rule;
use super::span::Span;
use crate::diag::{Code, Diagnostic};

/// E302 for the node at `span`, the first deeper than `max_depth` (both parsers say it alike).
pub(super) fn too_deep(span: Span, max_depth: usize) -> Diagnostic {
    Diagnostic::new(Code::E302, format!("expression nests deeper than {max_depth} levels"))
        .at(span)
        .help("split it into several steps with intermediate variables")
}

/// E303 for the bracket opened at `span`, the first with more than `max` items (both parsers
/// say it alike): a list literal could only build a list over the limit, and a call's arguments
/// are bounded the same way.
pub(super) fn too_many(span: Span, max: usize) -> Diagnostic {
    Diagnostic::new(Code::E303, format!("more than {max} items inside one bracket"))
        .at(Span::new(span.start, span.start + 1))
        .label("this bracket")
        .help("build long lists with tools (map, filter) rather than writing them out")
}

/// Turn a pest error into E001 with a readable "expected" list; `base` is where in `text` the
/// parsed part began.
pub(super) fn pest_error(e: pest::error::Error<Rule>, text: &str, base: usize) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = base + match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.iter().filter_map(|r| describe(*r)).map(String::from).collect(),
        ErrorVariant::CustomError { message } => {
            let end = text[pos..].chars().next().map(|c| pos + c.len_utf8()).unwrap_or(pos);
            return Diagnostic::new(Code::E001, message.clone()).at(Span::new(pos, end));
        }
    };
    expected.sort();
    expected.dedup();
    syntax_error(text, pos, expected)
}

/// E001 at byte `pos` of `text`: what was found there, the bracket left open before it (one
/// linear pass), and what was `expected` (empty when only the fast path looked).
pub(super) fn syntax_error(text: &str, pos: usize, expected: Vec<String>) -> Diagnostic {
    let end = text[pos..].chars().next().map(|c| pos + c.len_utf8()).unwrap_or(pos);
    let found = match text[pos..].chars().next() {
        None => "end of input".to_string(),
        Some('\n') => "end of line".to_string(),
        Some(_) => {
            let tok: String = text[pos..].chars().take_while(|c| !c.is_whitespace()).take(12).collect();
            format!("`{tok}`")
        }
    };
    let mut d = Diagnostic::new(Code::E001, format!("unexpected {found}")).at(Span::new(pos, end)).label("here");
    if text[pos..].starts_with('"') || text[..pos].matches('"').count() % 2 == 1 {
        d = d.help("strings are written \"...\" on one line; use \\n for a newline");
    }
    if let Some(open) = unclosed_before(text, pos) {
        let (b, (line, col)) = (text.as_bytes()[open], super::span::line_col_bytes(text.as_bytes(), open));
        let close = if b == b'(' { ')' } else { ']' };
        d.message = format!("unexpected {found}: the `{}` at {line}:{col} is never closed", b as char);
        d = d.related(Span::new(open, open + 1), format!("this `{}` is never closed", b as char));
        if d.help.is_none() {
            d = d.help(format!("close it with `{close}`; inside brackets an expression may span lines"));
        }
    }
    d.expected = expected;
    d
}

/// The innermost `(` or `[` before `pos` that nothing in the whole text closes (strings and
/// comments skipped; a closer of the other kind closes nothing). One linear pass.
fn unclosed_before(text: &str, pos: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' => open.push(i),
            c @ (b')' | b']') => {
                let want = if c == b')' { b'(' } else { b'[' };
                if open.last().is_some_and(|&o| b[o] == want) {
                    open.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    open.into_iter().rev().find(|&o| o < pos)
}

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::expr | Rule::expr_nl | Rule::number | Rule::string | Rule::list | Rule::paren | Rule::if_expr | Rule::if_nl
        | Rule::name_expr | Rule::name_nl | Rule::true_lit | Rule::false_lit | Rule::none_lit | Rule::not_op | Rule::neg => "an expression",
        Rule::ident => "a name",
        Rule::EOI => "end of input",
        Rule::or_op | Rule::and_op | Rule::eq | Rule::ne | Rule::lt | Rule::le | Rule::gt | Rule::ge | Rule::add
        | Rule::sub | Rule::mul | Rule::div | Rule::rem => "an operator",
        Rule::index | Rule::field | Rule::field_nl => "`[` or `.`",
        Rule::call_args | Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbrack => "`[`",
        Rule::rbrack => "`]`",
        Rule::comma => "`,`",
        Rule::sep => "end of line",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::lambda_tail | Rule::lambda_nl => "`->`",
        Rule::named_arg => "an argument",
        Rule::think | Rule::rethink | Rule::answer | Rule::assign | Rule::expr_stmt => "a statement",
        Rule::str_inner => "string text",
        _ => return None,
    })
}
