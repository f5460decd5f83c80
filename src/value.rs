//! Runtime values. Images are shared (`Arc`), never copied; a region is a box over a shared image.

use crate::diag::{Code, Diagnostic};
use crate::syntax::Expr;
use crate::types::Type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Value {
    None,
    Bool(bool),
    Number(f64),
    Text(Arc<str>),
    Image(Image),
    Region(Region),
    List(Arc<Vec<Value>>),
    Record(Arc<BTreeMap<String, Value>>),
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

/// An RGB image shared by every value that refers to it.
#[derive(Clone)]
pub struct Image(Arc<ImageData>);

pub struct ImageData {
    pub pixels: image::RgbImage,
    /// `img:` + 16 hex digits of the BLAKE3 hash of size and pixels.
    pub hash: String,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Image({}x{} {})", self.width(), self.height(), self.hash())
    }
}

impl Image {
    pub fn from_rgb(pixels: image::RgbImage) -> Image {
        let mut h = blake3::Hasher::new();
        h.update(&pixels.width().to_le_bytes());
        h.update(&pixels.height().to_le_bytes());
        h.update(pixels.as_raw());
        let hash = format!("img:{}", &h.finalize().to_hex()[..16]);
        Image(Arc::new(ImageData { pixels, hash }))
    }

    /// Decode a PNG or JPEG file.
    pub fn load(path: &std::path::Path) -> Result<Image, Diagnostic> {
        let bytes = std::fs::read(path)
            .map_err(|e| Diagnostic::new(Code::E402, format!("cannot read image {}: {e}", path.display())))?;
        Image::decode(&bytes).map_err(|d| Diagnostic { message: format!("{}: {}", path.display(), d.message), ..d })
    }

    pub fn decode(bytes: &[u8]) -> Result<Image, Diagnostic> {
        let img = image::load_from_memory(bytes)
            .map_err(|e| Diagnostic::new(Code::E402, format!("cannot decode image: {e}")).help("dwim reads PNG and JPEG images"))?;
        Ok(Image::from_rgb(img.to_rgb8()))
    }

    pub fn width(&self) -> u32 {
        self.0.pixels.width()
    }
    pub fn height(&self) -> u32 {
        self.0.pixels.height()
    }
    pub fn hash(&self) -> &str {
        &self.0.hash
    }
    pub fn pixels(&self) -> &image::RgbImage {
        &self.0.pixels
    }
    pub fn full_box(&self) -> BBox {
        BBox { x0: 0.0, y0: 0.0, x1: self.width() as f64, y1: self.height() as f64 }
    }
    pub fn same(&self, other: &Image) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.hash() == other.hash()
    }
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
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }
    pub fn record(fields: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Record(Arc::new(fields.into_iter().collect()))
    }

    pub fn type_of(&self) -> Type {
        match self {
            Value::None => Type::None,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::Text(_) => Type::Text,
            Value::Image(_) => Type::Image,
            Value::Region(_) => Type::Region,
            Value::List(items) => {
                let first = items.first().map(|v| v.type_of()).unwrap_or(Type::Any);
                if items.iter().all(|v| v.type_of() == first) { Type::list(first) } else { Type::list(Type::Any) }
            }
            Value::Record(_) => Type::Record,
            Value::Lambda(_) => Type::Fn,
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

    /// Structural equality; numbers compare exactly, regions by image and box.
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Image(a), Value::Image(b)) => a.same(b),
            (Value::Region(a), Value::Region(b)) => a.image.same(&b.image) && a.bbox == b.bbox,
            (Value::List(a), Value::List(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y)),
            (Value::Record(a), Value::Record(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| ka == kb && va.equals(vb))
            }
            _ => false,
        }
    }

    /// The observation text a model sees: compact, bounded, deterministic.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        self.describe_into(&mut s, 0);
        s
    }

    fn describe_into(&self, out: &mut String, depth: usize) {
        const MAX_ITEMS: usize = 12;
        const MAX_TEXT: usize = 200;
        match self {
            Value::None => out.push_str("none"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&fmt_number(*n)),
            Value::Text(t) => {
                if t.len() > MAX_TEXT {
                    let cut = (0..=MAX_TEXT).rev().find(|&i| t.is_char_boundary(i)).unwrap_or(0);
                    let _ = write!(out, "{:?}… ({} bytes)", &t[..cut], t.len());
                } else {
                    let _ = write!(out, "{t:?}");
                }
            }
            Value::Image(img) => {
                let _ = write!(out, "image({}x{})", img.width(), img.height());
            }
            Value::Region(r) => {
                let b = r.bbox;
                let _ = write!(out, "region({}, {}, {}, {}", fmt_number(b.x0), fmt_number(b.y0), fmt_number(b.x1), fmt_number(b.y1));
                if let Some(l) = &r.label {
                    let _ = write!(out, ", {l:?}");
                }
                if let Some(sc) = r.score {
                    let _ = write!(out, ", score={:.2}", sc);
                }
                out.push(')');
            }
            Value::List(items) => {
                if depth > 3 {
                    let _ = write!(out, "[… {} items]", items.len());
                    return;
                }
                out.push('[');
                for (i, v) in items.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.describe_into(out, depth + 1);
                }
                if items.len() > MAX_ITEMS {
                    let _ = write!(out, ", … {} more", items.len() - MAX_ITEMS);
                }
                out.push(']');
            }
            Value::Record(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{k}: ");
                    v.describe_into(out, depth + 1);
                }
                out.push('}');
            }
            Value::Lambda(l) => {
                let _ = write!(out, "<fn {} -> …>", l.param);
            }
        }
    }

    /// JSON for traces and answers. Images appear by content hash, never by pixels.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Value::None => serde_json::Value::Null,
            Value::Bool(b) => json!(b),
            Value::Number(n) => json!(n),
            Value::Text(t) => json!(t.as_ref()),
            Value::Image(img) => json!({"image": img.hash(), "width": img.width(), "height": img.height()}),
            Value::Region(r) => {
                let b = r.bbox;
                let mut v = json!({"region": [b.x0, b.y0, b.x1, b.y1], "image": r.image.hash()});
                if let Some(l) = &r.label {
                    v["label"] = json!(l.as_ref());
                }
                if let Some(s) = r.score {
                    v["score"] = json!(s);
                }
                v
            }
            Value::List(items) => serde_json::Value::Array(items.iter().map(|v| v.to_json()).collect()),
            Value::Record(fields) => serde_json::Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Lambda(l) => json!({"fn": l.param}),
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
