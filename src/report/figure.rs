//! Regions in trace values, drawn as SVG over an embedded PNG.

use crate::diag::{Code, Diagnostic};
use crate::value::Image;
use std::fmt::Write;

/// A region found in a trace value: image hash, box, label.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRef {
    pub image: String,
    pub bbox: [f64; 4],
    pub label: Option<String>,
}

/// Every region in a JSON value written by `Value::to_json` (`{"region": [..], "image": ..}`),
/// depth first, at most `max`.
pub fn regions_in(v: &serde_json::Value, max: usize, out: &mut Vec<RegionRef>) {
    if out.len() >= max {
        return;
    }
    match v {
        serde_json::Value::Object(o) => {
            let b = o.get("region").and_then(|r| r.as_array()).map(|a| a.iter().filter_map(|x| x.as_f64()).collect::<Vec<_>>());
            if let (Some(b), Some(img)) = (b, o.get("image").and_then(|i| i.as_str())) {
                if let [x0, y0, x1, y1] = b[..] {
                    out.push(RegionRef { image: img.into(), bbox: [x0, y0, x1, y1], label: o.get("label").and_then(|l| l.as_str()).map(String::from) });
                    return;
                }
            }
            o.values().for_each(|x| regions_in(x, max, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| regions_in(x, max, out)),
        _ => {}
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The image as a PNG data URL.
pub fn data_url(img: &Image) -> Result<String, Diagnostic> {
    let mut png = Vec::new();
    img.pixels()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Diagnostic::new(Code::E499, format!("cannot encode the image as PNG: {e}")))?;
    Ok(format!("data:image/png;base64,{}", base64(&png)))
}

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const COLORS: &[&str] = &["#ff3b30", "#007aff", "#34c759", "#ff9500", "#af52de", "#00c7be", "#ff2d55", "#5856d6"];

/// An SVG figure: the image (by reference to its one embedded copy) with result regions solid
/// and argument regions dashed.
pub fn svg(img: &Image, results: &[RegionRef], args: &[RegionRef]) -> String {
    let (w, h) = (img.width(), img.height());
    let id = img.hash().replace(':', "-");
    let mut s = format!("<svg class=\"fig\" viewBox=\"0 0 {w} {h}\" style=\"aspect-ratio:{w}/{h}\" role=\"img\"><use href=\"#{id}\"/>");
    let stroke = (w.max(h) as f64 / 200.0).max(1.5);
    for r in args.iter().filter(|r| r.image == img.hash()) {
        let [x0, y0, x1, y1] = r.bbox;
        let _ = write!(s, "<rect class=\"box arg\" x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#222\" stroke-width=\"{stroke}\" stroke-dasharray=\"4 3\"/>", x1 - x0, y1 - y0);
    }
    for (i, r) in results.iter().filter(|r| r.image == img.hash()).enumerate() {
        let [x0, y0, x1, y1] = r.bbox;
        let c = COLORS[i % COLORS.len()];
        let _ = write!(s, "<rect class=\"box result\" x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" fill=\"{c}\" fill-opacity=\"0.12\" stroke=\"{c}\" stroke-width=\"{stroke}\"/>", x1 - x0, y1 - y0);
        let label = match &r.label {
            Some(l) => format!("{i}: {l}"),
            None => format!("{i}"),
        };
        let ty = if y0 > 12.0 { y0 - 3.0 } else { y1 + 11.0 };
        let _ = write!(s, "<text x=\"{x0}\" y=\"{ty}\" font-size=\"10\" fill=\"{c}\" stroke=\"white\" stroke-width=\"2.5\" paint-order=\"stroke\">{}</text>", escape(&label));
    }
    s.push_str("</svg>");
    s
}
