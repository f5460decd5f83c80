//! `read_text(region)`: template OCR of the label printed on a region (same answers as dwim's
//! native `benchmark` set).

use dwim_sdk::{tool, Args, Value};
use perception_glue::{perception, region, view};

fn read_text(args: &Args) -> Result<Value, String> {
    let r = region(args, 0)?;
    let (img, roi) = view(&r)?;
    Ok(Value::text(perception::read_text(&img, roi)))
}

tool! {
    name: "read_text",
    doc: "The label printed on the region, upper case; \"\" when there is none (pixel perception, WASM).",
    params: [image: "image|region"],
    result: "text",
    run: read_text,
}
