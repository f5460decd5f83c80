//! The ABI's value encoding (see docs/plugins.md): decode the host's input, encode the output.

use crate::value::{BBox, Image, Region, Value};
use std::borrow::Cow;

pub struct Reader {
    bytes: &'static [u8],
    pos: usize,
    pub images: Vec<Image>,
}

impl Reader {
    pub fn new(bytes: &'static [u8]) -> Reader {
        Reader { bytes, pos: 0, images: Vec::new() }
    }
    fn take(&mut self, n: usize) -> Result<&'static [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("input ends early")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f64(&mut self) -> Result<f64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(a))
    }
    fn text(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|e| e.to_string())
    }
    fn image_ref(&mut self) -> Result<Image, String> {
        let i = self.u32()? as usize;
        self.images.get(i).cloned().ok_or_else(|| format!("image index {i} out of range"))
    }

    /// The whole input: the image table, then the arguments.
    pub fn args(&mut self) -> Result<Vec<Value>, String> {
        let n = self.u32()?;
        for i in 0..n {
            let (w, h) = (self.u32()?, self.u32()?);
            let px = self.take(w as usize * h as usize * 3)?;
            self.images.push(Image { index: Some(i), width: w, height: h, pixels: Cow::Borrowed(px) });
        }
        let n = self.u32()?;
        (0..n).map(|_| self.value()).collect()
    }

    fn value(&mut self) -> Result<Value, String> {
        Ok(match self.u8()? {
            0 => Value::None,
            1 => Value::Bool(self.u8()? != 0),
            2 => Value::Number(self.f64()?),
            3 => Value::Text(self.text()?),
            4 => Value::Image(self.image_ref()?),
            5 => {
                let image = self.image_ref()?;
                let bbox = BBox { x0: self.f64()?, y0: self.f64()?, x1: self.f64()?, y1: self.f64()? };
                let flags = self.u8()?;
                let label = if flags & 1 != 0 { Some(self.text()?) } else { None };
                let score = if flags & 2 != 0 { Some(self.f64()?) } else { None };
                Value::Region(Region { image, bbox, label, score })
            }
            6 => {
                let n = self.u32()?;
                Value::List((0..n).map(|_| self.value()).collect::<Result<_, _>>()?)
            }
            7 => {
                let n = self.u32()?;
                let mut fields = Vec::new();
                for _ in 0..n {
                    fields.push((self.text()?, self.value()?));
                }
                Value::Record(fields)
            }
            t => return Err(format!("unknown value tag {t}")),
        })
    }
}

/// Encode a successful result: new images first, then the value.
pub fn encode_ok(v: &Value, n_inputs: u32) -> Vec<u8> {
    let mut body = Vec::new();
    let mut new_images: Vec<&Image> = Vec::new();
    value(v, &mut body, &mut new_images, n_inputs);
    let mut out = vec![0u8];
    out.extend_from_slice(&(new_images.len() as u32).to_le_bytes());
    for img in &new_images {
        out.extend_from_slice(&img.width.to_le_bytes());
        out.extend_from_slice(&img.height.to_le_bytes());
        out.extend_from_slice(&img.pixels);
    }
    out.extend_from_slice(&body);
    out
}

/// Encode the tool's own error.
pub fn encode_err(msg: &str) -> Vec<u8> {
    let mut out = vec![1u8];
    text(msg, &mut out);
    out
}

fn text(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn image<'a>(img: &'a Image, out: &mut Vec<u8>, new: &mut Vec<&'a Image>, n_inputs: u32) {
    let index = match img.index {
        Some(i) => i,
        None => {
            new.push(img);
            n_inputs + new.len() as u32 - 1
        }
    };
    out.extend_from_slice(&index.to_le_bytes());
}

fn value<'a>(v: &'a Value, out: &mut Vec<u8>, new: &mut Vec<&'a Image>, n: u32) {
    match v {
        Value::None => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, *b as u8]),
        Value::Number(x) => {
            out.push(2);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Text(t) => {
            out.push(3);
            text(t, out);
        }
        Value::Image(img) => {
            out.push(4);
            image(img, out, new, n);
        }
        Value::Region(r) => {
            out.push(5);
            image(&r.image, out, new, n);
            for c in [r.bbox.x0, r.bbox.y0, r.bbox.x1, r.bbox.y1] {
                out.extend_from_slice(&c.to_le_bytes());
            }
            out.push(r.label.is_some() as u8 | ((r.score.is_some() as u8) << 1));
            if let Some(l) = &r.label {
                text(l, out);
            }
            if let Some(s) = r.score {
                out.extend_from_slice(&s.to_le_bytes());
            }
        }
        Value::List(items) => {
            out.push(6);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for it in items {
                value(it, out, new, n);
            }
        }
        Value::Record(fields) => {
            out.push(7);
            out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
            for (k, v) in fields {
                text(k, out);
                value(v, out, new, n);
            }
        }
    }
}
