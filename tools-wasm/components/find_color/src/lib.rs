//! `find_color(image, color, min_area)` as a component: the core plugin's algorithm
//! (`tools-wasm/plugins/find_color/src/algo.rs`, compiled from the same file), so both kinds can
//! be compared scene for scene (`tests/wasm_component.rs`) and in `benches/wasm.rs`.
#![no_std]

extern crate alloc;

#[path = "../../../plugins/find_color/src/algo.rs"]
mod algo;

use algo::{find_blobs, palette};
use dwim_component_sdk::prelude::*;

/// `f64::round` (half away from zero), which `core` lacks on stable.
fn round(x: f64) -> f64 {
    let t = dwim_component_sdk::floor(x.abs());
    let r = if x.abs() - t >= 0.5 { t + 1.0 } else { t };
    if x < 0.0 { -r } else { r }
}

fn find_color(args: &Args) -> Result<Value, String> {
    let area = args.visual(0)?;
    let name = args.text(1)?;
    let min_area = args.number(2)?.max(1.0) as usize;
    let want = palette::index_of(name).ok_or_else(|| {
        let names: Vec<&str> = palette::PALETTE.iter().map(|(n, _)| *n).collect();
        format!("unknown colour `{name}`; known: {}", names.join(", "))
    })?;
    let img = &area.image;
    let blobs = find_blobs(img.pixels(), img.width, area.pixel_bounds(), want, min_area);
    let color = palette::PALETTE[want].0;
    Ok(Value::List(
        blobs
            .into_iter()
            .map(|b| {
                let bbox = BBox { x0: b.x0 as f64, y0: b.y0 as f64, x1: b.x1 as f64, y1: b.y1 as f64 };
                let mut r = Region::new(img.clone(), bbox);
                r.label = Some(format!("{color} {}", b.shape));
                r.score = Some(round(b.fill() * 100.0) / 100.0);
                Value::Region(r)
            })
            .collect(),
    ))
}

tool! {
    name: "find_color",
    doc: "Regions of one named colour (red, orange, yellow, green, blue, purple, pink, brown, white, gray, black), labelled with colour and shape (score = fill of its box), in reading order.",
    params: [image: "image|region", color: "text", min_area: "number" = 20],
    result: "list[region]",
    run: find_color,
}
