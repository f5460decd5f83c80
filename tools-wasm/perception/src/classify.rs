//! Colour, shape and size of a blob, from its pixels alone.

use crate::palette::nearest;
use crate::segment::Blob;
use crate::Rect;

/// Shape names the classifier can output.
pub const SHAPES: &[&str] = &["circle", "square", "rectangle", "triangle"];
/// Size names, by the longer side of the box: small ≤ 25 px < medium ≤ 46 px < large.
pub const SIZES: &[&str] = &["small", "medium", "large"];

/// The palette name nearest to the blob's mean colour. Lighting and colour casts are not
/// corrected, so dim orange may read brown and pale red pink.
pub fn color(b: &Blob) -> &'static str {
    nearest(b.color)
}

/// Triangle, circle, square or rectangle from the row-span fill and the aspect ratio. An occluded
/// object has a bitten outline and may change class.
pub fn shape(b: &Blob) -> &'static str {
    let aspect = b.rect.w() as f32 / b.rect.h().max(1) as f32;
    if b.span_fill < 0.66 {
        "triangle"
    } else if b.span_fill < 0.9 {
        "circle"
    } else if aspect > 0.78 && aspect < 1.28 {
        "square"
    } else {
        "rectangle"
    }
}

/// Small, medium or large by the longer side of a box.
pub fn size(r: &Rect) -> &'static str {
    let side = r.w().max(r.h());
    if side <= 25 {
        "small"
    } else if side <= 46 {
        "medium"
    } else {
        "large"
    }
}

/// Normalise a shape word (plural, synonyms); `Some("")` means any object.
pub fn shape_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "circle" | "circles" | "ball" | "balls" | "disc" | "discs" => "circle",
        "square" | "squares" => "square",
        "rectangle" | "rectangles" | "bar" | "bars" => "rectangle",
        "triangle" | "triangles" => "triangle",
        "object" | "objects" | "thing" | "things" | "shape" | "shapes" | "item" | "items" => "",
        _ => return None,
    })
}

pub fn size_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "small" | "tiny" | "little" => "small",
        "medium" | "mid" => "medium",
        "large" | "big" | "huge" => "large",
        _ => return None,
    })
}
