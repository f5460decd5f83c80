#![allow(dead_code)]
//! The named colours dwim draws scenes with (same values as dwim's `world::palette`), and the
//! perceptually weighted ("redmean") distance used to classify a pixel.

pub const PALETTE: &[(&str, [u8; 3])] = &[
    ("red", [215, 40, 40]),
    ("orange", [240, 140, 30]),
    ("yellow", [235, 215, 40]),
    ("green", [45, 160, 60]),
    ("blue", [40, 80, 215]),
    ("purple", [135, 55, 185]),
    ("pink", [240, 130, 190]),
    ("brown", [125, 80, 40]),
    ("white", [248, 248, 248]),
    ("gray", [120, 120, 120]),
    ("black", [20, 20, 20]),
];

pub fn distance2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let rm = (a[0] + b[0]) / 2.0;
    let (dr, dg, db) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (2.0 + rm / 256.0) * dr * dr + 4.0 * dg * dg + (2.0 + (255.0 - rm) / 256.0) * db * db
}

/// Index of the nearest palette colour, and its squared distance.
pub fn nearest(c: [u8; 3]) -> (usize, f64) {
    let c = [c[0] as f64, c[1] as f64, c[2] as f64];
    let mut best = (0, f64::INFINITY);
    for (i, (_, p)) in PALETTE.iter().enumerate() {
        let d = distance2(c, [p[0] as f64, p[1] as f64, p[2] as f64]);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

pub fn index_of(name: &str) -> Option<usize> {
    let name = name.trim().to_ascii_lowercase();
    let name = if name == "grey" { "gray".to_string() } else { name };
    PALETTE.iter().position(|(n, _)| *n == name)
}

// Last, for the same reason as in algo.rs.
use alloc::string::ToString;
