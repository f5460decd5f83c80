//! `dwim data inspect` and `dwim data convert`: what a dataset holds, and its JSON Lines form.

use super::{jsonl, paths, DataOptions, Dataset};
use crate::diag::{Code, Diagnostic};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// At most this many problems of each kind are listed (all are counted).
const LISTED: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub format: String,
    pub dir: String,
    pub questions: usize,
    /// split → questions (`""` for questions that name none).
    pub splits: BTreeMap<String, usize>,
    pub families: BTreeMap<String, usize>,
    pub with_programs: usize,
    /// Annotated scenes (bench-world): the rule judge can run on these questions.
    pub annotated_scenes: usize,
    pub scene_graphs: Vec<String>,
    pub images: usize,
    pub missing_images: usize,
    pub unreadable_images: usize,
    pub duplicate_ids: usize,
    pub outside_images: usize,
    /// The first problems of each kind, one line each with its code.
    pub problems: Vec<String>,
}

impl Inspection {
    pub fn ok(&self) -> bool {
        self.missing_images + self.unreadable_images + self.duplicate_ids + self.outside_images == 0
    }

    pub fn human(&self) -> String {
        let mut s = format!("{}: {} dataset, {} questions\n", self.dir, self.format, self.questions);
        let list = |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{} {v}", if k.is_empty() { "(none)" } else { k })).collect::<Vec<_>>().join(", ");
        s += &format!("  splits: {}\n  families: {}\n", list(&self.splits), list(&self.families));
        s += &format!("  reference programs: {} of {}\n", self.with_programs, self.questions);
        s += &if self.annotated_scenes > 0 {
            format!("  annotations: {} scenes (the rule judge can run)\n", self.annotated_scenes)
        } else {
            "  annotations: none (the rule judge is off; discrepancies come from the answer check and --llm-judge)\n".to_string()
        };
        if !self.scene_graphs.is_empty() {
            s += &format!("  scene graphs: {} (listed only; no judge reads them)\n", self.scene_graphs.join(", "));
        }
        s += &format!("  images: {} distinct, {} missing, {} unreadable, {} outside the directory\n", self.images, self.missing_images, self.unreadable_images, self.outside_images);
        s += &format!("  duplicate ids: {}\n", self.duplicate_ids);
        for p in &self.problems {
            s += &format!("  {p}\n");
        }
        s
    }
}

/// Header-only check that an image file is a readable PNG/JPEG within the pixel limit.
fn image_problem(path: &Path) -> Option<Diagnostic> {
    let (file, _) = match crate::io::open_regular(path) {
        Ok(f) => f,
        Err(d) => return Some(d),
    };
    let reader = image::ImageReader::new(std::io::BufReader::new(file)).with_guessed_format().ok()?;
    match reader.into_dimensions() {
        Ok((w, h)) if w > 0 && h > 0 => None,
        Ok((w, h)) => Some(Diagnostic::new(Code::E501, format!("{}: image is {w}x{h}", path.display()))),
        Err(e) => Some(Diagnostic::new(Code::E501, format!("{}: cannot decode image: {e}", path.display()))),
    }
}

/// Inspect the dataset at `path`: what was detected and what is wrong with it.
pub fn inspect(path: &Path, opts: &DataOptions) -> Result<Inspection, Diagnostic> {
    let (ds, load_problems) = Dataset::load_lenient(path, opts)?;
    let mut problems: Vec<String> = Vec::new();
    let (mut dup, mut outside) = (0, 0);
    for p in &load_problems {
        match p.code {
            Code::E509 => outside += 1,
            _ => dup += 1,
        }
        if problems.len() < LISTED {
            problems.push(p.one_line(None));
        }
    }
    let mut splits = BTreeMap::new();
    let mut families = BTreeMap::new();
    for q in &ds.questions {
        *splits.entry(q.split.clone()).or_insert(0) += 1;
        *families.entry(q.family.clone()).or_insert(0) += 1;
    }
    let mut images: Vec<&str> = ds.questions.iter().flat_map(|q| std::iter::once(q.image.as_str()).chain(q.images.values().map(String::as_str))).collect();
    images.sort_unstable();
    images.dedup();
    let (mut missing, mut unreadable) = (0, 0);
    for img in &images {
        let Ok(p) = ds.image_path(img) else { continue };
        if let Some(d) = image_problem(&p) {
            if d.code == Code::E501 && !p.exists() { missing += 1 } else { unreadable += 1 }
            if problems.len() < 3 * LISTED {
                problems.push(d.one_line(None));
            }
        }
    }
    Ok(Inspection {
        format: ds.format.name().into(),
        dir: ds.dir.display().to_string(),
        questions: ds.questions.len(),
        splits,
        families,
        with_programs: ds.with_programs(),
        annotated_scenes: ds.scenes.len(),
        scene_graphs: ds.scene_graphs.iter().map(|p| p.display().to_string()).collect(),
        images: images.len(),
        missing_images: missing,
        unreadable_images: unreadable,
        duplicate_ids: dup,
        outside_images: outside,
        problems,
    })
}

/// Write `ds` as JSON Lines to `out`: image paths relative to `out`'s directory (with `../` where
/// the images lie elsewhere; reading such a file back then needs `--allow-outside-images`).
/// Returns the number of questions written. Annotations are not carried over.
pub fn convert(ds: &Dataset, out: &Path) -> Result<usize, Diagnostic> {
    let out_dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(out_dir).map_err(|e| Diagnostic::new(Code::E503, format!("{}: {e}", out_dir.display())))?;
    let mut text = Vec::new();
    for q in &ds.questions {
        let rel = |p: &str| -> String { paths::relative_path(out_dir, &ds.dir.join(p)).to_string_lossy().into_owned() };
        let rec = jsonl::record(q, rel);
        writeln!(text, "{rec}").map_err(|e| Diagnostic::new(Code::E499, e.to_string()))?;
    }
    crate::output::write_bytes(out, &text)?;
    Ok(ds.questions.len())
}
