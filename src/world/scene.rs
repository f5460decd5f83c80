//! Benchmark scenes: what is in a scene (exact annotations) and how the layout is drawn at random.

use super::demo::SplitMix;
use dwim_perception::font::{text_width, GLYPH_H};
use dwim_perception::palette::{luma, rgb, OBJECT_COLORS};
use serde::{Deserialize, Serialize};

pub const SHAPES: &[&str] = &["circle", "square", "rectangle", "triangle"];
const TEXT_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// One object, exactly as drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneObject {
    pub id: usize,
    pub shape: String,
    pub color: String,
    /// `small` (longer side 10–24 px), `medium` (28–44) or `large` (50–80).
    pub size: String,
    /// The whole object's box `[x0, y0, x1, y1]` (exclusive ends), occluded parts included.
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
    /// The box of its visible pixels: what grounding answers and `detect` are scored against.
    pub visible_box: [u32; 4],
    /// Share of the object's pixels hidden by objects drawn later (0..1).
    pub occluded: f64,
    pub visible_pixels: u32,
    /// The printed label, if any (2–4 capital letters or digits, 5×7 font).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Where the label starts `[x, y]` and its font scale (pixels per font pixel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_at: Option<[u32; 3]>,
}

impl SceneObject {
    /// `"medium red circle"`.
    pub fn describe(&self) -> String {
        format!("{} {} {}", self.size, self.color, self.shape)
    }
    pub fn rgb(&self) -> [u8; 3] {
        rgb(&self.color).unwrap_or([128, 128, 128])
    }
    /// Ink colour of its label: black on light objects, white on dark ones.
    pub fn ink(&self) -> [u8; 3] {
        if luma(self.rgb()) > 128 { [20, 20, 20] } else { [248, 248, 248] }
    }
    /// Is pixel (x, y) inside the object's outline (ignoring occlusion)?
    pub fn covers(&self, x: u32, y: u32) -> bool {
        let [x0, y0, x1, y1] = self.bbox;
        if x < x0 || y < y0 || x >= x1 || y >= y1 {
            return false;
        }
        let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
        let (fx0, fy0, fx1, fy1) = (x0 as f64, y0 as f64, x1 as f64, y1 as f64);
        match self.shape.as_str() {
            "circle" => {
                let (cx, cy, r) = ((fx0 + fx1) / 2.0, (fy0 + fy1) / 2.0, (fx1 - fx0).min(fy1 - fy0) / 2.0);
                (px - cx).powi(2) + (py - cy).powi(2) <= r * r
            }
            "triangle" => {
                // apex at top centre, base along the bottom
                let t = (py - fy0) / (fy1 - fy0);
                let half = t * (fx1 - fx0) / 2.0;
                let cx = (fx0 + fx1) / 2.0;
                px >= cx - half && px <= cx + half
            }
            _ => true,
        }
    }
}

/// A scene: its image file and every object in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    pub id: String,
    /// Image path relative to the dataset directory.
    pub file: String,
    pub width: u32,
    pub height: u32,
    /// The seed this scene was drawn from (dataset seed mixed with the index).
    pub seed: u64,
    pub split: String,
    /// 0 easy, 1 medium, 2 hard: lighting gradient, colour cast, noise and clutter grow with it.
    pub difficulty: u32,
    /// Objects in drawing order (later ones occlude earlier ones).
    pub objects: Vec<SceneObject>,
}

