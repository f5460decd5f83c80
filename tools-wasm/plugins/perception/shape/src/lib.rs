//! `shape(region)`: shape of the region's main object (same answers as dwim's native
//! `benchmark` set).

use dwim_sdk::{tool, Args, Value};
use perception_glue::{perception, region, view, NO_OBJECT};

fn shape(args: &Args) -> Result<Value, String> {
    let r = region(args, 0)?;
    let (img, roi) = view(&r)?;
    let d = perception::detect::main_object(&img, roi).ok_or(NO_OBJECT)?;
    Ok(Value::text(d.shape))
}

tool! {
    name: "shape",
    doc: "Shape of the main object in the region: circle, square, rectangle, triangle (pixel perception, WASM).",
    params: [image: "image|region"],
    result: "text",
    run: shape,
}
