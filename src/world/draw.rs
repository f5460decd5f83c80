//! A tiny rasteriser: filled rectangles, circles and triangles on an RGB canvas.

use image::{Rgb, RgbImage};

pub struct Canvas {
    pub img: RgbImage,
}

impl Canvas {
    pub fn new(w: u32, h: u32, bg: [u8; 3]) -> Canvas {
        Canvas { img: RgbImage::from_pixel(w, h, Rgb(bg)) }
    }

    fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as u32) < self.img.width() && (y as u32) < self.img.height() {
            self.img.put_pixel(x as u32, y as u32, Rgb(c));
        }
    }

    /// Fill `[x0, x1) × [y0, y1)`.
    pub fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: [u8; 3]) {
        for y in y0..y1 {
            for x in x0..x1 {
                self.put(x, y, c);
            }
        }
    }

    /// Fill the disc centred at (cx, cy) with radius r (pixel centres inside the circle).
    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, c: [u8; 3]) {
        let (x0, x1) = ((cx - r).floor() as i64, (cx + r).ceil() as i64);
        let (y0, y1) = ((cy - r).floor() as i64, (cy + r).ceil() as i64);
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                if dx * dx + dy * dy <= r * r {
                    self.put(x, y, c);
                }
            }
        }
    }

    /// Fill the triangle with the given vertices.
    pub fn triangle(&mut self, p: [(f64, f64); 3], c: [u8; 3]) {
        let minx = p.iter().map(|q| q.0).fold(f64::INFINITY, f64::min).floor() as i64;
        let maxx = p.iter().map(|q| q.0).fold(f64::NEG_INFINITY, f64::max).ceil() as i64;
        let miny = p.iter().map(|q| q.1).fold(f64::INFINITY, f64::min).floor() as i64;
        let maxy = p.iter().map(|q| q.1).fold(f64::NEG_INFINITY, f64::max).ceil() as i64;
        let edge = |a: (f64, f64), b: (f64, f64), x: f64, y: f64| (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0);
        for y in miny..maxy {
            for x in minx..maxx {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let e = [edge(p[0], p[1], px, py), edge(p[1], p[2], px, py), edge(p[2], p[0], px, py)];
                if e.iter().all(|&v| v >= 0.0) || e.iter().all(|&v| v <= 0.0) {
                    self.put(x, y, c);
                }
            }
        }
    }

    /// Draw a named shape filling the box `[x0, x1) × [y0, y1)`.
    pub fn shape(&mut self, shape: &str, x0: f64, y0: f64, x1: f64, y1: f64, c: [u8; 3]) {
        match shape {
            "circle" => self.circle((x0 + x1) / 2.0, (y0 + y1) / 2.0, (x1 - x0).min(y1 - y0) / 2.0, c),
            "triangle" => self.triangle([((x0 + x1) / 2.0, y0), (x1, y1), (x0, y1)], c),
            _ => self.rect(x0 as i64, y0 as i64, x1 as i64, y1 as i64, c),
        }
    }
}
