//! Pixel perception for dwim's built-in benchmark, with realistic imperfection.
//!
//! Everything here reads pixels only: no annotations. Errors come from the pixels — small or
//! occluded objects fall under the minimum area or change shape, lighting and colour casts move
//! colours towards their neighbours in the palette, touching objects of one colour merge, noise
//! flips glyph cells. All functions are deterministic, so a failure reproduces for a seed.
//!
//! `#![no_std]` + `alloc`, no dependencies: the same code runs natively (dwim's `benchmark` tool
//! set) and inside WASM plugins.
//!
//! Work is linear in the pixels of the region (OCR: in pixels times the glyph scale; the
//! enclosed-blob filter: quadratic in the blobs found). Every entry point has a `*_with` variant
//! taking a [`Progress`] callback, told the work done as it goes (about one unit per pixel
//! visited per pass) and able to stop it: a host uses it to keep its tick and wall limits inside
//! one call. The plain functions are the `*_with` ones with a callback that never stops.
//!
//! | file | what it holds |
//! |---|---|
//! | `palette.rs` | named colours, nearest-name classification |
//! | `font.rs` | the 5×7 bitmap font labels are printed with (shared with the scene generator) |
//! | `segment.rs` | median filter + region growing into blobs |
//! | `classify.rs` | colour, shape and size of a blob |
//! | `detect.rs` | query parsing and the detector |
//! | `ocr.rs` | template OCR |
//! | `vqa.rs` | attribute questions answered from pixels |

#![no_std]
extern crate alloc;

pub mod classify;
pub mod detect;
pub mod font;
pub mod ocr;
pub mod palette;
pub mod segment;
pub mod vqa;

pub use detect::{detect, detect_with, Detection, Query};
pub use ocr::{read_text, read_text_with};
pub use segment::{segment, segment_with, Blob};
pub use vqa::{vqa, vqa_with};

/// Told the work just done (units ≈ pixels visited); returns `false` to stop the work.
pub type Progress<'a> = dyn FnMut(u64) -> bool + 'a;

/// The work was stopped by its [`Progress`] callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped;

/// Report `work` to `p`: `Err(Stopped)` when it says stop.
#[inline]
pub(crate) fn tick(p: &mut Progress, work: u64) -> Result<(), Stopped> {
    if p(work) { Ok(()) } else { Err(Stopped) }
}

/// A callback that never stops: what the plain functions pass.
pub(crate) fn go_on(_: u64) -> bool {
    true
}

/// A borrowed RGB image, row-major, 3 bytes per pixel.
#[derive(Clone, Copy)]
pub struct Img<'a> {
    pub w: u32,
    pub h: u32,
    pub rgb: &'a [u8],
}

impl<'a> Img<'a> {
    /// `None` when the buffer does not hold `w * h` pixels.
    pub fn new(w: u32, h: u32, rgb: &'a [u8]) -> Option<Img<'a>> {
        (rgb.len() == w as usize * h as usize * 3).then_some(Img { w, h, rgb })
    }
    pub fn px(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.w as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
    pub fn full(&self) -> Rect {
        Rect { x0: 0, y0: 0, x1: self.w, y1: self.h }
    }
}

/// A pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Rect {
    pub fn w(&self) -> u32 {
        self.x1.saturating_sub(self.x0)
    }
    pub fn h(&self) -> u32 {
        self.y1.saturating_sub(self.y0)
    }
    /// Pixels covered, saturating at `u32::MAX`.
    pub fn area(&self) -> u32 {
        self.w().saturating_mul(self.h())
    }
    /// Clip to an image; `None` when nothing is left.
    pub fn clip(&self, img: &Img) -> Option<Rect> {
        let r = Rect { x0: self.x0.min(img.w), y0: self.y0.min(img.h), x1: self.x1.min(img.w), y1: self.y1.min(img.h) };
        (r.w() > 0 && r.h() > 0).then_some(r)
    }
    /// Grow by `p` pixels on each side, clipped to the image.
    pub fn pad(&self, p: u32, img: &Img) -> Rect {
        Rect { x0: self.x0.saturating_sub(p), y0: self.y0.saturating_sub(p), x1: self.x1.saturating_add(p).min(img.w), y1: self.y1.saturating_add(p).min(img.h) }
    }
    pub fn contains(&self, o: &Rect) -> bool {
        o.x0 >= self.x0 && o.y0 >= self.y0 && o.x1 <= self.x1 && o.y1 <= self.y1
    }
    pub fn center2(&self) -> (u32, u32) {
        (self.x0 + self.x1, self.y0 + self.y1)
    }
}
