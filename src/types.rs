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

    /// Parse the notation used in signatures and plugin manifests: `number`, `list[region]`, ...
    pub fn parse(s: &str) -> Option<Type> {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
            return Type::parse(inner).map(Type::list);
        }
        Some(match s {
            "any" => Type::Any,
            "none" => Type::None,
            "bool" => Type::Bool,
            "number" => Type::Number,
            "text" => Type::Text,
            "image" => Type::Image,
            "region" => Type::Region,
            "image|region" | "visual" => Type::Visual,
            "list" => Type::list(Type::Any),
            "record" => Type::Record,
            "fn" => Type::Fn,
            _ => return None,
        })
    }
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
        Type::parse(&s).ok_or_else(|| format!("unknown type `{s}`"))
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
    }
}
