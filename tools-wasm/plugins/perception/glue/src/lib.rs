//! Shared by the perception plugins (`detect`, `color`, `shape`, `read_text`, `vqa`): turn the
//! SDK's image/region argument into `dwim-perception`'s borrowed image and pixel rectangle, the
//! same way dwim's native `benchmark` tools do (`src/tools/bench/pixels.rs`), so both give the
//! same answers.

pub use dwim_perception as perception;
use dwim_perception::{Img, Rect};
use dwim_sdk::{Args, BBox, Region};

/// The pixel rectangle covering a box (the native tools' `rect_of`).
pub fn rect_of(b: &BBox) -> Rect {
    let c = |v: f64| if v.is_finite() { v.max(0.0) as u32 } else { 0 };
    Rect { x0: c(b.x0.floor()), y0: c(b.y0.floor()), x1: c(b.x1.ceil()), y1: c(b.y1.ceil()) }
}

/// Argument `i` (an image or region) as the region it denotes.
pub fn region(args: &Args, i: usize) -> Result<Region, String> {
    args.visual(i)
}

/// The borrowed image of a region and its pixel rectangle.
pub fn view(region: &Region) -> Result<(Img<'_>, Rect), String> {
    let im = &region.image;
    let img = Img::new(im.width, im.height, im.pixels()).ok_or_else(|| String::from("image buffer has the wrong size"))?;
    Ok((img, rect_of(&region.bbox)))
}

/// The native tools' error when a region holds no object.
pub const NO_OBJECT: &str = "no object found in this region";


/// The native tools' refusal of query words the detector does not know: E402, with the same
/// message (a plugin error that starts with "E402 " is reported as invalid input).
pub fn refuse_unknown(words: Vec<String>) -> Result<(), String> {
    if words.is_empty() {
        return Ok(());
    }
    let quoted: Vec<String> = words.iter().take(8).map(|w| format!("`{w}`")).collect();
    Err(format!("E402 this detector does not know {}", quoted.join(", ")))
}
