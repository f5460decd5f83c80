//! Images: decoded once, shared by every value that refers to them, named by content hash.

use super::BBox;
use crate::diag::{Code, Diagnostic};
use std::sync::Arc;

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

