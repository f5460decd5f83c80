//! Simple pixel tools: segmentation into blobs, dominant colour, coarse shape.
//!
//! These read real pixels and are exact on clean synthetic scenes; noise, occlusion and touching
//! objects of similar colour make them err, as real perception tools do.
//!
//! Any image and any box is accepted: a box is clipped to the image (an empty or inverted one
//! covers no pixels; NaN counts as 0, infinities as the edge), and an image with no pixels has no
//! background. Their work is linear in the pixels covered and is charged as it goes
//! ([`ToolCtx::charge`], one unit per 256 pixels per pass), so the tick and wall limits hold inside
//! one call on a huge image.

use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, FnTool, Param, Signature, ToolCtx};
use crate::types::Type;
use crate::value::{BBox, Image, Region, Value};
use crate::world::palette::{distance2, nearest_name};
use crate::tools::bench::meter::Meter;
use serde_json::json;

/// Squared "redmean" distance beyond which a pixel differs from the background.
const FG_THRESHOLD: f64 = 6000.0;

pub fn tools() -> Vec<FnTool> {
    vec![
        FnTool {
            sig: Signature::new("segment", vec![Param::req("image", Type::Visual), Param::opt("min_area", Type::Number, json!(20))],
                Type::list(Type::Region),
                "Blobs of uniform colour that stand out from the background, left to right, labelled \"<colour> <shape>\"."),
            f: segment,
        },
        FnTool {
            sig: Signature::new("color", vec![Param::req("image", Type::Visual)], Type::Text,
                "Name of the dominant foreground colour (red, orange, yellow, green, blue, purple, pink, brown, white, gray, black)."),
            f: |a, ctx| {
                let r = a.visual(0)?;
                let px = foreground(&r, background(&r.image), &mut Meter::new(ctx))?;
                Ok(Value::text(nearest_name(px.hist.median().unwrap_or([128.0; 3]))))
            },
        },
        FnTool {
            sig: Signature::new("shape", vec![Param::req("image", Type::Visual)], Type::Text,
                "Coarse shape of the foreground: circle, square, rectangle or triangle."),
            f: |a, ctx| {
                let r = a.visual(0)?;
                let px = foreground(&r, background(&r.image), &mut Meter::new(ctx))?;
                if px.hist.count == 0 {
                    return Err(Diagnostic::new(Code::E401, "no foreground object in this region"));
                }
                Ok(Value::text(classify_shape(px.hist.count, &px.bbox)))
            },
        },
    ]
}

/// Median colour of the image border: the scene background (black for an image with no pixels).
fn background(img: &Image) -> [f64; 3] {
    let p = img.pixels();
    let (w, h) = (p.width(), p.height());
    let mut border = Hist::default();
    if w == 0 || h == 0 {
        return [0.0; 3];
    }
    for x in 0..w {
        border.add(p.get_pixel(x, 0).0);
        border.add(p.get_pixel(x, h - 1).0);
    }
    for y in 0..h {
        border.add(p.get_pixel(0, y).0);
        border.add(p.get_pixel(w - 1, y).0);
    }
    border.median().unwrap_or([0.0; 3])
}

/// Per-channel histograms of some pixels: their median in constant time, however many.
struct Hist {
    count: usize,
    bins: [[u32; 256]; 3],
}

impl Default for Hist {
    fn default() -> Self {
        Hist { count: 0, bins: [[0; 256]; 3] }
    }
}

impl Hist {
    fn add(&mut self, c: [u8; 3]) {
        self.count += 1;
        for (bins, v) in self.bins.iter_mut().zip(c) {
            bins[v as usize] = bins[v as usize].saturating_add(1);
        }
    }
    /// Per channel, the value at index `count / 2` of the sorted values; `None` when empty.
    fn median(&self) -> Option<[f64; 3]> {
        if self.count == 0 {
            return None;
        }
        let mut out = [0.0; 3];
        for (o, bins) in out.iter_mut().zip(&self.bins) {
            let mut seen = 0usize;
            for (v, &n) in bins.iter().enumerate() {
                seen += n as usize;
                if seen > self.count / 2 {
                    *o = v as f64;
                    break;
                }
            }
        }
        Some(out)
    }
}

fn rgb(c: [u8; 3]) -> [f64; 3] {
    [c[0] as f64, c[1] as f64, c[2] as f64]
}

struct Foreground {
    hist: Hist,
    bbox: BBox,
}

