//! Runtime values. Images are shared (`Arc`), never copied; a region is a box over a shared image.

use crate::syntax::Expr;
use crate::types::Type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

mod image;
mod json;
pub use json::cut_str;
mod size;
pub use self::image::{Image, ImageData};
pub use self::size::{List, Record, Size};

#[derive(Clone, Debug)]
pub enum Value {
    None,
    Bool(bool),
    Number(f64),
    Text(Arc<str>),
    Image(Image),
    Region(Region),
    List(Arc<List>),
    Record(Arc<Record>),
    Lambda(Arc<Lambda>),
}

/// A pure one-parameter function written in the program (`s -> area(s) > 100`).
#[derive(Debug)]
pub struct Lambda {
    pub param: String,
    pub body: Expr,
    /// Variables visible where the lambda was written.
    pub env: BTreeMap<String, Value>,
}

/// An axis-aligned box in pixel coordinates, `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl BBox {
    pub fn width(&self) -> f64 {
        (self.x1 - self.x0).max(0.0)
    }
    pub fn height(&self) -> f64 {
        (self.y1 - self.y0).max(0.0)
    }
    pub fn area(&self) -> f64 {
        self.width() * self.height()
    }
    pub fn center(&self) -> (f64, f64) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }
    pub fn intersect(&self, o: &BBox) -> BBox {
        BBox { x0: self.x0.max(o.x0), y0: self.y0.max(o.y0), x1: self.x1.min(o.x1), y1: self.y1.min(o.y1) }
    }
    pub fn iou(&self, o: &BBox) -> f64 {
        let i = self.intersect(o).area();
        let u = self.area() + o.area() - i;
        if u <= 0.0 { 0.0 } else { i / u }
    }
    pub fn clamp_to(&self, w: f64, h: f64) -> BBox {
        BBox { x0: self.x0.clamp(0.0, w), y0: self.y0.clamp(0.0, h), x1: self.x1.clamp(0.0, w), y1: self.y1.clamp(0.0, h) }
    }
}

/// A box over an image, optionally labelled and scored by the tool that found it.
#[derive(Clone, Debug)]
pub struct Region {
    pub image: Image,
    pub bbox: BBox,
    pub label: Option<Arc<str>>,
    pub score: Option<f64>,
}

impl Region {
    pub fn new(image: Image, bbox: BBox) -> Region {
        let b = bbox.clamp_to(image.width() as f64, image.height() as f64);
        Region { image, bbox: b, label: None, score: None }
    }
    pub fn whole(image: Image) -> Region {
        let b = image.full_box();
        Region::new(image, b)
    }
}

impl Value {
    pub fn text(s: impl Into<Arc<str>>) -> Value {
        Value::Text(s.into())
    }
    /// A list; its size and element type are computed here, once, from its items' (O(items)).
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(List::new(items)))
    }
    pub fn record(fields: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Record(Arc::new(Record::new(fields.into_iter().collect())))
    }

    /// The value's type, in O(1): a list's element type was computed when it was built.
    pub fn type_of(&self) -> Type {
        match self {
            Value::None => Type::None,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::Text(_) => Type::Text,
            Value::Image(_) => Type::Image,
            Value::Region(_) => Type::Region,
            Value::List(l) => Type::list(l.elem().clone()),
            Value::Record(_) => Type::Record,
            Value::Lambda(_) => Type::Fn,
        }
    }

    /// The value's expanded size, in O(1): what walking, comparing or serialising it costs.
    pub fn size(&self) -> Size {
        match self {
            Value::Text(t) => Size::leaf(t.len() as u64),
            Value::Region(r) => Size::leaf(r.label.as_ref().map_or(0, |l| l.len() as u64)),
            Value::List(l) => l.size(),
            Value::Record(r) => r.size(),
            _ => Size::leaf(0),
        }
    }

    /// Short type name for messages ("list", not "list[region]").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "none",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::Image(_) => "image",
            Value::Region(_) => "region",
            Value::List(_) => "list",
            Value::Record(_) => "record",
            Value::Lambda(_) => "fn",
        }
    }

    /// Structural equality; numbers compare exactly, regions by image and box. Costs at most the
    /// smaller operand's size, and O(1) for a value compared with itself.
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Image(a), Value::Image(b)) => a.same(b),
            (Value::Region(a), Value::Region(b)) => a.image.same(&b.image) && a.bbox == b.bbox,
            (Value::List(a), Value::List(b)) => {
                Arc::ptr_eq(a, b) || a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y))
            }
            (Value::Record(a), Value::Record(b)) => {
                Arc::ptr_eq(a, b)
                    || a.len() == b.len() && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| ka == kb && va.equals(vb))
            }
            _ => false,
        }
    }
}

/// Numbers print as integers when they are integral.
pub fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
