//! The fast path: a hand-written lexer and Pratt parser for exactly the language of
//! `grammar/workflow.pest`, with the same precedences, spans and depth limit.
//!
//! The pest grammar stays the specification and the source of syntax errors: this parser only
//! answers "here is the AST" or "not sure" (`None`), and on `None` the pest parser runs and reports.
//! `tests/parser_equivalence.rs` checks both produce identical ASTs, spans included, on every
//! fixture and on random programs.

use super::ast::*;
use super::parser::unescape_str;
use super::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Ident,
    Number,
    Str,
    Newline,
    Semi,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
    Arrow,
    Assign,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Think,
    Rethink,
    Answer,
    If,
    Then,
    Else,
    And,
    Or,
    Not,
    True,
    False,
    None,
    Eof,
    Bad,
}

#[derive(Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// Inside brackets (`depth > 0`) a newline is whitespace, as in the grammar's `*_nl` rules. The
/// lexer counts brackets itself: on every program the parser accepts, each bracket it lexes is
/// one the parser consumes in order, so the two depths agree.
#[derive(Clone, Copy)]
struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    depth: usize,
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Lexer<'_> {
    fn next(&mut self) -> Token {
        let b = self.b;
        loop {
            match b.get(self.pos) {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\n') if self.depth > 0 => self.pos += 1,
                Some(b'#') => {
                    while self.pos < b.len() && b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else { return Token { tok: Tok::Eof, start, end: start } };
        let two = b.get(start + 1).copied().unwrap_or(0);
        let (tok, len) = match c {
            b'\n' => (Tok::Newline, 1),
            b';' => (Tok::Semi, 1),
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBrack, 1),
            b']' => (Tok::RBrack, 1),
            b',' => (Tok::Comma, 1),
            b'.' => (Tok::Dot, 1),
            b'+' => (Tok::Plus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'-' if two == b'>' => (Tok::Arrow, 2),
            b'-' => (Tok::Minus, 1),
            b'=' if two == b'=' => (Tok::Eq, 2),
            b'=' => (Tok::Assign, 1),
            b'!' if two == b'=' => (Tok::Ne, 2),
            b'<' if two == b'=' => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two == b'=' => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'"' => return self.string(start),
            b'0'..=b'9' => return self.number(start),
            c if c.is_ascii_alphabetic() || c == b'_' => return self.word(start),
            _ => (Tok::Bad, 1),
        };
        match tok {
            Tok::LParen | Tok::LBrack => self.depth += 1,
            Tok::RParen | Tok::RBrack => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.pos = start + len;
        Token { tok, start, end: self.pos }
    }

    fn string(&mut self, start: usize) -> Token {
        let b = self.b;
        let mut i = start + 1;
        loop {
            match b.get(i) {
                Some(b'"') => break,
                Some(b'\\') if i + 1 < b.len() => i += 2,
                Some(b'\n') | Some(b'\\') | None => return Token { tok: Tok::Bad, start, end: start + 1 },
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Token { tok: Tok::Str, start, end: self.pos }
    }

    fn number(&mut self, start: usize) -> Token {
        let b = self.b;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = digits(start);
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1);
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let j = if matches!(b.get(i + 1), Some(b'+' | b'-')) { i + 2 } else { i + 1 };
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                i = digits(j);
            }
        }
        self.pos = i;
        Token { tok: Tok::Number, start, end: i }
    }

    fn word(&mut self, start: usize) -> Token {
        let mut i = start;
        while i < self.b.len() && ident_char(self.b[i]) {
            i += 1;
        }
        self.pos = i;
        let tok = match &self.b[start..i] {
            b"think" => Tok::Think,
            b"rethink" => Tok::Rethink,
            b"answer" => Tok::Answer,
            b"if" => Tok::If,
            b"then" => Tok::Then,
            b"else" => Tok::Else,
            b"and" => Tok::And,
            b"or" => Tok::Or,
            b"not" => Tok::Not,
            b"true" => Tok::True,
            b"false" => Tok::False,
            b"none" => Tok::None,
            _ => Tok::Ident,
        };
        Token { tok, start, end: i }
    }
}

/// Parse a whole program, or `None` if it is not certainly valid (pest then decides and reports).
pub fn parse_fast(text: &str, max_depth: usize) -> Option<Program> {
    parse_fast_or_stop(text, max_depth).ok()
}

/// [`parse_fast`], or the byte offset of the first token of the statement it is not sure of. The
/// statements before it are certainly valid, so pest need only look from there.
pub fn parse_fast_or_stop(text: &str, max_depth: usize) -> Result<Program, usize> {
    parse_fast_detail(text, max_depth, usize::MAX).map_err(|u| u.at)
}

/// Where the fast path stopped, when it is not sure of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsure {
    /// The first byte of the statement it is not sure of (every statement before is valid).
    pub at: usize,
    /// The first byte of the statement before that one (`at` itself for the first statement).
    pub prev: usize,
    /// The token it stopped at: where a syntax error is, when there is one.
    pub stop: Span,
    /// The span of the first node that nested deeper than `max_depth`, when that is why it
    /// stopped: an E302 that needs no second parse (pest's pairs for a long chain like
    /// `a[0][0]…` take hundreds of bytes per input byte).
    pub too_deep: Option<Span>,
    /// The span of the first bracket that held more than `max_items` items, when that is why it
    /// stopped (E303, before the items' nodes are built).
    pub too_many: Option<Span>,
}

/// [`parse_fast_or_stop`], with what the caller needs to report the error without reparsing more
/// than the statement around it (see [`Unsure`]).
pub fn parse_fast_detail(text: &str, max_depth: usize, max_items: usize) -> Result<Program, Unsure> {
    let mut lex = Lexer { b: text.as_bytes(), pos: 0, depth: 0 };
    let peek = lex.next();
    let mut p = FastParser { text, lex, peek, max_depth, max_items, too_deep: std::cell::Cell::new(None), too_many: None };
    let mut steps = Vec::new();
    let mut prev = None;
    p.skip(&[Tok::Newline, Tok::Semi]);
    while p.peek.tok != Tok::Eof {
        let at = p.peek.start;
        let unsure = |p: &FastParser| Unsure { at, prev: prev.unwrap_or(at), stop: Span::new(p.peek.start, p.peek.end), too_deep: p.too_deep.get(), too_many: p.too_many };
        let Some(stmt) = p.stmt() else { return Err(unsure(&p)) };
        steps.push(stmt);
        match p.peek.tok {
            Tok::Newline | Tok::Semi => p.skip(&[Tok::Newline, Tok::Semi]),
            Tok::Eof => break,
            _ => return Err(Unsure { too_deep: None, too_many: None, ..unsure(&p) }),
        }
        prev = Some(at);
    }
    Ok(Program { steps })
}

struct FastParser<'a> {
    text: &'a str,
    lex: Lexer<'a>,
    peek: Token,
    max_depth: usize,
    /// Items one bracket may hold: list items or call arguments.
    max_items: usize,
    /// The span of the first node deeper than `max_depth`, if any.
    too_deep: std::cell::Cell<Option<Span>>,
    /// The span of the first bracket with more than `max_items` items, if any.
    too_many: Option<Span>,
}

