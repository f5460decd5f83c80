//! [`Dataset`]: the one dataset type every `--data` command uses, whatever the format on disk.
//!
//! A dataset is its items (questions with ground truth), the directory their image paths resolve
//! in, and — for bench-world directories only — scene annotations, which the rule judge and the
//! `oracle` tools need. Loading checks every item: duplicate ids are E504 naming both places, an
//! image path that leaves the directory is E509 (unless allowed). Images are read when used,
//! through [`crate::io`].

use super::detect::{detect, DataFormat};
use super::{bench_world, gqa, jsonl, paths, refcoco, Item};
use crate::diag::{Code, Diagnostic};
use crate::value::Image;
use crate::world::scene::Scene;
use crate::Limits;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How to read a dataset (`--data-format`, `--allow-outside-images`).
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    /// Force a format instead of detecting it.
    pub format: Option<DataFormat>,
    /// Read image paths that leave the dataset directory (absolute, `../`, links pointing out).
    pub allow_outside_images: bool,
}

/// Images kept decoded at once (a question set reuses few images at a time; more are read again).
const CACHED_IMAGES: usize = 256;

pub struct Dataset {
    pub dir: PathBuf,
    pub format: DataFormat,
    /// Every question, in file order.
    pub questions: Vec<Item>,
    /// Scene annotations (bench-world only; empty elsewhere).
    pub scenes: Vec<Scene>,
    /// Where each question came from (`file:line` or `file: id`), for messages.
    pub origins: Vec<String>,
    /// GQA scene-graph files found beside the questions (listed by inspect; no judge reads them).
    pub scene_graphs: Vec<PathBuf>,
    allow_outside: bool,
    cache: Mutex<HashMap<String, Image>>,
}

impl Dataset {
    /// Load with the format detected and images kept inside the directory.
    pub fn load(path: &Path) -> Result<Dataset, Diagnostic> {
        Dataset::load_with(path, &DataOptions::default())
    }

    /// Load; the first problem (duplicate id, image path outside the directory) is the error.
    pub fn load_with(path: &Path, opts: &DataOptions) -> Result<Dataset, Diagnostic> {
        let (ds, problems) = Dataset::load_lenient(path, opts)?;
        match problems.into_iter().next() {
            Some(p) => Err(p),
            None => Ok(ds),
        }
    }

