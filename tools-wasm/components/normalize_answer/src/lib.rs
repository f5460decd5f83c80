//! `normalize_answer(text)` as a component: the same normalisation as the core plugin
//! (`tools-wasm/plugins/normalize_answer`, whose source file it compiles), so both kinds can be
//! compared call for call (`tests/wasm_component.rs`).
#![no_std]

extern crate alloc;

use dwim_component_sdk::prelude::*;

#[path = "../../../plugins/normalize_answer/src/normalize.rs"]
mod normalize;

fn normalize_answer(args: &Args) -> Result<Value, String> {
    Ok(Value::text(normalize::normalize(args.text(0)?)))
}

tool! {
    name: "normalize_answer",
    doc: "Normalise an answer for exact-match comparison: lower case, no punctuation or articles, number words as digits.",
    params: [text: "text"],
    result: "text",
    run: normalize_answer,
}
