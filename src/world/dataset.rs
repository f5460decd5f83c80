//! A benchmark dataset on disk:
//!
//! ```text
//! DIR/meta.json        seed, n, size, format version
//! DIR/images/*.png     the scenes
//! DIR/scenes.jsonl     one scene per line: every object with shape, colour, size, boxes, text, occlusion
//! DIR/questions.jsonl  one question per line: id, image, family, question, answer, reference program
//! DIR/splits.json      {"train": [scene ids], "val": [...], "test": [...]}
//! ```
//! Everything is a pure function of (seed, n, size, questions per scene): byte-for-byte the same.

use super::demo::SplitMix;
use super::questions::questions_for;
use super::render::render_scene;
use super::scene::Scene;
use crate::data::Item;
use crate::diag::{Code, Diagnostic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const FORMAT: &str = "dwim.bench-world/1";

/// How to generate a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenConfig {
    pub seed: u64,
    pub n: usize,
    pub width: u32,
    pub height: u32,
    pub questions_per_scene: usize,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig { seed: 0, n: 100, width: 320, height: 240, questions_per_scene: 8 }
    }
}

/// A loaded dataset: [`crate::data::Dataset`] (it reads bench-world directories with their scenes).
pub use crate::data::Dataset;

/// E503: an output that could not be written.
fn io_err(path: &Path, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E503, format!("{}: {e}", path.display()))
}

/// Draw scene `i` and its questions.
pub fn make_scene(cfg: &GenConfig, i: usize) -> (image::RgbImage, Scene, Vec<Item>) {
    let (img, scene) = render_scene(cfg.seed, i as u64, cfg.width, cfg.height);
    let mut rng = SplitMix(scene.seed ^ 0x5155_4553_5449_4F4E);
    let qs = questions_for(&scene, cfg.questions_per_scene, &mut rng);
    (img, scene, qs)
}

/// Write a dataset to `out` (created if needed). Returns the number of questions.
pub fn generate(out: &Path, cfg: &GenConfig) -> Result<usize, Diagnostic> {
    if cfg.width < 120 || cfg.height < 90 || cfg.width > 4096 || cfg.height > 4096 {
        return Err(Diagnostic::new(Code::E505, format!("image size {}x{} is out of range", cfg.width, cfg.height))
            .help("use at least 120x90 and at most 4096x4096 (default 320x240)"));
    }
    std::fs::create_dir_all(out.join("images")).map_err(|e| io_err(out, e))?;
    let mut scenes_f = std::io::BufWriter::new(std::fs::File::create(out.join("scenes.jsonl")).map_err(|e| io_err(out, e))?);
    let mut qs_f = std::io::BufWriter::new(std::fs::File::create(out.join("questions.jsonl")).map_err(|e| io_err(out, e))?);
    let mut splits: BTreeMap<&str, Vec<String>> = BTreeMap::from([("train", vec![]), ("val", vec![]), ("test", vec![])]);
    let mut nq = 0;
    for i in 0..cfg.n {
        let (img, scene, qs) = make_scene(cfg, i);
        let path = out.join(&scene.file);
        img.save(&path).map_err(|e| io_err(&path, e))?;
        for q in &qs {
            writeln!(qs_f, "{}", serde_json::to_string(q).map_err(|e| io_err(out, e))?).map_err(|e| io_err(out, e))?;
        }
        nq += qs.len();
        splits.entry(split_key(&scene.split)).or_default().push(scene.id.clone());
        writeln!(scenes_f, "{}", serde_json::to_string(&scene).map_err(|e| io_err(out, e))?).map_err(|e| io_err(out, e))?;
    }
    scenes_f.flush().map_err(|e| io_err(out, e))?;
    qs_f.flush().map_err(|e| io_err(out, e))?;
    let meta = serde_json::json!({"format": FORMAT, "config": cfg, "scenes": cfg.n, "questions": nq});
    std::fs::write(out.join("meta.json"), serde_json::to_string_pretty(&meta).unwrap_or_default() + "\n").map_err(|e| io_err(out, e))?;
    std::fs::write(out.join("splits.json"), serde_json::to_string_pretty(&splits).unwrap_or_default() + "\n").map_err(|e| io_err(out, e))?;
    Ok(nq)
}

fn split_key(s: &str) -> &'static str {
    match s {
        "train" => "train",
        "val" => "val",
        _ => "test",
    }
}
