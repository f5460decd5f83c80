//! Byte spans and the source map that turns them into line:col.

use serde::{Deserialize, Serialize};

/// A half-open byte range `[start, end)` into one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    /// Shift by `offset` bytes (used when a step is parsed out of a larger text).
    pub fn shifted(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(s: pest::Span<'_>) -> Self {
        Span::new(s.start(), s.end())
    }
}

/// A named source text with a line index, shared by diagnostics and traces.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// The offset (plus `base`) just past each `\n` of `text`: a byte scan, which for the short texts
/// a session is fed costs less than a `str` pattern search.
fn newlines_after(text: &str, base: usize) -> impl Iterator<Item = usize> + '_ {
    text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(move |(i, _)| base + i + 1)
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(newlines_after(&text, 0));
        SourceFile { name: name.into(), text, line_starts }
    }

    /// Append text (an incremental session's transcript grows this way).
    pub fn push_str(&mut self, more: &str) {
        let base = self.text.len();
        self.text.push_str(more);
        self.line_starts.extend(newlines_after(more, base));
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    /// Number of lines (a final line without `\n` counts; an empty text has one empty line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The bytes of 1-based `line` (clamped to the last), without its `\n` or `\r\n`.
    pub fn line_span(&self, line: usize) -> Span {
        let i = line.clamp(1, self.line_starts.len()) - 1;
        let start = self.line_starts[i];
        let mut end = self.line_starts.get(i + 1).map(|&n| n - 1).unwrap_or(self.text.len());
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        Span::new(start, end)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end.min(self.text.len())).unwrap_or("")
    }
}

/// 1-based line/col of a byte offset in raw bytes that may not be valid UTF-8.
pub fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
    (line, offset - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let f = SourceFile::new("t.wf", "ab\ncdé\nx");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
        assert_eq!(f.line_col(8), (3, 1));
        assert_eq!(line_col_bytes(b"a\n\xffb", 2), (2, 1));
    }

    #[test]
    fn line_spans_come_from_the_index() {
        let f = SourceFile::new("t.wf", "ab\r\ncd\n\nx");
        assert_eq!(f.line_count(), 4);
        assert_eq!([1, 2, 3, 4].map(|l| f.slice(f.line_span(l))), ["ab", "cd", "", "x"]);
        assert_eq!(f.line_span(9), f.line_span(4));
    }
}
