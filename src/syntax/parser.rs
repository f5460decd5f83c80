//! `grammar/workflow.pest` → AST. Operator precedence comes from pest's `PrattParser`.
//!
//! Hostile input is bounded before pest sees it (see `prescan`), and the AST builder refuses trees
//! deeper than `Limits::max_depth`, so later recursive passes (check, eval, drop) cannot overflow.

use super::ast::*;
use super::errors::{pest_error, syntax_error, too_deep, too_many};
use super::prescan::prescan;
use super::span::{SourceFile, Span};
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/workflow.pest"]
struct WorkflowParser;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left) | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::index) | Op::postfix(Rule::field) | Op::postfix(Rule::field_nl))
});

/// Parse a whole program: the fast path when it is sure, otherwise pest (which reports errors).
/// Pest starts at the first statement the fast path is unsure of, so an error at the end of a
/// long program costs that statement, not the whole file again.
pub fn parse_program(src: &SourceFile, limits: &Limits) -> Result<Program, Diagnostic> {
    parse_text(&src.text, limits)
}

/// [`parse_program`] on a text that has no [`SourceFile`] (yet): spans are byte offsets in `text`.
/// An incremental session parses each fed step this way, without copying it first.
pub fn parse_text(text: &str, limits: &Limits) -> Result<Program, Diagnostic> {
    prescan(text, limits)?;
    let u = match super::fast::parse_fast_detail(text, limits.max_depth, limits.max_list_len) {
        Ok(p) => return Ok(p),
        Err(u) => u,
    };
    if let Some(span) = u.too_deep {
        return Err(too_deep(span, limits.max_depth));
    }
    if let Some(span) = u.too_many {
        return Err(too_many(span, limits.max_list_len));
    }
    // Pest's pairs take a few hundred bytes per byte parsed: it reads at most PEST_WINDOW bytes
    // before the error, or the fast path's own report stands.
    let fits = |from: usize| u.stop.start.saturating_sub(from) <= PEST_WINDOW;
    if u.at > 0 && fits(u.at) {
        if let Some(d) = pest_error_from(text, u.at, limits) {
            return Err(d);
        }
    }
    // At a statement's first token the statement before may also go on: pest from there.
    if u.prev < u.at && fits(u.prev) {
        if let Some(d) = pest_error_from(text, u.prev, limits) {
            return Err(d);
        }
    }
    if fits(0) {
        return pest_text(text, limits);
    }
    let d = syntax_error(text, u.stop.start, Vec::new());
    let long = format!("this statement runs {} bytes before the error; split it into several steps", u.stop.start.saturating_sub(u.at));
    Err(if d.help.is_none() { d.help(long) } else { d })
}

/// Bytes pest may parse to find an error's expected tokens (about 170 bytes of pairs per byte).
const PEST_WINDOW: usize = 1 << 20;

/// The error pest (and the AST builder) report for the text from byte `at`, a statement start,
/// with spans in the whole text; `None` if that part parses or fails at its very start (then the
/// whole text is parsed: there the "expected" list also has what could end the statement before).
fn pest_error_from(text: &str, at: usize, limits: &Limits) -> Option<Diagnostic> {
    let shift = |mut d: Diagnostic| {
        d.span = d.span.map(|s| s.shifted(at));
        for r in &mut d.related {
            r.span = r.span.shifted(at);
        }
        d
    };
    let tail = &text[at..];
    let pairs = match WorkflowParser::parse(Rule::program, tail) {
        Ok(pairs) => pairs,
        // At the statement's first token the whole text also expects a separator or the end.
        Err(e) if matches!(e.location, pest::error::InputLocation::Pos(0) | pest::error::InputLocation::Span((0, _))) => return None,
        Err(e) => return Some(pest_error(e, text, at)),
    };
    let builder = Builder { max_depth: limits.max_depth, max_items: limits.max_list_len };
    for pair in pairs.flatten().take(1).flat_map(|p| p.into_inner()) {
        match pair.as_rule() {
            Rule::EOI => break,
            Rule::sep => continue,
            _ => {
                if let Err(d) = builder.stmt(pair) {
                    return Some(shift(d));
                }
            }
        }
    }
    None
}

