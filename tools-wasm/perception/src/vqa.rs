//! A tiny VQA: attribute questions about a region, answered from its pixels.
//!
//! Understood: "what color/colour …", "what shape …", "what size …", "what does it say / what
//! is written …", "is there a <query> …" / "are there …", "how many <query> …". Anything else
//! gets "unknown".

use crate::detect::{detect, main_object};
use crate::ocr::read_text;
use crate::{Img, Rect};
use alloc::format;
use alloc::string::{String, ToString};

pub fn vqa(img: &Img, roi: Rect, question: &str) -> String {
    let q = question.to_ascii_lowercase();
    let has = |w: &str| q.split(|c: char| !c.is_ascii_alphanumeric()).any(|x| x == w);
    if let Some(rest) = q.strip_prefix("how many") {
        return format!("{}", detect(img, roi, rest).len());
    }
    if let Some(rest) = q.strip_prefix("is there").or_else(|| q.strip_prefix("are there")) {
        return if detect(img, roi, rest).is_empty() { "no" } else { "yes" }.to_string();
    }
    if has("say") || has("says") || has("written") || has("text") || has("label") || has("read") {
        return read_text(img, roi).to_lowercase();
    }
    let Some(obj) = main_object(img, roi) else { return "nothing".to_string() };
    if has("color") || has("colour") {
        obj.color.to_string()
    } else if has("shape") {
        obj.shape.to_string()
    } else if has("size") || has("big") || has("large") || has("small") {
        obj.size.to_string()
    } else {
        "unknown".to_string()
    }
}
