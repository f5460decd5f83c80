//! Template OCR with the 5×7 font: find ink inside an object, infer the scale from the ink's
//! height, then match each glyph cell against every template. Noise flips cells, occlusion hides
//! characters, scale-1 text is fragile; the result is then simply wrong, as OCR is.

use crate::font::{bit, GLYPHS, GLYPH_H, GLYPH_W, ADVANCE};
use crate::palette::{dist2, luma};
use crate::{go_on, tick, Img, Progress, Rect, Stopped};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The text printed in `roi`, upper case; empty when no text is found.
pub fn read_text(img: &Img, roi: Rect) -> String {
    read_text_with(img, roi, &mut go_on).unwrap_or_default()
}

/// [`read_text`], reporting its work to `p` and stopping when it says so. Glyph matching costs
/// about `35 × scale²` units per glyph cell tried, the scale growing with the ink's height.
pub fn read_text_with(img: &Img, roi: Rect, p: &mut Progress) -> Result<String, Stopped> {
    let Some(roi) = roi.clip(img) else { return Ok(String::new()) };
    let (w, h) = (roi.w() as usize, roi.h() as usize);
    let mut pix: Vec<[u8; 3]> = Vec::with_capacity(w * h);
    for y in roi.y0..roi.y1 {
        tick(p, 4 * w as u64)?;
        for x in roi.x0..roi.x1 {
            pix.push(img.px(x, y));
        }
    }
    let base = median(&pix);
    let ink_col = if luma(base) > 110 { [20, 20, 20] } else { [248, 248, 248] };
    let mut ink: Vec<bool> = pix.iter().map(|&p| dist2(p, ink_col) * 2 < dist2(p, base)).collect();
    tick(p, 4 * (w * h) as u64)?;
    clear_border_components(&mut ink, w, h, p)?;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
    }
    if x1 <= x0 || y1 - y0 < GLYPH_H as usize - 1 {
        return Ok(String::new());
    }
    let s = ((y1 - y0 + GLYPH_H as usize / 2) / GLYPH_H as usize).max(1);
    let adv = ADVANCE as usize * s;
    let mut best: (u32, String) = (u32::MAX, String::new());
    for off in 0..=2 * s {
        let Some(start) = x0.checked_sub(off) else { break };
        let n = (x1 - start).div_ceil(adv);
        let mut text = String::new();
        let mut cost = 0;
        for i in 0..n {
            tick(p, (35 * s * s + 35 * GLYPHS.len()) as u64)?;
            let (c, d) = best_glyph(&ink, w, h, start + i * adv, y0, s);
            text.push(c);
            cost += d;
        }
        if cost < best.0 {
            best = (cost, text);
        }
    }
    Ok(best.1)
}

/// Per channel, the value at index `len / 2` of the sorted values (0 when empty), counted in
/// one linear pass rather than sorted.
fn median(pix: &[[u8; 3]]) -> [u8; 3] {
    let mut hist = [[0usize; 256]; 3];
    for px in pix {
        for c in 0..3 {
            hist[c][px[c] as usize] += 1;
        }
    }
    let mut m = [0u8; 3];
    for (c, out) in m.iter_mut().enumerate() {
        let (mut seen, want) = (0, pix.len() / 2);
        for (v, &n) in hist[c].iter().enumerate() {
            seen += n;
            if seen > want {
                *out = v as u8;
                break;
            }
        }
    }
    m
}

/// Ink touching the border of the region is background seen around the object, not text.
fn clear_border_components(ink: &mut [bool], w: usize, h: usize, p: &mut Progress) -> Result<(), Stopped> {
    let mut stack: Vec<usize> = Vec::new();
    for (i, v) in ink.iter_mut().enumerate() {
        let (x, y) = (i % w, i / w);
        if *v && (x == 0 || y == 0 || x + 1 == w || y + 1 == h) {
            *v = false;
            stack.push(i);
        }
    }
    let mut seen = vec![false; w * h];
    let mut done = 0u64;
    while let Some(i) = stack.pop() {
        done += 8;
        if done >= 4096 {
            tick(p, done)?;
            done = 0;
        }
        let (x, y) = (i % w, i / w);
        for (dx, dy) in [(-1i64, -1i64), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
            let (nx, ny) = (x as i64 + dx, y as i64 + dy);
            if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                continue;
            }
            let j = ny as usize * w + nx as usize;
            if ink[j] && !seen[j] {
                seen[j] = true;
                ink[j] = false;
                stack.push(j);
            }
        }
    }
    Ok(())
}

/// The glyph best matching the cell at (x, y), with its Hamming distance over the 35 cells.
fn best_glyph(ink: &[bool], w: usize, h: usize, x: usize, y: usize, s: usize) -> (char, u32) {
    let mut cells = [[false; 5]; 7];
    for (r, row) in cells.iter_mut().enumerate() {
        for (c, cell) in row.iter_mut().enumerate() {
            let mut on = 0;
            for dy in 0..s {
                for dx in 0..s {
                    let (px, py) = (x + c * s + dx, y + r * s + dy);
                    if px < w && py < h && ink[py * w + px] {
                        on += 1;
                    }
                }
            }
            *cell = 2 * on >= s * s;
        }
    }
    let mut best = ('?', u32::MAX);
    for (ch, rows) in GLYPHS {
        let mut d = 0;
        for r in 0..GLYPH_H {
            for c in 0..GLYPH_W {
                d += (bit(rows, c, r) != cells[r as usize][c as usize]) as u32;
            }
        }
        if d < best.1 {
            best = (*ch, d);
        }
    }
    best
}
