//! Images: decoded once, shared by every value that refers to them, named by content hash.

use super::BBox;
use crate::diag::{Code, Diagnostic};
use crate::Limits;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Pixels of every image this process holds (counted when an image is made, until its last
/// reference goes): what `Limits::max_live_pixels` bounds when a file or an upload is decoded, so
/// many inputs, or many sessions of a server, cannot add up past it.
static LIVE_PIXELS: AtomicU64 = AtomicU64::new(0);

/// An RGB image shared by every value that refers to it.
#[derive(Clone)]
pub struct Image(Arc<ImageData>);

pub struct ImageData {
    pub pixels: image::RgbImage,
    /// `img:` + 16 hex digits of the BLAKE3 hash of size and pixels.
    pub hash: String,
}

impl Drop for ImageData {
    fn drop(&mut self) {
        LIVE_PIXELS.fetch_sub(u64::from(self.pixels.width()) * u64::from(self.pixels.height()), Ordering::Relaxed);
    }
}

/// Pixels reserved in [`LIVE_PIXELS`] for an image about to be made (decoded, or copied from what a
/// plugin or a tool server sent); released unless [`Image::from_reserved`] makes the image.
#[must_use]
pub struct Reserved(u64);
impl Drop for Reserved {
    fn drop(&mut self) {
        LIVE_PIXELS.fetch_sub(self.0, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Image({}x{} {})", self.width(), self.height(), self.hash())
    }
}

impl Image {
    pub fn from_rgb(pixels: image::RgbImage) -> Image {
        LIVE_PIXELS.fetch_add(u64::from(pixels.width()) * u64::from(pixels.height()), Ordering::Relaxed);
        Image::counted(pixels)
    }

    /// An image whose pixels are already counted in [`LIVE_PIXELS`].
    fn counted(pixels: image::RgbImage) -> Image {
        let mut h = blake3::Hasher::new();
        h.update(&pixels.width().to_le_bytes());
        h.update(&pixels.height().to_le_bytes());
        h.update(pixels.as_raw());
        let hash = format!("img:{}", &h.finalize().to_hex()[..16]);
        Image(Arc::new(ImageData { pixels, hash }))
    }

    /// Decode a PNG or JPEG file (read through [`crate::io`]: E501 / E502, and E311 over
    /// `limits.max_file_bytes` or over 8 bytes a pixel of `limits.max_image_pixels` plus 16 MiB, more
    /// than any image within the pixel limit needs) of at most `limits.max_image_pixels` (E310,
    /// from the header). A file that does not decode, or has no pixels, is E501.
    pub fn load(path: &std::path::Path, limits: &Limits) -> Result<Image, Diagnostic> {
        let cap = limits.max_file_bytes.min(limits.max_image_pixels.saturating_mul(8).saturating_add(16 << 20));
        let bytes = crate::io::read_bytes(path, cap)?;
        // A file that is not an image is a file dwim cannot read (E501), not a tool's bad input.
        Image::decode(&bytes, limits).map_err(|d| Diagnostic {
            code: if d.code == Code::E402 { Code::E501 } else { d.code },
            message: format!("{}: {}", path.display(), d.message),
            ..d
        })
    }

    /// Decode PNG or JPEG bytes. The dimensions are read from the header first: more than
    /// `limits.max_image_pixels` is E310 before any pixel is decoded, and the decoder itself runs
    /// under `image::Limits` (width, height and allocation) so a file whose header lies cannot make
    /// it allocate more. An image with no pixels (0×N) or bytes that do not decode are E402.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Image, Diagnostic> {
        let undecodable = |e: image::ImageError| Diagnostic::new(Code::E402, format!("cannot decode image: {e}")).help("dwim reads PNG and JPEG images");
        let reader = || image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| undecodable(image::ImageError::IoError(e)));
        let (w, h) = reader()?.into_dimensions().map_err(undecodable)?;
        let pixels = w as u64 * h as u64;
        if w == 0 || h == 0 {
            return Err(Diagnostic::new(Code::E402, format!("image is {w}x{h}: it has no pixels")));
        }
        if pixels > limits.max_image_pixels {
            return Err(Diagnostic::new(Code::E310, format!("image is {w}x{h} = {pixels} pixels; the limit is {} pixels", limits.max_image_pixels)));
        }
        // Reserved before decoding, so images decoded at once (inputs, a server's sessions) cannot
        // together pass the limit either.
        let reserved = Image::reserve(w, h, limits.max_live_pixels)?;
        let mut caps = image::Limits::default();
        caps.max_image_width = Some(w);
        caps.max_image_height = Some(h);
        // At most 16-bit RGBA (8 bytes a pixel) for the decoded buffer, plus the decoder's own tables.
        caps.max_alloc = Some(pixels.saturating_mul(8).saturating_add(64 << 20));
        let mut r = reader()?;
        r.limits(caps);
        let img = r.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => Diagnostic::new(Code::E310, format!("image is {w}x{h}: decoding it needs more memory than its size allows ({e})")),
            e => undecodable(e),
        })?;
        Ok(Image::from_reserved(reserved, img.to_rgb8()))
    }

    /// Reserve the pixels of a `w`×`h` image about to be made, before its buffer is: E310 when,
    /// with every image this process holds, they would pass `max_live_pixels`. Every image made
    /// from outside data (a file, an upload, a plugin's or a tool server's result) passes here.
    pub fn reserve(w: u32, h: u32, max_live_pixels: u64) -> Result<Reserved, Diagnostic> {
        let pixels = u64::from(w) * u64::from(h);
        let reserved = Reserved(pixels);
        let live = LIVE_PIXELS.fetch_add(pixels, Ordering::Relaxed).saturating_add(pixels);
        if live > max_live_pixels {
            return Err(Diagnostic::new(
                Code::E310,
                format!("a {w}x{h} image would make {live} pixels of images held at once; the limit is {max_live_pixels} (Limits::max_live_pixels)"),
            )
            .help("give fewer or smaller images, or close sessions that hold some"));
        }
        Ok(reserved)
    }

    /// The image of `pixels`, which hold the reservation when their size is the one reserved.
    pub fn from_reserved(reserved: Reserved, pixels: image::RgbImage) -> Image {
        if u64::from(pixels.width()) * u64::from(pixels.height()) == reserved.0 {
            std::mem::forget(reserved); // the image now holds the reservation
            Image::counted(pixels)
        } else {
            Image::from_rgb(pixels) // counted as it is; the reservation is released
        }
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

