//! `normalize_answer(text)`: VQA-style answer normalisation — lower case, no punctuation, no
//! articles, number words as digits — so answers compare by exact match.

use dwim_sdk::{tool, Args, Value};

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

fn normalize_answer(args: &Args) -> Result<Value, String> {
    Ok(Value::text(normalize(args.text(0)?)))
}

tool! {
    name: "normalize_answer",
    doc: "Normalise an answer for exact-match comparison: lower case, no punctuation or articles, number words as digits.",
    params: [text: "text"],
    result: "text",
    run: normalize_answer,
}
