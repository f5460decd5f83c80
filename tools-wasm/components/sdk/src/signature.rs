//! The signature `tool!` declares, in the WIT world's types.

use crate::bindings::exports::dwim::tool::plugin::{ElementType, Param, Signature, ValueType};
use crate::value::Value;
use alloc::string::String;
use alloc::vec::Vec;

/// `list[region]` → {element: region, list-depth: 1}. An unknown type panics, so the component
/// fails to load (E406 from `describe`) instead of declaring something else.
fn parse_type(s: &str) -> ValueType {
    let mut t = s.trim();
    let mut depth = 0u8;
    while let Some(inner) = t.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
        t = inner.trim();
        depth += 1;
    }
    let element = match t {
        "any" => ElementType::Any,
        "none" => ElementType::None,
        "bool" => ElementType::Boolean,
        "number" => ElementType::Number,
        "text" => ElementType::Text,
        "image" => ElementType::Image,
        "region" => ElementType::Region,
        "image|region" | "visual" => ElementType::Visual,
        "record" => ElementType::Record,
        _ => panic!("unknown type"),
    };
    ValueType { element, list_depth: depth }
}

/// One parameter: its name, type string and default.
pub fn param(name: &str, ty: &str, default: Option<Value>) -> Param {
    Param {
        name: name.into(),
        type_: parse_type(ty),
        default: default.map(|v| crate::codec::encode_values(&[v], 0)),
        doc: String::new(),
        vocabulary: None,
    }
}

pub fn signature(name: &str, doc: &str, params: Vec<Param>, result: &str) -> Signature {
    Signature { name: name.into(), params, result: parse_type(result), doc: doc.into() }
}

