//! The normalisation itself, shared with the component twin (`tools-wasm/components/normalize_answer`),
//! so it uses `alloc` only (that crate is `no_std`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

const NUMBERS: &[&str] = &["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

pub fn normalize(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_alphanumeric() || c.is_whitespace() || c == '.' { c.to_lowercase().next().unwrap_or(c) } else { ' ' })
        .collect();
    let words: Vec<String> = cleaned
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty() && !matches!(*w, "a" | "an" | "the"))
        .map(|w| match NUMBERS.iter().position(|n| *n == w) {
            Some(i) => i.to_string(),
            None => w.to_string(),
        })
        .collect();
    words.join(" ")
}