    /// Load, returning the problems a strict load would stop at instead of stopping (for
    /// `dwim data inspect`). Unreadable or malformed question files are still errors.
    pub fn load_lenient(path: &Path, opts: &DataOptions) -> Result<(Dataset, Vec<Diagnostic>), Diagnostic> {
        let found = detect(path, opts.format)?;
        let dir = found.dir.clone();
        let mut scenes = Vec::new();
        let mut scene_graphs = Vec::new();
        let mut rows: Vec<(String, Item)> = Vec::new();
        match found.format {
            DataFormat::BenchWorld => {
                let (s, items) = bench_world::load(&dir)?;
                scenes = s;
                let file = found.files[0].display().to_string();
                rows.extend(items.into_iter().map(|(line, it)| (format!("{file}:{line}"), it)));
            }
            DataFormat::Jsonl => {
                for f in &found.files {
                    rows.extend(jsonl::load(f)?.into_iter().map(|(line, it)| (format!("{}:{line}", f.display()), it)));
                }
            }
            DataFormat::Gqa => {
                let images = if dir.join("images").is_dir() { dir.join("images") } else { dir.clone() };
                for f in &found.files {
                    let split = split_from_name(f);
                    for mut it in gqa::load_with(f, &images, false)? {
                        if it.split.is_empty() {
                            it.split = split.clone();
                        }
                        rows.push((format!("{}: question {}", f.display(), it.id), it));
                    }
                }
                if let Ok(entries) = std::fs::read_dir(&dir) {
                    scene_graphs = entries.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().to_lowercase().contains("scenegraph")).collect();
                    scene_graphs.sort();
                }
            }
            DataFormat::Refcoco => {
                let images = if dir.join("images").is_dir() { dir.join("images") } else { dir.clone() };
                for f in &found.files {
                    rows.extend(refcoco::load(f, &images)?.into_iter().map(|it| (format!("{}: reference {}", f.display(), it.id), it)));
                }
            }
        }
        let mut problems = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut origins: Vec<String> = Vec::with_capacity(rows.len());
        let mut questions: Vec<Item> = Vec::with_capacity(rows.len());
        for (origin, mut it) in rows {
            it.image = paths::relative_to_dir(&dir, &it.image);
            for v in it.images.values_mut() {
                *v = paths::relative_to_dir(&dir, v);
            }
            for p in std::iter::once(&it.image).chain(it.images.values()) {
                if let Err(d) = paths::resolve(&dir, p, opts.allow_outside_images) {
                    problems.push(Diagnostic { message: format!("{origin}: {}", d.message), ..d });
                }
            }
            if let Some(&first) = seen.get(&it.id) {
                problems.push(jsonl::duplicate(&it.id, &origins[first], &origin));
            } else {
                seen.insert(it.id.clone(), questions.len());
            }
            origins.push(origin);
            questions.push(it);
        }
        let ds = Dataset { dir, format: found.format, questions, scenes, origins, scene_graphs, allow_outside: opts.allow_outside_images, cache: Mutex::new(HashMap::new()) };
        Ok((ds, problems))
    }

    /// Does this dataset carry annotations the rule judge can check steps against?
    pub fn annotated(&self) -> bool {
        !self.scenes.is_empty()
    }

    /// Questions with a reference program (`program`).
    pub fn with_programs(&self) -> usize {
        self.questions.iter().filter(|q| q.program.as_deref().is_some_and(|p| !p.trim().is_empty())).count()
    }

    pub fn find(&self, id: &str) -> Option<&Item> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn scene(&self, id: &str) -> Option<&Scene> {
        self.scenes.iter().find(|s| s.id == id)
    }

    /// The annotated scene a question is about, if the dataset has one.
    pub fn scene_of(&self, item: &Item) -> Option<&Scene> {
        item.scene.as_deref().and_then(|id| self.scene(id))
    }

    /// A scene's image.
    pub fn image(&self, scene: &Scene) -> Result<Image, Diagnostic> {
        self.load_image(&scene.file)
    }

    /// Where an image path of this dataset is on disk (E509 if it leaves the directory and that
    /// was not allowed).
    pub fn image_path(&self, path: &str) -> Result<PathBuf, Diagnostic> {
        paths::resolve(&self.dir, path, self.allow_outside)
    }

    fn load_image(&self, path: &str) -> Result<Image, Diagnostic> {
        if let Some(img) = self.cache.lock().ok().and_then(|c| c.get(path).cloned()) {
            return Ok(img);
        }
        let img = Image::load(&self.image_path(path)?, &Limits::default())?;
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHED_IMAGES {
                c.clear();
            }
            c.insert(path.to_string(), img.clone());
        }
        Ok(img)
    }

    /// A question's main image (bound to `image`).
    pub fn item_image(&self, item: &Item) -> Result<Image, Diagnostic> {
        self.load_image(&item.image)
    }

    /// Every image a question binds: `image` first, then each of `images` under its name.
    pub fn item_images(&self, item: &Item) -> Result<Vec<(String, Image)>, Diagnostic> {
        let mut out = vec![("image".to_string(), self.item_image(item)?)];
        for (name, path) in item.images.iter().filter(|(n, _)| n.as_str() != "image") {
            out.push((name.clone(), self.load_image(path)?));
        }
        Ok(out)
    }

    /// The splits this dataset's questions name (`train`, `val`, `test`, …), sorted.
    pub fn split_names(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&str> =
            self.questions.iter().map(|q| q.split.as_str()).chain(self.scenes.iter().map(|s| s.split.as_str())).filter(|s| !s.is_empty()).collect();
        set.into_iter().map(String::from).collect()
    }

    /// E505 unless `split` is `all` or a split this dataset has (a typo must not run 0 questions).
    pub fn check_split(&self, split: &str) -> Result<(), Diagnostic> {
        let names = self.split_names();
        if split == "all" || names.iter().any(|n| n == split) {
            return Ok(());
        }
        let has = if names.is_empty() { "its questions name no split: use `all`".to_string() } else { format!("it has {}, or `all`", names.join(", ")) };
        Err(Diagnostic::new(Code::E505, format!("--split {split}: {} has no such split ({has})", self.dir.display())))
    }

    /// The questions of a split (`all` for every question), in file order.
    pub fn items<'a>(&'a self, split: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.questions.iter().filter(move |q| split == "all" || q.split == split)
    }

    /// Scenes of a split (`all` for every scene).
    pub fn split<'a>(&'a self, split: &'a str) -> impl Iterator<Item = &'a Scene> + 'a {
        self.scenes.iter().filter(move |s| split == "all" || s.split == split)
    }
}

/// GQA names its files by split: `train_balanced_questions.json`, `testdev_…`, `val_…`.
fn split_from_name(f: &Path) -> String {
    let n = f.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    for (key, split) in [("train", "train"), ("val", "val"), ("testdev", "test"), ("test", "test")] {
        if n.starts_with(key) {
            return split.to_string();
        }
    }
    String::new()
}
