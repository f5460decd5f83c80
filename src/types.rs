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
    Record,
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
            _ => return Err(format!("unknown type `{}`", clip(s, 40))),
        };
        Ok((0..depth).fold(base, |t, _| Type::list(t)))
    }

    /// `list[...]` nesting: 0 for a scalar type. Iterative.
    pub fn depth(&self) -> usize {
        let (mut t, mut d) = (self, 0);
        while let Type::List(inner) = t {
            d += 1;
            t = inner;
        }
        d
    }
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
        for s in ["number", "list[region]", "list[list[text]]", "image|region", "fn", "record"] {
            assert_eq!(Type::parse(s).unwrap().to_string(), s);
        }
        assert!(Type::Visual.accepts(&Type::Region));
        assert!(!Type::Number.accepts(&Type::Text));
        assert!(Type::list(Type::Any).accepts(&Type::list(Type::Region)));
        assert!(!Type::list(Type::Number).accepts(&Type::list(Type::Region)));
        assert_eq!(Type::parse("blob"), None);
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
