//! Static types, as used by tool signatures and the checker.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value's type. `Any` is what the checker assumes when it cannot know better; `Visual` is
/// "image or region", which most perception tools accept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Type {
    Any,
    None,
    Bool,
    Number,
    Text,
    Image,
    Region,
    Visual,
    List(Box<Type>),
    /// A record whose fields are not known (a plugin's `record`).
    Record,
    /// A record with these fields (`record{x: number, y: number}`), in declaration order: the
    /// checker knows `.x` is a number and that `.z` cannot exist.
    Fields(Box<[(String, Type)]>),
    Fn,
}

impl Type {
    pub fn list(of: Type) -> Type {
        Type::List(Box::new(of))
    }

    /// Can a value of type `actual` be passed where `self` is expected?
    pub fn accepts(&self, actual: &Type) -> bool {
        match (self, actual) {
            (Type::Any, _) | (_, Type::Any) => true,
            (Type::Visual, Type::Image | Type::Region | Type::Visual) => true,
            (Type::Image | Type::Region, Type::Visual) => true,
            (Type::List(a), Type::List(b)) => a.accepts(b),
            (Type::Record, Type::Fields(_)) | (Type::Fields(_), Type::Record) => true,
            // Every field this type needs is there with a type it accepts; more fields are fine.
            (Type::Fields(want), Type::Fields(got)) => {
                want.iter().all(|(n, t)| got.iter().any(|(m, u)| m == n && t.accepts(u)))
            }
            (a, b) => a == b,
        }
    }

    /// Deepest `list[...]` nesting [`Type::parse`] accepts: the default `Limits::max_depth`.
    pub const MAX_DEPTH: usize = 128;

    /// Parse the notation used in signatures and plugin manifests: `number`, `list[region]`, ...
    /// Nesting deeper than [`Type::MAX_DEPTH`] is refused (see [`Type::parse_within`]).
    pub fn parse(s: &str) -> Option<Type> {
        Type::parse_within(s, Type::MAX_DEPTH).ok()
    }

    /// [`Type::parse`] with `list[...]` nested at most `max_depth` deep. Iterative and linear in
    /// the text, so a hostile declaration (a plugin's `describe`) cannot overflow the stack; the
    /// error says why, quoting at most the first 40 bytes of the text.
    pub fn parse_within(s: &str, max_depth: usize) -> Result<Type, String> {
        let mut s = s.trim();
        let mut depth = 0usize;
        while let Some(inner) = s.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
            depth += 1;
            if depth > max_depth {
                return Err(format!("type `{}` is nested deeper than {max_depth}", clip(s, 40)));
            }
            s = inner.trim();
        }
        let base = match s {
            "any" => Type::Any,
            "none" => Type::None,
            "bool" => Type::Bool,
            "number" => Type::Number,
            "text" => Type::Text,
            "image" => Type::Image,
            "region" => Type::Region,
            "image|region" | "visual" => Type::Visual,
            "list" if depth < max_depth => Type::list(Type::Any),
            "list" => return Err(format!("type `list` is nested deeper than {max_depth}")),
            "record" => Type::Record,
            "fn" => Type::Fn,
            r if r.starts_with("record{") && r.ends_with('}') => {
                if depth >= max_depth {
                    return Err(format!("type `{}` is nested deeper than {max_depth}", clip(s, 40)));
                }
                Type::Fields(parse_fields(&r[7..r.len() - 1], max_depth - depth - 1)?)
            }
            _ => return Err(format!("unknown type `{}`", clip(s, 40))),
        };
        Ok((0..depth).fold(base, |t, _| Type::list(t)))
    }

    /// `list[...]` and `record{…}` nesting: 0 for a scalar type. Iterative over lists; a record
    /// recurses into its fields, which [`Type::parse_within`] bounds as it bounds lists.
    pub fn depth(&self) -> usize {
        let (mut t, mut d) = (self, 0);
        while let Type::List(inner) = t {
            d += 1;
            t = inner;
        }
        match t {
            Type::Fields(fields) => d + 1 + fields.iter().map(|(_, t)| t.depth()).max().unwrap_or(0),
            _ => d,
        }
    }
}

/// Fields a declared record type may have (so comparing two records' fields stays small).
pub const MAX_RECORD_FIELDS: usize = 64;
/// Bytes of a declared field name.
const MAX_FIELD_NAME: usize = 64;

