//! Named colours and the nearest-name classifier. The same values as dwim's `world::palette`.

/// Named colours, in the order ties are reported.
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

/// Colours objects may have in generated scenes (white and black are kept for printed text).
pub const OBJECT_COLORS: &[&str] = &["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "gray"];

pub fn rgb(name: &str) -> Option<[u8; 3]> {
    PALETTE.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Squared distance in a perceptually weighted RGB space ("redmean"), in integers.
pub fn dist2(a: [u8; 3], b: [u8; 3]) -> u32 {
    let rm = (a[0] as i32 + b[0] as i32) / 2;
    let (dr, dg, db) = (a[0] as i32 - b[0] as i32, a[1] as i32 - b[1] as i32, a[2] as i32 - b[2] as i32);
    (((512 + rm) * dr * dr) / 256 + 4 * dg * dg + ((767 - rm) * db * db) / 256) as u32
}

/// The palette name closest to a colour.
pub fn nearest(c: [u8; 3]) -> &'static str {
    let mut best = ("gray", u32::MAX);
    for (n, p) in PALETTE {
        let d = dist2(c, *p);
        if d < best.1 {
            best = (n, d);
        }
    }
    best.0
}

/// Normalise a colour word: `grey` → `gray`; `None` if it is not a palette colour.
pub fn color_word(w: &str) -> Option<&'static str> {
    let w = if w == "grey" { "gray" } else { w };
    PALETTE.iter().find(|(n, _)| *n == w).map(|(n, _)| *n)
}

/// Perceived lightness 0..255 (integer Rec. 601 weights).
pub fn luma(c: [u8; 3]) -> u32 {
    (299 * c[0] as u32 + 587 * c[1] as u32 + 114 * c[2] as u32) / 1000
}