/// Parse with the pest grammar alone (the reference the fast path is tested against).
pub fn parse_with_pest(src: &SourceFile, limits: &Limits) -> Result<Program, Diagnostic> {
    pest_text(&src.text, limits)
}

fn pest_text(text: &str, limits: &Limits) -> Result<Program, Diagnostic> {
    prescan(text, limits)?;
    let pairs = WorkflowParser::parse(Rule::program, text).map_err(|e| pest_error(e, text, 0))?;
    let builder = Builder { max_depth: limits.max_depth, max_items: limits.max_list_len };
    let mut steps = Vec::new();
    for pair in pairs.flatten().take(1).flat_map(|p| p.into_inner()) {
        match pair.as_rule() {
            Rule::EOI => break,
            Rule::sep => continue,
            _ => steps.push(builder.stmt(pair)?),
        }
    }
    Ok(Program { steps })
}

/// Parse source bytes that may not be UTF-8 (files, model output). Bad UTF-8 is E002 at its offset.
pub fn parse_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<(SourceFile, Program), (Option<SourceFile>, Diagnostic)> {
    if bytes.len() > limits.max_source_bytes {
        let d = Diagnostic::new(Code::E307, format!("source is {} bytes; the limit is {}", bytes.len(), limits.max_source_bytes))
            .help("split the workflow or raise Limits::max_source_bytes");
        return Err((None, d));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(e) => {
            let off = e.valid_up_to();
            let (line, col) = super::span::line_col_bytes(bytes, off);
            let d = Diagnostic::new(Code::E002, format!("{name}:{line}:{col}: invalid UTF-8 byte 0x{:02x} at offset {off}", bytes[off]))
                .at(Span::new(off, off + 1))
                .help("workflow files must be UTF-8 text");
            return Err((None, d));
        }
    };
    let src = SourceFile::new(name, text);
    match parse_program(&src, limits) {
        Ok(p) => Ok((src, p)),
        Err(d) => Err((Some(src), d)),
    }
}

struct Builder {
    max_depth: usize,
    max_items: usize,
}

type Built = Result<(Expr, usize), Diagnostic>;

impl Builder {
    fn stmt(&self, pair: Pair<'_, Rule>) -> Result<Stmt, Diagnostic> {
        // Spans end at the last token, not at trailing whitespace or comments pest skipped.
        let mut span = Span::from(pair.as_span());
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let kind = match rule {
            Rule::think | Rule::rethink => {
                let text = inner.next().expect("grammar: think/rethink has a string");
                span.end = text.as_span().end();
                let text = unescape(text)?;
                if rule == Rule::think { StmtKind::Think { text } } else { StmtKind::Rethink { text } }
            }
            Rule::answer => StmtKind::Answer { value: self.expr(inner.next().expect("grammar: answer has an expr"))? },
            Rule::assign => {
                let target = ident(inner.next().expect("grammar: assign has a name"));
                StmtKind::Assign { target, value: self.expr(inner.next().expect("grammar: assign has an expr"))? }
            }
            Rule::expr_stmt => StmtKind::Expr { value: self.expr(inner.next().expect("grammar: expr_stmt has an expr"))? },
            r => return Err(internal(format!("unexpected statement rule {r:?}"), span)),
        };
        let stmt = Stmt { kind, span };
        if let Some(e) = stmt.expr() {
            span.end = e.span.end;
        }
        Ok(Stmt { span, ..stmt })
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        self.expr_depth(pair).map(|(e, _)| e)
    }

    fn expr_depth(&self, pair: Pair<'_, Rule>) -> Built {
        debug_assert!(matches!(pair.as_rule(), Rule::expr | Rule::expr_nl));
        self.pratt(pair.into_inner())
    }