/// Is `s` an identifier: a letter or `_`, then letters, digits or `_`? (Tool, parameter and field
/// names.)
pub fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Fields declared in a record type: `name: type` separated by top-level commas, at most
/// [`MAX_RECORD_FIELDS`]. Names are identifiers, each at most once; a field's type may nest
/// `max_depth` deep (a record counts).
fn parse_fields(body: &str, max_depth: usize) -> Result<Box<[(String, Type)]>, String> {
    let mut fields: Vec<(String, Type)> = Vec::new();
    let (mut level, mut start) = (0usize, 0usize);
    let bytes = body.as_bytes();
    let mut parts = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'[' | b'{' => level += 1,
            b']' | b'}' => level = level.saturating_sub(1),
            b',' if level == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !body.trim().is_empty() {
        parts.push(&body[start..]);
    }
    if parts.len() > MAX_RECORD_FIELDS {
        return Err(format!("a record type declares {} fields; at most {MAX_RECORD_FIELDS} are allowed", parts.len()));
    }
    for part in parts {
        let Some((name, ty)) = part.split_once(':') else {
            return Err(format!("record field `{}` needs a type: `name: type`", clip(part.trim(), 40)));
        };
        let name = name.trim();
        if name.len() > MAX_FIELD_NAME || !is_ident(name) {
            return Err(format!("record field name `{}` is not a name", clip(name, 40)));
        }
        if fields.iter().any(|(n, _)| n == name) {
            return Err(format!("record field `{name}` is declared twice"));
        }
        fields.push((name.to_string(), Type::parse_within(ty, max_depth)?));
    }
    Ok(fields.into_boxed_slice())
}

/// At most `max` bytes of `s`, cut at a character boundary, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::None => f.write_str("none"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::Text => f.write_str("text"),
            Type::Image => f.write_str("image"),
            Type::Region => f.write_str("region"),
            Type::Visual => f.write_str("image|region"),
            Type::List(t) => write!(f, "list[{t}]"),
            Type::Record => f.write_str("record"),
            Type::Fields(fields) => {
                f.write_str("record{")?;
                for (i, (n, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                f.write_str("}")
            }
            Type::Fn => f.write_str("fn"),
        }
    }
}

impl From<Type> for String {
    fn from(t: Type) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for Type {
    type Error = String;
    fn try_from(s: String) -> Result<Type, String> {
        Type::parse_within(&s, Type::MAX_DEPTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parse_roundtrip_and_accepts() {
        for s in ["number", "list[region]", "list[list[text]]", "image|region", "fn", "record", "record{x: number, y: list[text]}", "list[record{a: record{b: bool}}]"] {
            assert_eq!(Type::parse(s).unwrap().to_string(), s);
        }
        assert!(Type::Visual.accepts(&Type::Region));
        assert!(!Type::Number.accepts(&Type::Text));
        assert!(Type::list(Type::Any).accepts(&Type::list(Type::Region)));
        assert!(!Type::list(Type::Number).accepts(&Type::list(Type::Region)));
        assert_eq!(Type::parse("blob"), None);
        let xy = Type::parse("record{x: number, y: number}").unwrap();
        assert!(xy.accepts(&Type::Record) && Type::Record.accepts(&xy));
        assert!(Type::parse("record{x: number}").unwrap().accepts(&xy), "more fields are fine");
        assert!(!xy.accepts(&Type::parse("record{x: number}").unwrap()), "a missing field is not");
        assert!(!xy.accepts(&Type::parse("record{x: text, y: number}").unwrap()));
        for bad in ["record{x}", "record{x: number, x: text}", "record{1x: number}", "record{x: blob}"] {
            assert!(Type::parse(bad).is_none(), "{bad}");
        }
        let wide = format!("record{{{}}}", (0..100_000).map(|i| format!("f{i}: number")).collect::<Vec<_>>().join(", "));
        assert!(Type::parse_within(&wide, 128).expect_err("too many fields").contains("at most 64"));
        let nested = format!("{}number{}", "record{a: ".repeat(200), "}".repeat(200));
        assert!(Type::parse_within(&nested, 128).expect_err("too deep").contains("nested deeper than"));
        assert_eq!(Type::parse(" list[ list[number] ] ").map(|t| t.depth()), Some(2));
    }

    #[test]
    fn deep_declarations_are_refused_without_recursion() {
        let deep = format!("{}number{}", "list[".repeat(170_000), "]".repeat(170_000));
        let e = Type::parse_within(&deep, 128).expect_err("too deep");
        assert!(e.contains("deeper than 128") && e.len() < 120, "{e}");
        assert!(Type::parse(&deep).is_none());
        let ok = format!("{}text{}", "list[".repeat(32), "]".repeat(32));
        assert_eq!(Type::parse_within(&ok, 32).map(|t| t.depth()), Ok(32));
        assert!(Type::parse_within(&format!("list[{ok}]"), 32).is_err());
        let long = format!("x{}", "é".repeat(100));
        assert!(Type::parse_within(&long, 8).expect_err("unknown").len() < 80);
    }
}
