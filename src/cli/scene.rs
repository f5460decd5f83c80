//! `dwim scene --out FILE`: a small demo scene to try workflows on.

use super::common::{bad_input, write_file, Exit, Failure};
use dwim::{Code, Diagnostic};
use dwim::world::demo::demo_scene;
use std::path::Path;

/// Writes PNG or JPEG, chosen by the extension of `--out` (E505 for any other); a write that fails
/// is E503.
pub fn run(out: &Path, seed: u64) -> Result<Exit, Failure> {
    let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let format = match ext.as_str() {
        "png" => image::ImageFormat::Png,
        "jpg" | "jpeg" => image::ImageFormat::Jpeg,
        _ => return Err(bad_input(&Diagnostic::new(Code::E505, format!("--out {}: dwim writes .png or .jpg images", out.display())))),
    };
    super::common::check_output_path("--out", out)?;
    let (img, objects) = demo_scene(seed);
    let cannot = |e: &dyn std::fmt::Display| bad_input(&Diagnostic::new(Code::E503, format!("cannot write {}: {e}", out.display())));
    let mut buf = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut buf), format).map_err(|e| cannot(&e))?;
    write_file(out, &buf)?;
    println!("wrote {} ({}x{}) with {} objects:", out.display(), img.width(), img.height(), objects.len());
    for o in &objects {
        println!("  {} {} at ({}, {}, {}, {})", o.color, o.shape, o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3]);
    }
    Ok(Exit::Ok)
}
