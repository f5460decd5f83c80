//! Values as a plugin sees them. Input images borrow the host's pixels (no copy).

use std::borrow::Cow;

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

/// An RGB image, 3 bytes per pixel, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Index in the host's image table: `Some` for images the host passed in.
    pub(crate) index: Option<u32>,
    pub width: u32,
    pub height: u32,
    pub(crate) pixels: Cow<'static, [u8]>,
}

impl Image {
    /// A new image to return; `None` if `pixels` is not `width * height * 3` bytes.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<Image> {
        let n = (width as usize).checked_mul(height as usize)?.checked_mul(3)?;
        (pixels.len() == n).then_some(Image { index: None, width, height, pixels: Cow::Owned(pixels) })
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
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
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
        (c(self.bbox.x0.floor(), w), c(self.bbox.y0.floor(), h), c(self.bbox.x1.ceil(), w), c(self.bbox.y1.ceil(), h))
    }
}
