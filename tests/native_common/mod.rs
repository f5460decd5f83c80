//! Helpers shared by the native model tests: where the real weights are, rendering text.
#![allow(dead_code)]

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use dwim::tools::native::NativeConfig;
use dwim::value::Image;
use image::{Rgb, RgbImage};
use std::path::PathBuf;

#[path = "../common/skip.rs"]
mod skip_log;
pub use skip_log::skip;

/// Offline config over the real models dir (`$DWIM_MODELS` or `~/.cache/dwim/models`).
pub fn real_cfg() -> NativeConfig {
    NativeConfig::default().offline()
}

/// The real weights folder for `model`, or `None` after printing why the test is skipped.
pub fn weights(model: &str, file: &str) -> Option<PathBuf> {
    let dir = real_cfg().models_dir.join(model);
    if dir.join(file).is_file() {
        Some(dir)
    } else {
        skip(model, &format!("{} not found; run scripts/fetch-models.sh (or set DWIM_MODELS)", dir.join(file).display()));
        None
    }
}

const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
];

/// A TrueType font to render test text with (Debian: fonts-dejavu-core), or `None` with a skip note.
pub fn font() -> Option<FontVec> {
    for p in FONTS {
        if let Ok(bytes) = std::fs::read(p) {
            if let Ok(f) = FontVec::try_from_vec(bytes) {
                return Some(f);
            }
        }
    }
    skip("text rendering", "no DejaVuSans.ttf found (apt-get install fonts-dejavu-core)");
    None
}

/// Draw `lines` of text, `px` pixels high, dark on light, into an image with margins.
pub fn render(font: &FontVec, lines: &[&str], px: f32, fg: [u8; 3], bg: [u8; 3]) -> Image {
    let f = font.as_scaled(PxScale::from(px));
    let width = lines
        .iter()
        .map(|l| l.chars().map(|c| f.h_advance(f.glyph_id(c))).sum::<f32>())
        .fold(0.0, f32::max);
    let line_h = (f.ascent() - f.descent() + f.line_gap()).ceil();
    let margin = (px * 0.6) as u32;
    let w = width.ceil() as u32 + 2 * margin;
    let h = (line_h * 1.3) as u32 * lines.len() as u32 + 2 * margin;
    let mut img = RgbImage::from_pixel(w, h, Rgb(bg));
    for (k, line) in lines.iter().enumerate() {
        let mut x = margin as f32;
        let baseline = margin as f32 + f.ascent() + k as f32 * line_h * 1.3;
        for c in line.chars() {
            let g = f.scaled_glyph(c);
            let adv = f.h_advance(g.id);
            let g = ab_glyph::Glyph { position: ab_glyph::point(x, baseline), ..g };
            if let Some(outline) = font.outline_glyph(g) {
                let bb = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    let (px_, py_) = (bb.min.x as i32 + gx as i32, bb.min.y as i32 + gy as i32);
                    if px_ >= 0 && py_ >= 0 && (px_ as u32) < w && (py_ as u32) < h {
                        let p = img.get_pixel_mut(px_ as u32, py_ as u32);
                        for i in 0..3 {
                            let v = p.0[i] as f32 * (1.0 - cov) + fg[i] as f32 * cov;
                            p.0[i] = v.round() as u8;
                        }
                    }
                });
            }
            x += adv;
        }
    }
    Image::from_rgb(img)
}
