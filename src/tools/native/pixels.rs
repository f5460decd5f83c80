//! Region pixels → model input tensors.

use crate::diag::{Code, Diagnostic};
use crate::value::Region;
use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};

/// The pixels inside a region (rounded outward to whole pixels). Errors on an empty region.
pub fn crop(region: &Region) -> Result<RgbImage, Diagnostic> {
    let img = region.image.pixels();
    let b = region.bbox;
    let x0 = b.x0.floor().max(0.0) as u32;
    let y0 = b.y0.floor().max(0.0) as u32;
    let x1 = (b.x1.ceil() as u32).min(img.width());
    let y1 = (b.y1.ceil() as u32).min(img.height());
    if x1 <= x0 || y1 <= y0 {
        return Err(Diagnostic::new(Code::E402, "the region is empty"));
    }
    Ok(imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image())
}

/// Grayscale with OpenCV's weights (what easyocr was trained with).
pub fn gray(img: &RgbImage) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y).0;
        let v = 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
        image::Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

/// Resize to exactly `w`×`h` with a bicubic filter.
pub fn resize_rgb(img: &RgbImage, w: u32, h: u32) -> RgbImage {
    imageops::resize(img, w, h, FilterType::CatmullRom)
}

pub fn resize_gray(img: &GrayImage, w: u32, h: u32) -> GrayImage {
    imageops::resize(img, w, h, FilterType::CatmullRom)
}

/// CHW float data of an RGB image, each channel normalised with `(x/255 - mean) / std`.
pub fn chw_normalised(img: &RgbImage, mean: [f32; 3], std: [f32; 3]) -> Vec<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut out = vec![0f32; 3 * w * h];
    for (x, y, p) in img.enumerate_pixels() {
        let i = y as usize * w + x as usize;
        for c in 0..3 {
            out[c * w * h + i] = (p.0[c] as f32 / 255.0 - mean[c]) / std[c];
        }
    }
    out
}