/// Mix a dataset seed and an index into a scene seed.
pub fn scene_seed(seed: u64, index: u64) -> u64 {
    let mut r = SplitMix(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
    r.next_u64()
}

/// Choose objects, sizes, positions and labels. Occlusion figures are filled in by the renderer.
pub fn layout(rng: &mut SplitMix, w: u32, h: u32) -> Vec<SceneObject> {
    let n = 3 + rng.below(6) as usize;
    let mut objs: Vec<SceneObject> = Vec::new();
    let mut tries = 0;
    while objs.len() < n && tries < 60 {
        tries += 1;
        let shape = SHAPES[rng.below(SHAPES.len() as u64) as usize];
        let color = OBJECT_COLORS[rng.below(OBJECT_COLORS.len() as u64) as usize];
        let (size, long) = match rng.below(20) {
            0..=4 => ("small", 10 + rng.below(15) as u32),
            5..=12 => ("medium", 28 + rng.below(17) as u32),
            _ => ("large", 50 + rng.below(31) as u32),
        };
        let (bw, bh) = if shape == "rectangle" {
            let short = long * (45 + rng.below(16) as u32) / 100;
            if rng.below(2) == 0 { (long, short) } else { (short, long) }
        } else {
            (long, long)
        };
        if bw + 8 >= w || bh + 8 >= h {
            continue;
        }
        let (mut x0, mut y0) = (4 + rng.below((w - 8 - bw) as u64) as u32, 4 + rng.below((h - 8 - bh) as u64) as u32);
        if !objs.is_empty() && rng.below(10) < 3 {
            // next to an earlier object, touching or overlapping it a little
            let o = &objs[rng.below(objs.len() as u64) as usize].bbox;
            let bite = rng.below(8) as i64;
            let (nx, ny) = match rng.below(4) {
                0 => (o[2] as i64 - bite, o[1] as i64 + rng.below(o[3] as u64 - o[1] as u64) as i64 - bh as i64 / 2),
                1 => (o[0] as i64 - bw as i64 + bite, o[1] as i64 + rng.below(o[3] as u64 - o[1] as u64) as i64 - bh as i64 / 2),
                2 => (o[0] as i64 + rng.below(o[2] as u64 - o[0] as u64) as i64 - bw as i64 / 2, o[3] as i64 - bite),
                _ => (o[0] as i64 + rng.below(o[2] as u64 - o[0] as u64) as i64 - bw as i64 / 2, o[1] as i64 - bh as i64 + bite),
            };
            x0 = nx.clamp(4, (w - 4 - bw) as i64) as u32;
            y0 = ny.clamp(4, (h - 4 - bh) as i64) as u32;
        }
        let b = [x0, y0, x0 + bw, y0 + bh];
        let ok = objs.iter().all(|o| {
            let inter = overlap(&o.bbox, &b) as f64;
            inter / area(&o.bbox) as f64 <= 0.55 && inter / area(&b) as f64 <= 0.5
        });
        if !ok {
            continue;
        }
        let mut o = SceneObject {
            id: objs.len(),
            shape: shape.into(),
            color: color.into(),
            size: size.into(),
            bbox: b,
            visible_box: b,
            occluded: 0.0,
            visible_pixels: 0,
            text: None,
            text_at: None,
        };
        if shape != "triangle" && rng.below(100) < 50 {
            place_text(rng, &mut o);
        }
        objs.push(o);
    }
    objs
}

fn place_text(rng: &mut SplitMix, o: &mut SceneObject) {
    let [x0, y0, x1, y1] = o.bbox;
    let (mut iw, mut ih) = (x1 - x0, y1 - y0);
    if o.shape == "circle" {
        iw = iw * 7 / 10;
        ih = ih * 7 / 10;
    }
    let want = 2 + rng.below(3) as u32;
    let text: String = (0..want).map(|_| TEXT_CHARS[rng.below(TEXT_CHARS.len() as u64) as usize] as char).collect();
    for scale in [2, 1] {
        for n in (2..=want).rev() {
            let (tw, th) = (text_width(n, scale), GLYPH_H * scale);
            if tw + 6 <= iw && th + 6 <= ih {
                let tx = (x0 + x1 - tw) / 2;
                let ty = (y0 + y1 - th) / 2;
                o.text = Some(text[..n as usize].to_string());
                o.text_at = Some([tx, ty, scale]);
                return;
            }
        }
    }
}

pub fn area(b: &[u32; 4]) -> u32 {
    (b[2] - b[0]) * (b[3] - b[1])
}

pub fn overlap(a: &[u32; 4], b: &[u32; 4]) -> u32 {
    let (x0, y0, x1, y1) = (a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3]));
    if x1 > x0 && y1 > y0 { (x1 - x0) * (y1 - y0) } else { 0 }
}
