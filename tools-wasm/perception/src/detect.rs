//! The detector: segment, classify every blob, keep those that match the query.

use crate::classify::{self, shape_word, size_word};
use crate::palette::color_word;
use crate::segment::{segment_with, Blob};
use crate::{go_on, Img, Progress, Rect, Stopped};
use alloc::string::String;
use alloc::vec::Vec;

/// What `detect` looks for: `"small red circle"`, `"blue objects"`, `"triangle"`, `"object"`.
/// Articles and other filler words (`a`, `the`, `any`, `there`, …) are ignored; any other word
/// that is not a size, colour or shape is *unknown*, and [`unknown_words`] names it, so a tool can
/// say what it cannot do instead of silently matching everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub size: Option<&'static str>,
    pub color: Option<&'static str>,
    pub shape: Option<&'static str>,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let lower = text.to_ascii_lowercase();
        let mut q = Query::default();
        for w in lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if let Some(s) = size_word(w) {
                q.size = Some(s);
            } else if let Some(c) = color_word(w) {
                q.color = Some(c);
            } else if let Some(s) = shape_word(w) {
                q.shape = if s.is_empty() { q.shape } else { Some(s) };
            }
        }
        q
    }

    /// The words of `text` that are neither a size, a colour, a shape nor a filler word.
    pub fn unknown(text: &str) -> Vec<String> {
        let lower = text.to_ascii_lowercase();
        lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty() && size_word(w).is_none() && color_word(w).is_none() && shape_word(w).is_none() && !FILLER.contains(w))
            .map(String::from)
            .collect()
    }

    /// Does an object with these attributes match?
    pub fn matches(&self, size: &str, color: &str, shape: &str) -> bool {
        self.size.is_none_or(|s| s == size) && self.color.is_none_or(|c| c == color) && self.shape.is_none_or(|s| s == shape)
    }
}

/// Words a query may hold that say nothing about the object.
pub const FILLER: &[&str] = &["a", "an", "the", "all", "any", "some", "every", "each", "of", "in", "on", "there", "are", "is", "image", "picture", "scene", "here", "visible"];

/// The words a query may use, for an error message: sizes, colours, shapes.
pub fn vocabulary() -> String {
    let colors: Vec<&str> = crate::palette::OBJECT_COLORS.to_vec();
    alloc::format!("sizes: small, medium, large; colours: {}; shapes: {}, object", colors.join(", "), crate::classify::SHAPES.join(", "))
}

/// The words of a `detect` query outside its vocabulary (empty when it is all understood).
pub fn unknown_words(query: &str) -> Vec<String> {
    Query::unknown(query)
}

/// One detection: a box, what the classifiers made of it, and a confidence in 0..1.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub rect: Rect,
    pub size: &'static str,
    pub color: &'static str,
    pub shape: &'static str,
    pub score: f32,
}

impl Detection {
    pub fn of(b: &Blob) -> Detection {
        let color = classify::color(b);
        let target = crate::palette::rgb(color).unwrap_or(b.color);
        let d = crate::palette::dist2(b.color, target) as f32;
        Detection { rect: b.rect, size: classify::size(&b.rect), color, shape: classify::shape(b), score: 1.0 / (1.0 + d / 4000.0) }
    }
    /// `"medium red circle"`.
    pub fn label(&self) -> String {
        let mut s = String::from(self.size);
        for w in [self.color, self.shape] {
            s.push(' ');
            s.push_str(w);
        }
        s
    }
}

/// Every object in `roi` matching `query`, left to right. Blobs classified as black or white
/// (printed text, glare) are never objects.
pub fn detect(img: &Img, roi: Rect, query: &str) -> Vec<Detection> {
    detect_with(img, roi, query, &mut go_on).unwrap_or_default()
}

/// [`detect`], reporting its work to `p` and stopping when it says so.
pub fn detect_with(img: &Img, roi: Rect, query: &str, p: &mut Progress) -> Result<Vec<Detection>, Stopped> {
    Ok(detect_in(&segment_with(img, roi, p)?, query))
}

/// [`detect`] on the blobs [`segment_with`] found in `roi` (a caller that keeps them segments once).
pub fn detect_in(blobs: &[Blob], query: &str) -> Vec<Detection> {
    let q = Query::parse(query);
    blobs
        .iter()
        .map(Detection::of)
        .filter(|d| !matches!(d.color, "black" | "white"))
        .filter(|d| q.matches(d.size, d.color, d.shape))
        .collect()
}

/// The main object of a region: the biggest blob whose centre lies inside `roi`, segmenting
/// `roi` grown by a few pixels so that the background around a tight box is seen.
pub fn main_object(img: &Img, roi: Rect) -> Option<Detection> {
    main_object_with(img, roi, &mut go_on).unwrap_or_default()
}

/// [`main_object`], reporting its work to `p` and stopping when it says so.
pub fn main_object_with(img: &Img, roi: Rect, p: &mut Progress) -> Result<Option<Detection>, Stopped> {
    let Some((roi, padded)) = object_rois(img, roi) else { return Ok(None) };
    Ok(main_object_in(&segment_with(img, padded, p)?, roi))
}

/// The box [`main_object`] looks in (`roi` clipped to the image) and the box it segments (that,
/// grown by a few pixels); `None` when `roi` lies outside the image.
pub fn object_rois(img: &Img, roi: Rect) -> Option<(Rect, Rect)> {
    let roi = roi.clip(img)?;
    Some((roi, roi.pad(4, img)))
}

/// [`main_object`] on the blobs [`segment_with`] found in the padded box of [`object_rois`].
pub fn main_object_in(blobs: &[Blob], roi: Rect) -> Option<Detection> {
    blobs
        .iter()
        .filter(|b| {
            let (cx, cy) = b.rect.center2();
            cx >= 2 * roi.x0 && cx < 2 * roi.x1 && cy >= 2 * roi.y0 && cy < 2 * roi.y1
        })
        .max_by_key(|b| b.area)
        .map(Detection::of)
}