    fn pratt(&self, pairs: Pairs<'_, Rule>) -> Built {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let (rhs, d) = rhs?;
                let op_span = Span::from(op.as_span());
                let un = if op.as_rule() == Rule::not_op { UnOp::Not } else { UnOp::Neg };
                let span = op_span.to(rhs.span);
                self.node(ExprKind::Unary { op: un, operand: Box::new(rhs) }, span, d)
            })
            .map_postfix(|lhs, op| {
                let (lhs, d) = lhs?;
                let op_span = Span::from(op.as_span());
                let span = lhs.span.to(op_span);
                match op.as_rule() {
                    Rule::index => {
                        let (idx, di) = self.expr_depth(content(op).next().expect("grammar: index has an expr"))?;
                        self.node(ExprKind::Index { base: Box::new(lhs), index: Box::new(idx) }, span, d.max(di))
                    }
                    _ => {
                        let field = ident(op.into_inner().next().expect("grammar: field has a name"));
                        self.node(ExprKind::Field { base: Box::new(lhs), field }, span, d)
                    }
                }
            })
            .map_infix(|lhs, op, rhs| {
                let ((lhs, dl), (rhs, dr)) = (lhs?, rhs?);
                let bin = match op.as_rule() {
                    Rule::or_op => BinOp::Or,
                    Rule::and_op => BinOp::And,
                    Rule::eq => BinOp::Eq,
                    Rule::ne => BinOp::Ne,
                    Rule::lt => BinOp::Lt,
                    Rule::le => BinOp::Le,
                    Rule::gt => BinOp::Gt,
                    Rule::ge => BinOp::Ge,
                    Rule::add => BinOp::Add,
                    Rule::sub => BinOp::Sub,
                    Rule::mul => BinOp::Mul,
                    Rule::div => BinOp::Div,
                    _ => BinOp::Rem,
                };
                let span = lhs.span.to(rhs.span);
                self.node(ExprKind::Binary { op: bin, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span, dl.max(dr))
            })
            .parse(pairs)
    }

    /// Wrap a node, refusing trees deeper than the limit.
    fn node(&self, kind: ExprKind, span: Span, child_depth: usize) -> Built {
        let depth = child_depth + 1;
        if depth > self.max_depth {
            return Err(too_deep(span, self.max_depth));
        }
        Ok((Expr { kind, span }, depth))
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Built {
        let span = Span::from(pair.as_span());
        match pair.as_rule() {
            Rule::number => {
                let n: f64 = pair.as_str().parse().map_err(|_| Diagnostic::new(Code::E004, "not a number").at(span))?;
                if !n.is_finite() {
                    return Err(Diagnostic::new(Code::E004, format!("number `{}` is too large", pair.as_str())).at(span));
                }
                self.node(ExprKind::Number(n), span, 0)
            }
            Rule::string => self.node(ExprKind::Text(unescape(pair)?), span, 0),
            Rule::true_lit => self.node(ExprKind::Bool(true), span, 0),
            Rule::false_lit => self.node(ExprKind::Bool(false), span, 0),
            Rule::none_lit => self.node(ExprKind::None, span, 0),
            Rule::paren => {
                let (mut e, d) = self.expr_depth(content(pair).next().expect("grammar: paren has an expr"))?;
                e.span = span;
                Ok((e, d))
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut depth = 0;
                for p in content(pair) {
                    let (e, d) = self.expr_depth(p)?;
                    if items.len() == self.max_items {
                        return Err(too_many(span, self.max_items));
                    }
                    depth = depth.max(d);
                    items.push(e);
                }
                self.node(ExprKind::List(items), span, depth)
            }
            Rule::if_expr | Rule::if_nl => {
                let mut it = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
                let mut next = || self.expr_depth(it.next().expect("grammar: if has three exprs"));
                let ((c, d1), (t, d2), (o, d3)) = (next()?, next()?, next()?);
                let span = Span::new(span.start, o.span.end);
                let kind = ExprKind::If { cond: Box::new(c), then: Box::new(t), otherwise: Box::new(o) };
                self.node(kind, span, d1.max(d2).max(d3))
            }
            Rule::name_expr | Rule::name_nl => {
                let mut it = pair.into_inner();
                let name = ident(it.next().expect("grammar: name_expr has a name"));
                match it.next() {
                    None => {
                        let span = name.span;
                        self.node(ExprKind::Var(name.name), span, 0)
                    }
                    Some(tail) if matches!(tail.as_rule(), Rule::lambda_tail | Rule::lambda_nl) => {
                        let (body, d) = self.expr_depth(tail.into_inner().next().expect("grammar: lambda has a body"))?;
                        let span = name.span.to(body.span);
                        self.node(ExprKind::Lambda { param: name, body: Box::new(body) }, span, d)
                    }
                    Some(tail) => {
                        let span = Span::new(span.start, tail.as_span().end());
                        let open = Span::from(tail.as_span());
                        let mut args = Vec::new();
                        let mut depth = 0;
                        for a in content(tail) {
                            let (name, value, d) = if a.as_rule() == Rule::named_arg {
                                let mut ai = a.into_inner();
                                let n = ident(ai.next().expect("grammar: named arg has a name"));
                                let (v, d) = self.expr_depth(ai.next().expect("grammar: named arg has a value"))?;
                                (Some(n), v, d)
                            } else {
                                let (v, d) = self.expr_depth(a)?;
                                (None, v, d)
                            };
                            if args.len() == self.max_items {
                                return Err(too_many(open, self.max_items));
                            }
                            let aspan = name.as_ref().map(|n| n.span.to(value.span)).unwrap_or(value.span);
                            depth = depth.max(d);
                            args.push(Arg { name, value, span: aspan });
                        }
                        self.node(ExprKind::Call { tool: name, args }, span, depth)
                    }
                }
            }
            r => Err(internal(format!("unexpected primary rule {r:?}"), span)),
        }
    }
}

