//! `detect(image, query)`: the benchmark's pixel detector as a plugin (same answers as dwim's
//! native `benchmark` set).

use dwim_sdk::{tool, Args, BBox, Region, Value};
use perception_glue::{perception, region, view};

fn detect(args: &Args) -> Result<Value, String> {
    let r = region(args, 0)?;
    let (img, roi) = view(&r)?;
    perception_glue::refuse_unknown(perception::detect::unknown_words(args.text(1)?))?;
    let found = perception::detect(&img, roi, args.text(1)?);
    Ok(Value::List(
        found
            .iter()
            .map(|d| {
                let b = BBox { x0: d.rect.x0 as f64, y0: d.rect.y0 as f64, x1: d.rect.x1 as f64, y1: d.rect.y1 as f64 };
                let mut out = Region::new(r.image.clone(), b);
                out.label = Some(d.label());
                out.score = Some((d.score as f64 * 100.0).round() / 100.0);
                Value::Region(out)
            })
            .collect(),
    ))
}

tool! {
    name: "detect",
    doc: "Objects matching `query` (\"red circle\", \"small square\", \"blue objects\", \"object\"), left to right, labelled \"<size> <colour> <shape>\" (pixel perception, WASM).",
    params: [image: "image|region", query: "text"],
    result: "list[region]",
    run: detect,
}