type Built = Option<(Expr, usize)>;

impl FastParser<'_> {
    fn bump(&mut self) -> Token {
        let t = self.peek;
        self.peek = self.lex.next();
        t
    }
    fn second(&self) -> Token {
        self.lex.clone().next()
    }
    fn skip(&mut self, toks: &[Tok]) {
        while toks.contains(&self.peek.tok) {
            self.bump();
        }
    }
    fn expect(&mut self, tok: Tok) -> Option<Token> {
        (self.peek.tok == tok).then(|| self.bump())
    }
    fn ident(&self, t: Token) -> Ident {
        Ident { name: self.text[t.start..t.end].to_string(), span: Span::new(t.start, t.end) }
    }
    fn node(&self, kind: ExprKind, span: Span, child_depth: usize) -> Built {
        let depth = child_depth + 1;
        if depth > self.max_depth && self.too_deep.get().is_none() {
            self.too_deep.set(Some(span));
        }
        (depth <= self.max_depth).then_some((Expr { kind, span }, depth))
    }

    fn stmt(&mut self) -> Option<Stmt> {
        let first = self.peek;
        match first.tok {
            Tok::Think | Tok::Rethink => {
                self.bump();
                let s = self.expect(Tok::Str)?;
                let text = unescape_str(&self.text[s.start..s.end], s.start).ok()?;
                let kind = if first.tok == Tok::Think { StmtKind::Think { text } } else { StmtKind::Rethink { text } };
                Some(Stmt { kind, span: Span::new(first.start, s.end) })
            }
            Tok::Answer => {
                self.bump();
                let value = self.expr(0)?.0;
                Some(Stmt { span: Span::new(first.start, value.span.end), kind: StmtKind::Answer { value } })
            }
            Tok::Ident if self.second().tok == Tok::Assign => {
                let t = self.bump();
                let target = self.ident(t);
                self.bump();
                if self.peek.tok == Tok::Assign {
                    return None;
                }
                let value = self.expr(0)?.0;
                Some(Stmt { span: Span::new(first.start, value.span.end), kind: StmtKind::Assign { target, value } })
            }
            _ => {
                let value = self.expr(0)?.0;
                Some(Stmt { span: value.span, kind: StmtKind::Expr { value } })
            }
        }
    }

    /// Pratt loop with pest's binding powers: or 10, and 20, not 30, comparisons 40, + - 50,
    /// * / % 60, unary - 70, postfix 80. Prefix operands bind at `power - 1`, as pest does.
    fn expr(&mut self, min_bp: u8) -> Built {
        let (mut lhs, mut depth) = match self.peek.tok {
            Tok::Not | Tok::Minus => {
                let op = self.bump();
                let (un, bp) = if op.tok == Tok::Not { (UnOp::Not, 30) } else { (UnOp::Neg, 70) };
                let (rhs, d) = self.expr(bp - 1)?;
                let span = Span::new(op.start, rhs.span.end);
                self.node(ExprKind::Unary { op: un, operand: Box::new(rhs) }, span, d)?
            }
            _ => self.primary()?,
        };
        loop {
            let (op, bp) = match self.peek.tok {
                Tok::LBrack | Tok::Dot if 80 > min_bp => {
                    let t = self.bump();
                    let built = if t.tok == Tok::LBrack {
                        let (idx, di) = self.expr(0)?;
                        let close = self.expect(Tok::RBrack)?;
                        let span = Span::new(lhs.span.start, close.end);
                        self.node(ExprKind::Index { base: Box::new(lhs), index: Box::new(idx) }, span, depth.max(di))?
                    } else {
                        let f = self.expect(Tok::Ident)?;
                        let field = self.ident(f);
                        let span = Span::new(lhs.span.start, f.end);
                        self.node(ExprKind::Field { base: Box::new(lhs), field }, span, depth)?
                    };
                    (lhs, depth) = built;
                    continue;
                }
                Tok::Or => (BinOp::Or, 10),
                Tok::And => (BinOp::And, 20),
                Tok::Eq => (BinOp::Eq, 40),
                Tok::Ne => (BinOp::Ne, 40),
                Tok::Lt => (BinOp::Lt, 40),
                Tok::Le => (BinOp::Le, 40),
                Tok::Gt => (BinOp::Gt, 40),
                Tok::Ge => (BinOp::Ge, 40),
                Tok::Plus => (BinOp::Add, 50),
                Tok::Minus => (BinOp::Sub, 50),
                Tok::Star => (BinOp::Mul, 60),
                Tok::Slash => (BinOp::Div, 60),
                Tok::Percent => (BinOp::Rem, 60),
                _ => break,
            };
            if bp <= min_bp {
                break;
            }
            self.bump();
            let (rhs, dr) = self.expr(bp)?;
            let span = Span::new(lhs.span.start, rhs.span.end);
            (lhs, depth) = self.node(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span, depth.max(dr))?;
        }
        Some((lhs, depth))
    }

    fn primary(&mut self) -> Built {
        let t = self.bump();
        let span = Span::new(t.start, t.end);
        match t.tok {
            Tok::Number => {
                let n: f64 = self.text[t.start..t.end].parse().ok()?;
                if !n.is_finite() {
                    return None;
                }
                self.node(ExprKind::Number(n), span, 0)
            }
            Tok::Str => self.node(ExprKind::Text(unescape_str(&self.text[t.start..t.end], t.start).ok()?), span, 0),
            Tok::True => self.node(ExprKind::Bool(true), span, 0),
            Tok::False => self.node(ExprKind::Bool(false), span, 0),
            Tok::None => self.node(ExprKind::None, span, 0),
            Tok::LParen => {
                let (mut e, d) = self.expr(0)?;
                let close = self.expect(Tok::RParen)?;
                e.span = Span::new(t.start, close.end);
                Some((e, d))
            }
            Tok::LBrack => {
                let (items, close, depth) = self.items(t, Tok::RBrack, false)?;
                let exprs = items.into_iter().map(|a| a.value).collect();
                self.node(ExprKind::List(exprs), Span::new(t.start, close.end), depth)
            }
            Tok::If => {
                let (c, d1) = self.expr(0)?;
                self.expect(Tok::Then)?;
                let (th, d2) = self.expr(0)?;
                self.expect(Tok::Else)?;
                let (o, d3) = self.expr(0)?;
                let span = Span::new(t.start, o.span.end);
                self.node(ExprKind::If { cond: Box::new(c), then: Box::new(th), otherwise: Box::new(o) }, span, d1.max(d2).max(d3))
            }
            Tok::Ident => {
                let name = self.ident(t);
                match self.peek.tok {
                    Tok::LParen => {
                        let open = self.bump();
                        let (args, close, depth) = self.items(open, Tok::RParen, true)?;
                        self.node(ExprKind::Call { tool: name, args }, Span::new(t.start, close.end), depth)
                    }
                    Tok::Arrow => {
                        self.bump();
                        let (body, d) = self.expr(0)?;
                        let span = Span::new(t.start, body.span.end);
                        self.node(ExprKind::Lambda { param: name, body: Box::new(body) }, span, d)
                    }
                    _ => self.node(ExprKind::Var(name.name), span, 0),
                }
            }
            _ => None,
        }
    }

    /// Comma-separated items after `open` up to `close` (the lexer skips newlines in here),
    /// trailing comma allowed; at most `max_items` of them.
    fn items(&mut self, open: Token, close: Tok, named: bool) -> Option<(Vec<Arg>, Token, usize)> {
        let mut out = Vec::new();
        let mut depth = 0;
        if let Some(c) = self.expect(close) {
            return Some((out, c, depth));
        }
        loop {
            let name = if named && self.peek.tok == Tok::Ident && self.second().tok == Tok::Assign {
                let t = self.bump();
                let n = self.ident(t);
                self.bump();
                if self.peek.tok == Tok::Assign {
                    return None;
                }
                Some(n)
            } else {
                None
            };
            let (value, d) = self.expr(0)?;
            if out.len() == self.max_items {
                self.too_many.get_or_insert(Span::new(open.start, value.span.end));
                return None;
            }
            depth = depth.max(d);
            let span = name.as_ref().map(|n| n.span.to(value.span)).unwrap_or(value.span);
            out.push(Arg { name, value, span });
            if self.expect(Tok::Comma).is_some() {
                if let Some(c) = self.expect(close) {
                    return Some((out, c, depth));
                }
                continue;
            }
            return self.expect(close).map(|c| (out, c, depth));
        }
    }
}
