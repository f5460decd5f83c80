//! `.field` access on values: one table used by both the checker and the interpreter.

use crate::types::Type;
use crate::value::{Region, Value};

/// Fields of a region and their types.
pub const REGION_FIELDS: &[(&str, Type)] = &[
    ("x0", Type::Number),
    ("y0", Type::Number),
    ("x1", Type::Number),
    ("y1", Type::Number),
    ("width", Type::Number),
    ("height", Type::Number),
    ("cx", Type::Number),
    ("cy", Type::Number),
    ("area", Type::Number),
    ("label", Type::Text),
    ("score", Type::Number),
    ("image", Type::Image),
];

/// Fields of an image and their types.
pub const IMAGE_FIELDS: &[(&str, Type)] = &[("width", Type::Number), ("height", Type::Number)];

/// The static type of `base.name`: `Ok(None)` when unknown (records, any), `Err(names)` when the
/// field cannot exist (listing the fields that do).
pub fn field_type(base: &Type, name: &str) -> Result<Option<Type>, Vec<String>> {
    let table = match base {
        Type::Region => REGION_FIELDS,
        Type::Image => IMAGE_FIELDS,
        Type::Visual => IMAGE_FIELDS,
        Type::Any | Type::Record => return Ok(None),
        Type::Fields(fields) => {
            return fields.iter().find(|(n, _)| n == name).map(|(_, t)| Some(t.clone())).ok_or_else(|| fields.iter().map(|(n, _)| n.clone()).collect());
        }
        _ => return Err(Vec::new()),
    };
    table.iter().find(|(n, _)| *n == name).map(|(_, t)| Some(t.clone())).ok_or_else(|| table.iter().map(|(n, _)| n.to_string()).collect())
}

/// Does value `v` have the fields a declared result type `want` names, each of a type it accepts?
/// Only a `record{…}` at the top is looked into (a plugin's result is checked this way before any
/// step sees it); every other type answers [`Type::accepts`] on the value's type.
pub fn fits(want: &Type, v: &Value) -> bool {
    match (want, v) {
        (Type::Fields(fields), Value::Record(got)) => {
            fields.iter().all(|(n, t)| got.get(n.as_str()).is_some_and(|x| t.accepts(&x.type_of())))
        }
        _ => want.accepts(&v.type_of()),
    }
}

/// The value of `base.name`, or `None` if it has no such field.
pub fn get_field(base: &Value, name: &str) -> Option<Value> {
    match base {
        Value::Region(r) => region_field(r, name),
        Value::Image(img) => match name {
            "width" => Some(Value::Number(img.width() as f64)),
            "height" => Some(Value::Number(img.height() as f64)),
            _ => None,
        },
        Value::Record(fields) => fields.get(name).cloned(),
        _ => None,
    }
}

fn region_field(r: &Region, name: &str) -> Option<Value> {
    let b = r.bbox;
    let n = |x: f64| Some(Value::Number(x));
    match name {
        "x0" => n(b.x0),
        "y0" => n(b.y0),
        "x1" => n(b.x1),
        "y1" => n(b.y1),
        "width" => n(b.width()),
        "height" => n(b.height()),
        "cx" => n(b.center().0),
        "cy" => n(b.center().1),
        "area" => n(b.area()),
        "label" => Some(r.label.as_ref().map(|l| Value::Text(l.clone())).unwrap_or(Value::None)),
        "score" => Some(r.score.map(Value::Number).unwrap_or(Value::None)),
        "image" => Some(Value::Image(r.image.clone())),
        _ => None,
    }
}
