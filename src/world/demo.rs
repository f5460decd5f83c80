//! Small deterministic demo scenes: coloured shapes on a plain background, with their annotations.

use super::draw::Canvas;
use super::palette::{rgb, BACKGROUND};
use image::RgbImage;

/// One drawn object and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub shape: String,
    pub color: String,
    /// `[x0, y0, x1, y1]` in pixels.
    pub bbox: [u32; 4],
}

impl Object {
    pub fn new(shape: &str, color: &str, bbox: [u32; 4]) -> Object {
        Object { shape: shape.into(), color: color.into(), bbox }
    }
}

/// Draw objects (in order, later ones on top) on the default background.
pub fn draw_objects(w: u32, h: u32, objects: &[Object]) -> RgbImage {
    let mut c = Canvas::new(w, h, BACKGROUND);
    for o in objects {
        let col = rgb(&o.color).unwrap_or([0, 0, 0]);
        let [x0, y0, x1, y1] = o.bbox.map(|v| v as f64);
        c.shape(&o.shape, x0, y0, x1, y1, col);
    }
    c.img
}

/// SplitMix64: a tiny, well-known deterministic generator.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A 320×240 scene of 3–6 shapes, one per cell of a 3×2 grid, chosen by `seed`.
pub fn demo_scene(seed: u64) -> (RgbImage, Vec<Object>) {
    const SHAPES: [&str; 3] = ["circle", "square", "triangle"];
    const COLORS: [&str; 6] = ["red", "blue", "green", "yellow", "purple", "orange"];
    let mut rng = SplitMix(seed ^ 0xD3F1_2024);
    let n = 3 + rng.below(4) as usize;
    let mut cells: Vec<u32> = (0..6).collect();
    for i in (1..cells.len()).rev() {
        cells.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut objects = Vec::new();
    for &cell in cells.iter().take(n) {
        let (cx, cy) = (cell % 3, cell / 3);
        let size = 36 + rng.below(40) as u32;
        let x0 = cx * 106 + 8 + rng.below((98 - size.min(90)) as u64) as u32;
        let y0 = cy * 120 + 8 + rng.below((112 - size.min(104)) as u64) as u32;
        let shape = SHAPES[rng.below(3) as usize];
        let color = COLORS[rng.below(6) as usize];
        objects.push(Object::new(shape, color, [x0, y0, x0 + size, y0 + size]));
    }
    objects.sort_by_key(|o| (o.bbox[0], o.bbox[1]));
    (draw_objects(320, 240, &objects), objects)
}