/// The pixels a region covers, `[x0, x1) × [y0, y1)`, clipped to its image; never inverted.
fn pixel_bounds(r: &Region) -> (u32, u32, u32, u32) {
    let b = r.bbox;
    let (w, h) = (r.image.width(), r.image.height());
    let c = |v: f64, max: u32| if v.is_nan() { 0 } else { v.clamp(0.0, max as f64) as u32 };
    let (x0, y0) = (c(b.x0.floor(), w), c(b.y0.floor(), h));
    (x0, y0, c(b.x1.ceil(), w).max(x0), c(b.y1.ceil(), h).max(y0))
}

fn foreground(r: &Region, bg: [f64; 3], meter: &mut Meter) -> Result<Foreground, Diagnostic> {
    let p = r.image.pixels();
    let (x0, y0, x1, y1) = pixel_bounds(r);
    let mut hist = Hist::default();
    let mut bb = BBox { x0: f64::MAX, y0: f64::MAX, x1: f64::MIN, y1: f64::MIN };
    for y in y0..y1 {
        meter.add(u64::from(x1 - x0))?;
        for x in x0..x1 {
            let c = p.get_pixel(x, y).0;
            if distance2(rgb(c), bg) > FG_THRESHOLD {
                hist.add(c);
                bb = BBox { x0: bb.x0.min(x as f64), y0: bb.y0.min(y as f64), x1: bb.x1.max(x as f64 + 1.0), y1: bb.y1.max(y as f64 + 1.0) };
            }
        }
    }
    Ok(Foreground { hist, bbox: bb })
}

fn classify_shape(count: usize, bb: &BBox) -> &'static str {
    let fill = count as f64 / bb.area().max(1.0);
    let aspect = bb.width() / bb.height().max(1.0);
    if fill < 0.62 {
        "triangle"
    } else if fill < 0.88 {
        "circle"
    } else if (0.8..=1.25).contains(&aspect) {
        "square"
    } else {
        "rectangle"
    }
}

fn segment(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let r = a.visual(0)?;
    let min_area = a.number(1)?.max(1.0) as usize;
    let bg = background(&r.image);
    let p = r.image.pixels();
    let (x0, y0, x1, y1) = pixel_bounds(&r);
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let raw = |x: usize, y: usize| p.get_pixel(x0 + x as u32, y0 + y as u32).0;
    let px = |x: usize, y: usize| rgb(raw(x, y));
    let mut meter = Meter::new(ctx);
    let mut fg = vec![false; w * h];
    for y in 0..h {
        meter.add(w as u64)?;
        for x in 0..w {
            fg[y * w + x] = distance2(px(x, y), bg) > FG_THRESHOLD;
        }
    }
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !fg[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut members = Vec::new();
        while let Some(i) = stack.pop() {
            meter.add(4)?;
            members.push(i);
            let (x, y) = (i % w, i / w);
            let here = px(x, y);
            let mut visit = |nx: usize, ny: usize| {
                let j = ny * w + nx;
                if fg[j] && !seen[j] && distance2(px(nx, ny), here) < FG_THRESHOLD {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 { visit(x - 1, y) }
            if x + 1 < w { visit(x + 1, y) }
            if y > 0 { visit(x, y - 1) }
            if y + 1 < h { visit(x, y + 1) }
        }
        if members.len() < min_area {
            continue;
        }
        let (mut bx0, mut by0, mut bx1, mut by1) = (usize::MAX, usize::MAX, 0, 0);
        for &i in &members {
            let (x, y) = (i % w, i / w);
            bx0 = bx0.min(x);
            by0 = by0.min(y);
            bx1 = bx1.max(x + 1);
            by1 = by1.max(y + 1);
        }
        meter.add(members.len() as u64 + 768)?;
        let mut colors = Hist::default();
        for &i in &members {
            colors.add(raw(i % w, i / w));
        }
        let bbox = BBox { x0: (x0 as usize + bx0) as f64, y0: (y0 as usize + by0) as f64, x1: (x0 as usize + bx1) as f64, y1: (y0 as usize + by1) as f64 };
        let name = nearest_name(colors.median().unwrap_or(bg));
        let mut reg = Region::new(r.image.clone(), bbox);
        reg.label = Some(format!("{name} {}", classify_shape(members.len(), &bbox)).into());
        out.push(Value::Region(reg));
        let max = meter.limits().max_list_len;
        if out.len() > max {
            return Err(Diagnostic::new(Code::E303, format!("more than {max} blobs")));
        }
    }
    out.sort_by(|a, b| match (a, b) {
        (Value::Region(p), Value::Region(q)) => p.bbox.x0.total_cmp(&q.bbox.x0).then(p.bbox.y0.total_cmp(&q.bbox.y0)),
        _ => std::cmp::Ordering::Equal,
    });
    Ok(Value::list(out))
}
