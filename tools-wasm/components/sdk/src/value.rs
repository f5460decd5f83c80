//! Values as a tool sees them: the same shapes as the core-module SDK's (`tools-wasm/sdk`).

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Number(f64),
    Text(String),
    Image(Image),
    Region(Region),
    List(Vec<Value>),
    /// Fields in order; the host sorts them by name.
    Record(Vec<(String, Value)>),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }
    pub fn record<K: Into<String>>(fields: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Record(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
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
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(n.into())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.into())
    }
}

/// An RGB image, 3 bytes per pixel, row-major.
#[derive(Debug, Clone)]
pub struct Image {
    /// Index among the images the host sent: `Some` for an input image (returned by index,
    /// without its pixels).
    pub(crate) index: Option<u32>,
    pub width: u32,
    pub height: u32,
    pub(crate) pixels: Rc<Vec<u8>>,
}

impl PartialEq for Image {
    fn eq(&self, o: &Image) -> bool {
        self.width == o.width && self.height == o.height && self.pixels == o.pixels
    }
}

impl Image {
    /// A new image to return; `None` if `pixels` is not `width * height * 3` bytes.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<Image> {
        let n = (width as usize).checked_mul(height as usize)?.checked_mul(3)?;
        (pixels.len() == n).then(|| Image { index: None, width, height, pixels: Rc::new(pixels) })
    }
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }
    /// The pixel at (x, y); black outside the image.
    pub fn get(&self, x: u32, y: u32) -> [u8; 3] {
        if x >= self.width || y >= self.height {
            return [0, 0, 0];
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        match self.pixels.get(i..i + 3) {
            Some(p) => [p[0], p[1], p[2]],
            None => [0, 0, 0],
        }
    }
}

/// An axis-aligned box in pixel coordinates, `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

/// A box over an image, optionally labelled and scored.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub image: Image,
    pub bbox: BBox,
    pub label: Option<String>,
    pub score: Option<f64>,
}

impl Region {
    pub fn new(image: Image, bbox: BBox) -> Region {
        Region { image, bbox, label: None, score: None }
    }
    pub fn whole(image: Image) -> Region {
        let bbox = BBox { x0: 0.0, y0: 0.0, x1: image.width as f64, y1: image.height as f64 };
        Region::new(image, bbox)
    }
    /// The box in whole pixels, clamped to the image: `(x0, y0, x1, y1)`.
    pub fn pixel_bounds(&self) -> (u32, u32, u32, u32) {
        let (w, h) = (self.image.width as f64, self.image.height as f64);
        let c = |v: f64, m: f64| v.clamp(0.0, m) as u32;
        (c(floor(self.bbox.x0), w), c(floor(self.bbox.y0), h), c(-floor(-self.bbox.x1), w), c(-floor(-self.bbox.y1), h))
    }
}

/// `f64::floor`, which `core` lacks on stable: values of 2^52 and more (and NaN) are already whole.
pub fn floor(x: f64) -> f64 {
    if !(x.abs() < 4_503_599_627_370_496.0) {
        return x;
    }
    let t = x as i64 as f64;
    if t > x { t - 1.0 } else { t }
}
