//! `color_stats(image)`: the dominant named colour of an image or region, with its share of the
//! pixels and its mean RGB, as a record.

#[path = "../../find_color/src/palette.rs"]
mod palette;

use dwim_sdk::{tool, Args, Value};

fn color_stats(args: &Args) -> Result<Value, String> {
    let area = args.visual(0)?;
    let (x0, y0, x1, y1) = area.pixel_bounds();
    let mut counts = [0usize; 11];
    let mut sums = [[0f64; 3]; 11];
    for y in y0..y1 {
        for x in x0..x1 {
            let c = area.image.get(x, y);
            let (i, _) = palette::nearest(c);
            counts[i] += 1;
            for k in 0..3 {
                sums[i][k] += c[k] as f64;
            }
        }
    }
    let total: usize = counts.iter().sum();
    if total == 0 {
        return Err("the region is empty".into());
    }
    let (best, n) = counts.iter().enumerate().max_by_key(|(i, n)| (**n, usize::MAX - i)).map(|(i, n)| (i, *n)).unwrap_or((0, 0));
    let mean = |k: usize| (sums[best][k] / n.max(1) as f64).round();
    Ok(Value::record([
        ("name", Value::text(palette::PALETTE[best].0)),
        ("share", Value::Number((n as f64 / total as f64 * 1000.0).round() / 1000.0)),
        ("r", Value::Number(mean(0))),
        ("g", Value::Number(mean(1))),
        ("b", Value::Number(mean(2))),
    ]))
}

tool! {
    name: "color_stats",
    doc: "The dominant named colour of an image or region: a record {name, share, r, g, b}.",
    params: [image: "image|region"],
    result: "record",
    run: color_stats,
}

// palette.rs takes ToString from `alloc` (it is shared with a no_std component).
extern crate alloc;
