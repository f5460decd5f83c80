//! `normalize_answer(text)`: VQA-style answer normalisation — lower case, no punctuation, no
//! articles, number words as digits — so answers compare by exact match.

use dwim_sdk::{tool, Args, Value};

extern crate alloc;

mod normalize;
pub use normalize::normalize;

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
