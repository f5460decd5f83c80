//! The value encoding shared with guests (ABI version 1). Little-endian throughout.
//!
//! ```text
//! input  = images values          (values: u32 count, then that many values: the arguments)
//! output = u8 0, images value     (ok: new images, then the result)
//!        | u8 1, u32 len, utf8    (the tool's own error message)
//! images = u32 count, then per image: u32 width, u32 height, width*height*3 bytes RGB
//! value  = u8 tag, then
//!   0 none | 1 bool: u8 | 2 number: f64 | 3 text: u32 len, utf8 | 4 image: u32 index
//!   5 region: u32 index, f64 x0 y0 x1 y1, u8 flags (1 label, 2 score), [text], [f64]
//!   6 list: u32 count, values | 7 record: u32 count, (u32 len, utf8 key, value)*
//! ```
//! Image indices in the output count the input images first, then the output's new images, so a
//! region the tool returns refers to the caller's image without copying pixels back.

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::value::{BBox, Image, Region, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const TAG_NONE: u8 = 0;
pub const TAG_BOOL: u8 = 1;
pub const TAG_NUMBER: u8 = 2;
pub const TAG_TEXT: u8 = 3;
pub const TAG_IMAGE: u8 = 4;
pub const TAG_REGION: u8 = 5;
pub const TAG_LIST: u8 = 6;
pub const TAG_RECORD: u8 = 7;

/// Nesting depth accepted in an output whatever `Limits::max_depth` says (deeper output is
/// E407, not a host stack overflow: the decoder recurses once per level).
pub const MAX_DEPTH: usize = 256;

/// Encode the arguments; each distinct image is written once, however many values refer to it.
pub fn encode_args(args: &[Value]) -> Result<(Vec<u8>, Vec<Image>), Diagnostic> {
    let mut images: Vec<Image> = Vec::new();
    let mut body = Vec::new();
    put_u32(&mut body, args.len());
    for a in args {
        encode_value(a, &mut body, &mut images)?;
    }
    let pixels: usize = images.iter().map(|i| i.pixels().as_raw().len() + 8).sum();
    let mut out = Vec::with_capacity(4 + pixels + body.len());
    put_u32(&mut out, images.len());
    for img in &images {
        put_u32(&mut out, img.width() as usize);
        put_u32(&mut out, img.height() as usize);
        out.extend_from_slice(img.pixels().as_raw());
    }
    out.extend_from_slice(&body);
    Ok((out, images))
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}
fn put_text(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn image_index(img: &Image, images: &mut Vec<Image>) -> usize {
    match images.iter().position(|i| i.same(img)) {
        Some(i) => i,
        None => {
            images.push(img.clone());
            images.len() - 1
        }
    }
}

fn encode_value(v: &Value, out: &mut Vec<u8>, images: &mut Vec<Image>) -> Result<(), Diagnostic> {
    match v {
        Value::None => out.push(TAG_NONE),
        Value::Bool(b) => out.extend_from_slice(&[TAG_BOOL, u8::from(*b)]),
        Value::Number(n) => {
            out.push(TAG_NUMBER);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::Text(t) => {
            out.push(TAG_TEXT);
            put_text(out, t);
        }
        Value::Image(img) => {
            out.push(TAG_IMAGE);
            let i = image_index(img, images);
            put_u32(out, i);
        }
        Value::Region(r) => {
            out.push(TAG_REGION);
            let i = image_index(&r.image, images);
            put_u32(out, i);
            for c in [r.bbox.x0, r.bbox.y0, r.bbox.x1, r.bbox.y1] {
                out.extend_from_slice(&c.to_le_bytes());
            }
            out.push(u8::from(r.label.is_some()) | (u8::from(r.score.is_some()) << 1));
            if let Some(l) = &r.label {
                put_text(out, l);
            }
            if let Some(s) = r.score {
                out.extend_from_slice(&s.to_le_bytes());
            }
        }
        Value::List(items) => {
            out.push(TAG_LIST);
            put_u32(out, items.len());
            for it in items.iter() {
                encode_value(it, out, images)?;
            }
        }
        Value::Record(fields) => {
            out.push(TAG_RECORD);
            put_u32(out, fields.len());
            for (k, v) in fields.iter() {
                put_text(out, k);
                encode_value(v, out, images)?;
            }
        }
        Value::Lambda(_) => {
            return Err(Diagnostic::new(Code::E402, "a function cannot be passed to a WASM plugin"));
        }
    }
    Ok(())
}

/// What a guest returned: a value, or its own error message.
pub enum Output {
    Ok(Value),
    ToolError(String),
}

/// Bounds on what an output may contain, all from the host's `Limits`.
#[derive(Debug, Clone, Copy)]
pub struct OutputLimits {
    pub max_list_len: usize,
    pub max_text_len: usize,
    /// Nesting of lists and records (`Limits::max_depth`, at most [`MAX_DEPTH`]).
    pub max_depth: usize,
    /// Pixels of each new image; an image with no pixels is refused too.
    pub max_image_pixels: u64,
    /// Nodes of the whole result (`Limits::max_value_nodes`).
    pub max_nodes: u64,
    /// Pixels of every image the process holds, new ones included (`Limits::max_live_pixels`, E310).
    pub max_live_pixels: u64,
}

impl OutputLimits {
    pub fn from_limits(l: &Limits) -> OutputLimits {
        OutputLimits {
            max_list_len: l.max_list_len,
            max_text_len: l.max_text_len,
            max_depth: l.max_depth.min(MAX_DEPTH),
            max_image_pixels: l.max_image_pixels,
            max_nodes: l.max_value_nodes,
            max_live_pixels: l.max_live_pixels,
        }
    }
}

/// Decode a guest's output and validate it before any tool sees it: every malformation, image
/// with no pixels or over the pixel limit, nesting over the depth limit, list or text over its
/// limit, or result over the node limit is E407, found while reading (a result is never built
/// larger than the limits). The caller still checks the result's [`Value::size`] against the
/// byte limit (`WasmTool::call` does: E407 too).
pub fn decode_output(bytes: &[u8], inputs: &[Image], lim: &OutputLimits) -> Result<Output, Diagnostic> {
    let mut r = Reader { bytes, pos: 0, lim, images: inputs.to_vec(), nodes: 0 };
    let out = match r.u8()? {
        0 => {
            let n = r.u32()?;
            if n > r.bytes.len() - r.pos {
                return Err(bad(format!("{n} new images cannot fit in the output")));
            }
            for _ in 0..n {
                let img = r.image()?;
                r.images.push(img);
            }
            Output::Ok(r.value(0)?)
        }
        1 => Output::ToolError(r.text()?.to_string()),
        s => return Err(bad(format!("unknown status byte {s}"))),
    };
    if r.pos != bytes.len() {
        return Err(bad(format!("{} trailing bytes after the result", bytes.len() - r.pos)));
    }
    Ok(out)
}

fn bad(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::E407, msg)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    lim: &'a OutputLimits,
    images: Vec<Image>,
    nodes: u64,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Diagnostic> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| bad(format!("output ends early (wanted {n} bytes at offset {})", self.pos)))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, Diagnostic> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<usize, Diagnostic> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn f64(&mut self) -> Result<f64, Diagnostic> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
    fn text(&mut self) -> Result<&'a str, Diagnostic> {
        let n = self.u32()?;
        if n > self.lim.max_text_len {
            return Err(bad(format!("text of {n} bytes exceeds the limit of {}", self.lim.max_text_len)));
        }
        std::str::from_utf8(self.take(n)?).map_err(|e| bad(format!("text is not UTF-8: {e}")))
    }
    fn image(&mut self) -> Result<Image, Diagnostic> {
        let (w, h) = (self.u32()?, self.u32()?);
        let pixels = (w as u64) * (h as u64);
        if pixels == 0 {
            return Err(bad(format!("a {w}×{h} image has no pixels")));
        }
        if pixels > self.lim.max_image_pixels {
            return Err(bad(format!("a {w}×{h} image has {pixels} pixels; the limit is {}", self.lim.max_image_pixels)));
        }
        let n = w.checked_mul(h).and_then(|p| p.checked_mul(3)).ok_or_else(|| bad("image size overflows"))?;
        let src = self.take(n)?;
        let reserved = Image::reserve(w as u32, h as u32, self.lim.max_live_pixels)?;
        let buf = image::RgbImage::from_raw(w as u32, h as u32, src.to_vec()).ok_or_else(|| bad("image buffer has the wrong size"))?;
        Ok(Image::from_reserved(reserved, buf))
    }
    fn image_ref(&mut self) -> Result<Image, Diagnostic> {
        let i = self.u32()?;
        self.images.get(i).cloned().ok_or_else(|| bad(format!("image index {i} out of range ({} images)", self.images.len())))
    }
    fn count(&mut self) -> Result<usize, Diagnostic> {
        let n = self.u32()?;
        if n > self.lim.max_list_len || n > self.bytes.len() - self.pos {
            return Err(bad(format!("collection of {n} items is too long")));
        }
        Ok(n)
    }
    fn value(&mut self, depth: usize) -> Result<Value, Diagnostic> {
        if depth > self.lim.max_depth {
            return Err(bad(format!("output nested deeper than {}", self.lim.max_depth)));
        }
        self.nodes += 1;
        if self.nodes > self.lim.max_nodes {
            return Err(bad(format!("output has more than {} values (Limits::max_value_nodes)", self.lim.max_nodes)));
        }
        Ok(match self.u8()? {
            TAG_NONE => Value::None,
            TAG_BOOL => match self.u8()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(bad(format!("bool byte {b}"))),
            },
            TAG_NUMBER => Value::Number(self.finite()?),
            TAG_TEXT => Value::text(self.text()?),
            TAG_IMAGE => Value::Image(self.image_ref()?),
            TAG_REGION => {
                let image = self.image_ref()?;
                let bbox = BBox { x0: self.finite()?, y0: self.finite()?, x1: self.finite()?, y1: self.finite()? };
                let flags = self.u8()?;
                if flags & !3 != 0 {
                    return Err(bad(format!("region flags {flags}")));
                }
                let label = if flags & 1 != 0 { Some(Arc::from(self.text()?)) } else { None };
                let score = if flags & 2 != 0 { Some(self.finite()?) } else { None };
                let mut r = Region::new(image, bbox);
                r.label = label;
                r.score = score;
                Value::Region(r)
            }
            TAG_LIST => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::list(items)
            }
            TAG_RECORD => {
                let n = self.count()?;
                let mut fields = BTreeMap::new();
                for _ in 0..n {
                    let k = self.text()?.to_string();
                    let v = self.value(depth + 1)?;
                    if fields.insert(k.clone(), v).is_some() {
                        return Err(bad(format!("record field `{k}` appears twice")));
                    }
                }
                Value::record(fields)
            }
            t => return Err(bad(format!("unknown value tag {t} at offset {}", self.pos - 1))),
        })
    }
    fn finite(&mut self) -> Result<f64, Diagnostic> {
        let x = self.f64()?;
        if x.is_finite() { Ok(x) } else { Err(bad("a number is NaN or infinite")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> OutputLimits {
        OutputLimits { max_list_len: 100, max_text_len: 100, max_depth: 64, max_image_pixels: 1 << 20, max_nodes: 10_000, max_live_pixels: u64::MAX }
    }

    fn ok_with_images(images: &[(u32, u32)], value: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8];
        out.extend_from_slice(&(images.len() as u32).to_le_bytes());
        for &(w, h) in images {
            out.extend_from_slice(&w.to_le_bytes());
            out.extend_from_slice(&h.to_le_bytes());
            out.extend(std::iter::repeat_n(7u8, (w * h * 3) as usize));
        }
        out.extend_from_slice(value);
        out
    }

    fn deep_list(depth: usize) -> Vec<u8> {
        let mut v = Vec::new();
        for _ in 0..depth {
            v.extend_from_slice(&[TAG_LIST, 1, 0, 0, 0]);
        }
        v.push(TAG_NONE);
        v
    }

    #[test]
    fn outputs_are_validated_against_the_limits() {
        let e = |out: Vec<u8>, l: &OutputLimits| match decode_output(&out, &[], l) {
            Err(d) => d,
            Ok(_) => panic!("decoded"),
        };
        let img = [TAG_IMAGE, 0, 0, 0, 0];
        for (w, h) in [(0, 5), (5, 0), (0, 0)] {
            let d = e(ok_with_images(&[(w, h)], &img), &lim());
            assert!(d.code == Code::E407 && d.message.contains("no pixels"), "{d}");
        }
        assert!(decode_output(&ok_with_images(&[(1, 1)], &img), &[], &lim()).is_ok());
        let small = OutputLimits { max_image_pixels: 15, ..lim() };
        assert!(e(ok_with_images(&[(4, 4)], &img), &small).message.contains("the limit is 15"));
        // Images the process already holds count too: a new one that would pass them is E310.
        let held = OutputLimits { max_live_pixels: 15, ..lim() };
        let d = e(ok_with_images(&[(4, 4)], &img), &held);
        assert!(d.code == Code::E310 && d.message.contains("max_live_pixels"), "{d}");
        let mut huge = vec![0u8, 1, 0, 0, 0];
        huge.extend_from_slice(&0xffff_ffffu32.to_le_bytes());
        huge.extend_from_slice(&0xffff_ffffu32.to_le_bytes());
        assert!(e(huge, &lim()).message.contains("the limit is"));
        let body = |v: Vec<u8>| [vec![0u8, 0, 0, 0, 0], v].concat();
        assert!(decode_output(&body(deep_list(64)), &[], &lim()).is_ok());
        let strict = OutputLimits::from_limits(&Limits::strict());
        assert!(e(body(deep_list(64)), &strict).message.contains("deeper than 32"));
        let many = OutputLimits { max_nodes: 50, ..lim() };
        let mut wide = vec![TAG_LIST, 2, 0, 0, 0];
        for _ in 0..2 {
            wide.extend_from_slice(&[TAG_LIST, 30, 0, 0, 0]);
            wide.extend(std::iter::repeat_n(TAG_NONE, 30));
        }
        assert!(e(body(wide), &many).message.contains("more than 50 values"));
    }

    #[test]
    fn output_may_return_new_images_and_refer_to_inputs() {
        let input = Image::from_rgb(image::RgbImage::new(2, 2));
        let mut out = vec![0u8];
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&[9, 8, 7]);
        out.push(TAG_LIST);
        out.extend_from_slice(&2u32.to_le_bytes());
        out.push(TAG_IMAGE);
        out.extend_from_slice(&0u32.to_le_bytes());
        out.push(TAG_IMAGE);
        out.extend_from_slice(&1u32.to_le_bytes());
        let Ok(Output::Ok(Value::List(items))) = decode_output(&out, std::slice::from_ref(&input), &lim()) else { panic!("decodes") };
        assert!(matches!(&items[0], Value::Image(i) if i.same(&input)));
        assert!(matches!(&items[1], Value::Image(i) if i.pixels().as_raw() == &vec![9, 8, 7]));
    }

    #[test]
    fn malformed_outputs_are_e407() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7],
            vec![0, 0, 0, 0, 0, 2, 0],
            vec![0, 0, 0, 0, 0, TAG_LIST, 255, 255, 255, 255],
            vec![0, 0, 0, 0, 0, TAG_IMAGE, 0, 0, 0, 0],
            vec![0, 0, 0, 0, 0, TAG_NONE, 0],
            vec![0, 0, 0, 0, 0, TAG_TEXT, 2, 0, 0, 0, 0xff, 0xfe],
            vec![1, 200, 0, 0, 0],
        ];
        for c in cases {
            match decode_output(&c, &[], &lim()) {
                Err(d) => assert_eq!(d.code, Code::E407),
                Ok(_) => panic!("{c:?} decoded"),
            }
        }
        let mut deep = vec![0, 0, 0, 0, 0];
        for _ in 0..10_000 {
            deep.extend_from_slice(&[TAG_LIST, 1, 0, 0, 0]);
        }
        deep.push(TAG_NONE);
        assert!(decode_output(&deep, &[], &lim()).is_err(), "deep nesting is refused, not a host stack overflow");
    }
}
