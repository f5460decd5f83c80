//! A tiny VQA: attribute questions about a region, answered from its pixels.
//!
//! Understood: "what color/colour …", "what shape …", "what size …", "what does it say / what
//! is written …", "is there a <query> …" / "are there …", "how many <query> …". Anything else
//! gets "unknown".

use crate::detect::{detect_with, main_object_with};
use crate::ocr::read_text_with;
use crate::{go_on, Img, Progress, Rect, Stopped};
use alloc::format;
use alloc::string::{String, ToString};

/// The words of a "how many …" / "is there …" question's object description that `detect`
/// does not understand (empty for other questions, or when all are understood).
pub fn unknown_words(question: &str) -> alloc::vec::Vec<String> {
    let q = question.to_ascii_lowercase();
    match q.strip_prefix("how many").or_else(|| q.strip_prefix("is there")).or_else(|| q.strip_prefix("are there")) {
        Some(rest) => crate::detect::unknown_words(rest),
        None => alloc::vec::Vec::new(),
    }
}

pub fn vqa(img: &Img, roi: Rect, question: &str) -> String {
    vqa_with(img, roi, question, &mut go_on).unwrap_or_default()
}

/// [`vqa`], reporting its work to `p` and stopping when it says so.
pub fn vqa_with(img: &Img, roi: Rect, question: &str, p: &mut Progress) -> Result<String, Stopped> {
    let q = question.to_ascii_lowercase();
    let has = |w: &str| q.split(|c: char| !c.is_ascii_alphanumeric()).any(|x| x == w);
    if let Some(rest) = q.strip_prefix("how many") {
        return Ok(format!("{}", detect_with(img, roi, rest, p)?.len()));
    }
    if let Some(rest) = q.strip_prefix("is there").or_else(|| q.strip_prefix("are there")) {
        return Ok(if detect_with(img, roi, rest, p)?.is_empty() { "no" } else { "yes" }.to_string());
    }
    if has("say") || has("says") || has("written") || has("text") || has("label") || has("read") {
        return Ok(read_text_with(img, roi, p)?.to_lowercase());
    }
    let Some(obj) = main_object_with(img, roi, p)? else { return Ok("nothing".to_string()) };
    Ok(if has("color") || has("colour") {
        obj.color.to_string()
    } else if has("shape") {
        obj.shape.to_string()
    } else if has("size") || has("big") || has("large") || has("small") {
        obj.size.to_string()
    } else {
        "unknown".to_string()
    })
}
