//! Colour blob detection over raw RGB pixels: classify every pixel to its nearest palette colour,
//! keep those of the wanted colour (within a distance), and group them into 4-connected blobs.
//! Pure Rust with no SDK types, so the benchmark can run the same code natively.

#[path = "palette.rs"]
pub mod palette;

/// Squared redmean distance beyond which a pixel matches no palette colour.
pub const MAX_DISTANCE2: f64 = 9000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    pub pixels: usize,
    pub shape: &'static str,
}

impl Blob {
    /// Pixels over box area: 1 for a rectangle, π/4 for a circle, 1/2 for a triangle.
    pub fn fill(&self) -> f64 {
        self.pixels as f64 / ((self.x1 - self.x0) as f64 * (self.y1 - self.y0) as f64).max(1.0)
    }
}

fn shape(fill: f64) -> &'static str {
    if fill > 0.9 {
        "rectangle"
    } else if fill > 0.65 {
        "circle"
    } else {
        "triangle"
    }
}

/// Blobs of palette colour `want` inside `(x0, y0, x1, y1)` of a `w`×`h` RGB image.
pub fn find_blobs(px: &[u8], w: u32, bounds: (u32, u32, u32, u32), want: usize, min_area: usize) -> Vec<Blob> {
    let (bx0, by0, bx1, by1) = bounds;
    let (bw, bh) = ((bx1 - bx0) as usize, (by1 - by0) as usize);
    let mut mask = vec![false; bw * bh];
    for y in 0..bh {
        for x in 0..bw {
            let i = ((by0 as usize + y) * w as usize + bx0 as usize + x) * 3;
            let (c, d) = palette::nearest([px[i], px[i + 1], px[i + 2]]);
            mask[y * bw + x] = c == want && d < MAX_DISTANCE2;
        }
    }
    let mut blobs = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] {
            continue;
        }
        mask[start] = false;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1, mut n) = (usize::MAX, usize::MAX, 0, 0, 0);
        while let Some(p) = stack.pop() {
            let (x, y) = (p % bw, p / bw);
            n += 1;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
            let mut visit = |q: usize| {
                if mask[q] {
                    mask[q] = false;
                    stack.push(q);
                }
            };
            if x > 0 {
                visit(p - 1);
            }
            if x + 1 < bw {
                visit(p + 1);
            }
            if y > 0 {
                visit(p - bw);
            }
            if y + 1 < bh {
                visit(p + bw);
            }
        }
        if n >= min_area {
            let mut b = Blob {
                x0: bx0 + x0 as u32,
                y0: by0 + y0 as u32,
                x1: bx0 + x1 as u32,
                y1: by0 + y1 as u32,
                pixels: n,
                shape: "",
            };
            b.shape = shape(b.fill());
            blobs.push(b);
        }
    }
    blobs
}

// `alloc`, not `std`, and last so that no line moves (panic locations stay, and so do the
// committed binaries): the component twin (`tools-wasm/components/find_color`) is `no_std`.
use alloc::vec;
use alloc::vec::Vec;
