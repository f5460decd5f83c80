//! `vqa(region, question)`: simple attribute questions answered from pixels (same answers as
//! dwim's native `benchmark` set).

use dwim_sdk::{tool, Args, Value};
use perception_glue::{perception, region, view};

fn vqa(args: &Args) -> Result<Value, String> {
    let r = region(args, 0)?;
    let (img, roi) = view(&r)?;
    perception_glue::refuse_unknown(perception::vqa::unknown_words(args.text(1)?))?;
    Ok(Value::text(perception::vqa(&img, roi, args.text(1)?)))
}

tool! {
    name: "vqa",
    doc: "Answer a simple question about the region: its colour, shape, size or label, \"is there a …\", \"how many …\" (pixel perception, WASM).",
    params: [image: "image|region", question: "text"],
    result: "text",
    run: vqa,
}
