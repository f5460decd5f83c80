//! Drawing a scene: background with lighting gradient and colour cast, clutter, objects with
//! printed labels, per-pixel noise. Exact occlusion figures come from an object-id buffer.

use super::demo::SplitMix;
use super::palette::BACKGROUND;
use super::scene::{layout, scene_seed, Scene, SceneObject};
use dwim_perception::font::ink;
use image::RgbImage;

/// Draw scene `index` of a dataset with seed `seed`, `w × h` pixels.
pub fn render_scene(seed: u64, index: u64, w: u32, h: u32) -> (RgbImage, Scene) {
    let sseed = scene_seed(seed, index);
    let mut rng = SplitMix(sseed);
    let difficulty = rng.below(3) as u32;
    let d = difficulty as f64;
    let mut objects = layout(&mut rng, w, h);
    let (wu, hu) = (w as usize, h as usize);

    let jitter = |rng: &mut SplitMix| rng.below(17) as i32 - 8;
    let bg = BACKGROUND.map(|c| (c as i32 + jitter(&mut rng)).clamp(0, 255) as u8);
    let mut base = vec![bg; wu * hu];
    draw_clutter(&mut rng, &mut base, w, h, bg, difficulty);

    let mut ids = vec![0u8; wu * hu];
    let mut totals = vec![0u32; objects.len()];
    for (k, o) in objects.iter().enumerate() {
        let [x0, y0, x1, y1] = o.bbox;
        for y in y0..y1.min(h) {
            for x in x0..x1.min(w) {
                if o.covers(x, y) {
                    ids[y as usize * wu + x as usize] = k as u8 + 1;
                    totals[k] += 1;
                }
            }
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if *id > 0 {
            let o = &objects[*id as usize - 1];
            let (x, y) = ((i % wu) as u32, (i / wu) as u32);
            base[i] = match o.text_at {
                Some([tx, ty, s]) if x >= tx && y >= ty && ink(o.text.as_deref().unwrap_or(""), s, x - tx, y - ty)
                    && y - ty < 7 * s => o.ink(),
                _ => o.rgb(),
            };
        }
    }
    annotate(&mut objects, &ids, &totals, w);
    objects.retain(|o| o.visible_pixels > 0);
    for (i, o) in objects.iter_mut().enumerate() {
        o.id = i;
    }

    let unit = |rng: &mut SplitMix| (rng.below(1_000_001) as f64 / 1_000_000.0) - 0.5;
    let g0 = 1.0 + unit(&mut rng) * 0.16 * (1.0 + d);
    let (gx, gy) = (unit(&mut rng) * 0.3 * d, unit(&mut rng) * 0.3 * d);
    let cast = [unit(&mut rng), unit(&mut rng), unit(&mut rng)].map(|u| u * 2.0 * (4.0 + 14.0 * d));
    let sigma = [4.0, 9.0, 16.0][difficulty as usize];
    let mut img = RgbImage::new(w, h);
    for (i, c) in base.iter().enumerate() {
        let (x, y) = ((i % wu) as u32, (i / wu) as u32);
        let gain = g0 + gx * (x as f64 / w as f64 - 0.5) + gy * (y as f64 / h as f64 - 0.5);
        let n = noise3(sseed, i as u64);
        let mut out = [0u8; 3];
        for ch in 0..3 {
            out[ch] = (c[ch] as f64 * gain + cast[ch] + n[ch] * sigma).round().clamp(0.0, 255.0) as u8;
        }
        img.put_pixel(x, y, image::Rgb(out));
    }
    let scene = Scene { id: format!("scene_{index:05}"), file: format!("images/scene_{index:05}.png"), width: w, height: h,
        seed: sseed, split: split_of(index).into(), difficulty, objects };
    (img, scene)
}

/// Train 70%, val 15%, test 15%, interleaved so every prefix of a dataset has all three.
pub fn split_of(index: u64) -> &'static str {
    match index % 20 {
        0..=13 => "train",
        14..=16 => "val",
        _ => "test",
    }
}

/// Noise with unit spread for the three channels of pixel `i` (each the sum of two uniforms:
/// triangular, close enough to normal), from one hash of (seed, pixel): the same on every machine.
fn noise3(seed: u64, i: u64) -> [f64; 3] {
    let bits = SplitMix(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64();
    let u = |k: u32| ((bits >> (10 * k)) & 1023) as f64 / 1023.0;
    [0, 1, 2].map(|c| (u(2 * c) + u(2 * c + 1) - 1.0) * 2.449)
}

fn annotate(objects: &mut [SceneObject], ids: &[u8], totals: &[u32], w: u32) {
    let mut vis = vec![[u32::MAX, u32::MAX, 0u32, 0u32]; objects.len()];
    let mut count = vec![0u32; objects.len()];
    for (i, id) in ids.iter().enumerate() {
        if *id > 0 {
            let k = *id as usize - 1;
            let (x, y) = (i as u32 % w, i as u32 / w);
            let v = &mut vis[k];
            *v = [v[0].min(x), v[1].min(y), v[2].max(x + 1), v[3].max(y + 1)];
            count[k] += 1;
        }
    }
    for (k, o) in objects.iter_mut().enumerate() {
        o.visible_pixels = count[k];
        if count[k] > 0 {
            o.visible_box = vis[k];
        }
        o.occluded = ((1.0 - count[k] as f64 / totals[k].max(1) as f64) * 1000.0).round() / 1000.0;
    }
}

/// Specks and thin strokes in muted colours: too small or thin to be objects, but they break up
/// the background and sometimes touch objects.
fn draw_clutter(rng: &mut SplitMix, base: &mut [[u8; 3]], w: u32, h: u32, bg: [u8; 3], difficulty: u32) {
    let n = 8 + difficulty * 14 + rng.below(10) as u32;
    for _ in 0..n {
        let f = 0.55 + rng.below(70) as f64 / 100.0;
        let tint = [rng.below(40) as f64 - 20.0, rng.below(40) as f64 - 20.0, rng.below(40) as f64 - 20.0];
        let c = [0, 1, 2].map(|i| (bg[i] as f64 * f + tint[i]).clamp(0.0, 255.0) as u8);
        let (x, y) = (rng.below(w as u64) as i64, rng.below(h as u64) as i64);
        let mut put = |px: i64, py: i64| {
            if px >= 0 && py >= 0 && px < w as i64 && py < h as i64 {
                base[py as usize * w as usize + px as usize] = c;
            }
        };
        if rng.below(2) == 0 {
            let r = 1 + rng.below(2) as i64;
            for dy in -r..=r {
                for dx in -r..=r {
                    if dx * dx + dy * dy <= r * r {
                        put(x + dx, y + dy);
                    }
                }
            }
        } else {
            let len = 6 + rng.below(25) as i64;
            let (sx, sy) = [(1, 0), (0, 1), (1, 1), (1, -1)][rng.below(4) as usize];
            for t in 0..len {
                put(x + sx * t, y + sy * t);
            }
        }
    }
}
