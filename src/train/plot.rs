//! Loss-curve PNG with no plotting dependency: training loss (blue), validation loss (red dots),
//! light grid lines at round loss values, axes from step 0 and loss 0.

use image::{Rgb, RgbImage};
use std::path::Path;

const W: u32 = 800;
const H: u32 = 480;
const PAD: i64 = 40;

/// Draw the curves and write a PNG, whole or not at all (through [`crate::output`]). Empty series
/// give an empty chart.
pub fn loss_png(path: &Path, train: &[(u64, f64)], val: &[(u64, f64)]) -> Result<(), crate::Diagnostic> {
    let mut img = RgbImage::from_pixel(W, H, Rgb([255, 255, 255]));
    let finite = |&&(_, l): &&(u64, f64)| l.is_finite();
    let max_step = train.iter().chain(val).map(|p| p.0).max().unwrap_or(1).max(1) as f64;
    let max_loss = train.iter().chain(val).filter(finite).map(|p| p.1).fold(0.0f64, f64::max).max(1e-6) * 1.05;
    let (x0, y0, x1, y1) = (PAD, H as i64 - PAD, W as i64 - PAD / 2, PAD / 2);
    let to_px = |s: u64, l: f64| -> (i64, i64) {
        let x = x0 as f64 + (s as f64 / max_step) * (x1 - x0) as f64;
        let y = y0 as f64 - (l / max_loss) * (y0 - y1) as f64;
        (x.round() as i64, y.round() as i64)
    };
    let grid = nice_step(max_loss / 5.0);
    let mut g = grid;
    while g < max_loss {
        let (_, y) = to_px(0, g);
        line(&mut img, (x0, y), (x1, y), Rgb([225, 225, 225]));
        g += grid;
    }
    line(&mut img, (x0, y0), (x1, y0), Rgb([0, 0, 0]));
    line(&mut img, (x0, y0), (x0, y1), Rgb([0, 0, 0]));
    let pts: Vec<(i64, i64)> = train.iter().filter(finite).map(|&(s, l)| to_px(s, l)).collect();
    for w in pts.windows(2) {
        line(&mut img, w[0], w[1], Rgb([31, 119, 180]));
    }
    for &(s, l) in val.iter().filter(finite) {
        let (x, y) = to_px(s, l);
        for dx in -3..=3 {
            for dy in -3..=3 {
                if dx * dx + dy * dy <= 9 {
                    put(&mut img, x + dx, y + dy, Rgb([214, 39, 40]));
                }
            }
        }
    }
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| crate::Diagnostic::new(crate::Code::E503, format!("{}: {e}", path.display())))?;
    crate::output::write_bytes(path, &png)
}

fn nice_step(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|&s| s >= x).unwrap_or(10.0 * p)
}

fn put(img: &mut RgbImage, x: i64, y: i64, c: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, c);
    }
}

fn line(img: &mut RgbImage, (mut x, mut y): (i64, i64), (xe, ye): (i64, i64), c: Rgb<u8>) {
    let (dx, dy) = ((xe - x).abs(), -(ye - y).abs());
    let (sx, sy) = (if x < xe { 1 } else { -1 }, if y < ye { 1 } else { -1 });
    let mut err = dx + dy;
    loop {
        put(img, x, y, c);
        if x == xe && y == ye {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}
