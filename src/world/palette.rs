//! The named colours scenes are drawn with, and the nearest-name classifier the pixel tools use.

/// The named colours (shared with the `dwim-perception` crate the perception plugins are built from).
pub use dwim_perception::palette::{rgb, PALETTE};

/// The default scene background: not close to any palette colour.
pub const BACKGROUND: [u8; 3] = [196, 206, 186];

/// Squared distance in a perceptually weighted RGB space ("redmean").
pub fn distance2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let rm = (a[0] + b[0]) / 2.0;
    let (dr, dg, db) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (2.0 + rm / 256.0) * dr * dr + 4.0 * dg * dg + (2.0 + (255.0 - rm) / 256.0) * db * db
}

/// The palette name closest to a colour.
pub fn nearest_name(c: [f64; 3]) -> &'static str {
    PALETTE
        .iter()
        .map(|(n, p)| (distance2(c, [p[0] as f64, p[1] as f64, p[2] as f64]), *n))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
        .unwrap_or("gray")
}
