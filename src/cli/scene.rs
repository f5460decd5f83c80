//! `dwim scene --out FILE`: a small demo scene to try workflows on.

use super::common::{Exit, Failure};
use dwim::world::demo::demo_scene;
use std::path::Path;

pub fn run(out: &Path, seed: u64) -> Result<Exit, Failure> {
    let (img, objects) = demo_scene(seed);
    img.save(out).map_err(|e| Failure::BadInput(format!("cannot write {}: {e}", out.display())))?;
    println!("wrote {} ({}x{}) with {} objects:", out.display(), img.width(), img.height(), objects.len());
    for o in &objects {
        println!("  {} {} at ({}, {}, {}, {})", o.color, o.shape, o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3]);
    }
    Ok(Exit::Ok)
}
