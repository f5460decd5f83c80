//! A linear pass over the raw text before pest runs: bounds the nesting that a recursive-descent
//! parser (and pest's Pratt parser) would follow, so hostile input ends in E302, not a stack overflow.

use super::span::Span;
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;

/// Reject sources over the size limit or whose statements nest too deeply.
///
/// The nesting measure of a statement is its bracket depth plus the number of `not`, `if`, `->`
/// and unary `-` tokens in it: an upper bound on how deep the parser recurses.
pub fn prescan(text: &str, limits: &Limits) -> Result<(), Diagnostic> {
    if text.len() > limits.max_source_bytes {
        return Err(Diagnostic::new(Code::E307, format!("source is {} bytes; the limit is {}", text.len(), limits.max_source_bytes)));
    }
    let b = text.as_bytes();
    let max = limits.max_depth;
    let mut depth = 0usize; // bracket depth
    let mut nesting = 0usize; // prefix/if/lambda tokens in the current statement
    let mut prev_operand = false; // last token could end an operand (so `-` is binary)
    let mut i = 0;
    let too_deep = |at: usize| {
        Diagnostic::new(Code::E302, format!("statement nests deeper than {max} levels"))
            .at(Span::new(at, (at + 1).min(b.len())))
            .help("split it into several steps with intermediate variables")
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                prev_operand = true;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                prev_operand = false;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                prev_operand = true;
            }
            b'\n' | b';' if depth == 0 => {
                nesting = 0;
                prev_operand = false;
            }
            b'-' => {
                if b.get(i + 1) == Some(&b'>') {
                    nesting += 1;
                    i += 1;
                } else if !prev_operand {
                    nesting += 1;
                }
                prev_operand = false;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || (b[i] == b'.' && b[start].is_ascii_digit())) {
                    i += 1;
                }
                let word = &b[start..i];
                let is_kw = matches!(word, b"not" | b"if" | b"then" | b"else" | b"and" | b"or");
                if matches!(word, b"not" | b"if") {
                    nesting += 1;
                }
                prev_operand = !is_kw;
                if depth + nesting > max {
                    return Err(too_deep(start));
                }
                continue;
            }
            _ => prev_operand = false,
        }
        if depth + nesting > max {
            return Err(too_deep(i));
        }
        i += 1;
    }
    Ok(())
}