/// The inner pairs of a bracketed construct, without its punctuation.
fn content(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !matches!(p.as_rule(), Rule::lparen | Rule::rparen | Rule::lbrack | Rule::rbrack | Rule::comma))
}

fn is_keyword(r: Rule) -> bool {
    matches!(r, Rule::kw_think | Rule::kw_rethink | Rule::kw_answer | Rule::kw_if | Rule::kw_then | Rule::kw_else)
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: pair.as_span().into() }
}

fn internal(msg: String, span: Span) -> Diagnostic {
    Diagnostic::new(Code::E499, msg).at(span)
}

fn unescape(pair: Pair<'_, Rule>) -> Result<String, Diagnostic> {
    unescape_str(pair.as_str(), pair.as_span().start())
}

/// Decode a string literal (with its quotes) found at byte `start`: `\n \t \r \0 \\ \" \u{HEX}`.
pub(crate) fn unescape_str(raw: &str, start: usize) -> Result<String, Diagnostic> {
    let span = Span::new(start, start + raw.len());
    let body = &raw[1..raw.len() - 1];
    if !body.contains('\\') {
        return Ok(body.to_string());
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let at = span.start + 1 + i;
        let bad = |len: usize, what: &str| Diagnostic::new(Code::E003, what.to_string()).at(Span::new(at, at + len))
            .help("valid escapes: \\n \\t \\r \\0 \\\\ \\\" \\u{HEX}");
        match chars.next() {
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, '0')) => out.push('\0'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, '"')) => out.push('"'),
            Some((_, 'u')) => {
                let rest = &body[i + 2..];
                let close = rest.find('}').filter(|_| rest.starts_with('{'));
                let Some(close) = close else { return Err(bad(2, "`\\u` must be followed by `{HEX}`")) };
                let hex = &rest[1..close];
                let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                let Some(ch) = ch else { return Err(bad(close + 3, &format!("`\\u{{{hex}}}` is not a Unicode scalar value"))) };
                out.push(ch);
                for _ in 0..=close {
                    chars.next();
                }
            }
            Some((_, other)) => return Err(bad(1 + other.len_utf8(), &format!("unknown escape `\\{other}`"))),
            None => return Err(bad(1, "dangling `\\` at the end of the string")),
        }
    }
    Ok(out)
}
