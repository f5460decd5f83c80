//! Which format a dataset path holds, told from what is there (or named with `--data-format`).
//!
//! | format | a directory holding | a file |
//! |---|---|---|
//! | `bench-world` | `scenes.jsonl` (+ `questions.jsonl`) | — |
//! | `gqa` | `*questions*.json` (an object keyed by question id) + `images/` | that `.json` |
//! | `refcoco` | `refs*.json` / `refs*.jsonl` (references with `bbox`) | that file |
//! | `jsonl` | exactly one other `*.jsonl` | a `.jsonl` whose records have no `bbox` |

use crate::diag::{Code, Diagnostic};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DataFormat {
    /// A `dwim bench-world generate` directory: scenes with annotations, questions, programs.
    BenchWorld,
    /// GQA-style: questions JSON keyed by question id ({imageId, question, answer}) + an images folder.
    Gqa,
    /// RefCOCO-style referring expressions with COCO boxes.
    Refcoco,
    /// Plain JSON Lines: one {id, image | images, question, answer, family?, split?, program?} per line.
    Jsonl,
}

impl DataFormat {
    pub fn name(self) -> &'static str {
        match self {
            DataFormat::BenchWorld => "bench-world",
            DataFormat::Gqa => "gqa",
            DataFormat::Refcoco => "refcoco",
            DataFormat::Jsonl => "jsonl",
        }
    }
}

/// The files a dataset is read from, once its format is known.
#[derive(Debug, Clone)]
pub struct Found {
    pub format: DataFormat,
    /// The dataset directory: image paths resolve inside it.
    pub dir: PathBuf,
    /// The question files (for bench-world: the directory's `questions.jsonl`).
    pub files: Vec<PathBuf>,
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| crate::io::cannot_read(dir, &e))?;
    let mut out: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    out.sort();
    Ok(out)
}

fn name_of(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default()
}

fn ext_is(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Does the first record of a JSON / JSON Lines file carry a `bbox` (a RefCOCO reference)?
fn first_record_has_bbox(p: &Path) -> bool {
    let Ok(mut lines) = crate::io::LineReader::open(p, crate::Limits::default().max_record_bytes) else { return false };
    while let Some(Ok(line)) = lines.next_line() {
        let t = String::from_utf8_lossy(line.bytes);
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        return t.contains("\"bbox\"");
    }
    false
}

fn unknown(path: &Path, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E505, format!("{}: cannot tell the dataset format: {why}", path.display()))
        .help("name it with --data-format bench-world|gqa|refcoco|jsonl (docs/datasets.md lists what each needs)")
}

/// Find a dataset's format and files at `path` (a directory or a question file); `format` forces one.
pub fn detect(path: &Path, format: Option<DataFormat>) -> Result<Found, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| crate::io::cannot_read(path, &e))?;
    if meta.is_file() {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        let format = match format {
            Some(f) => f,
            None if ext_is(path, "jsonl") && first_record_has_bbox(path) => DataFormat::Refcoco,
            None if ext_is(path, "jsonl") => DataFormat::Jsonl,
            None if ext_is(path, "json") && first_record_has_bbox(path) => DataFormat::Refcoco,
            None if ext_is(path, "json") => DataFormat::Gqa,
            None => return Err(unknown(path, "expected a .json or .jsonl question file, or a dataset directory")),
        };
        if format == DataFormat::BenchWorld {
            return Err(unknown(path, "a bench-world dataset is a directory (with scenes.jsonl), not a file"));
        }
        return Ok(Found { format, dir, files: vec![path.to_path_buf()] });
    }
    if !meta.is_dir() {
        return Err(crate::io::check_regular(path).err().unwrap_or_else(|| unknown(path, "not a file or directory")));
    }
    let dir = path.to_path_buf();
    let files = files_in(path)?;
    let bench = path.join("scenes.jsonl").is_file();
    let gqa: Vec<PathBuf> = files.iter().filter(|p| ext_is(p, "json") && name_of(p).contains("questions")).cloned().collect();
    let refs: Vec<PathBuf> = files.iter().filter(|p| (ext_is(p, "json") || ext_is(p, "jsonl")) && name_of(p).starts_with("refs")).cloned().collect();
    let jsonl: Vec<PathBuf> = files.iter().filter(|p| ext_is(p, "jsonl") && !name_of(p).starts_with("refs")).cloned().collect();
    let pick = |f: DataFormat| -> Result<Found, Diagnostic> {
        let files = match f {
            DataFormat::BenchWorld if bench => vec![path.join("questions.jsonl")],
            DataFormat::Gqa if !gqa.is_empty() => gqa.clone(),
            DataFormat::Refcoco if !refs.is_empty() => refs.clone(),
            DataFormat::Jsonl if jsonl.len() == 1 => jsonl.clone(),
            DataFormat::Jsonl if jsonl.len() > 1 => {
                let names: Vec<String> = jsonl.iter().map(|p| name_of(p)).collect();
                return Err(unknown(path, &format!("it holds several .jsonl files ({}); give the file itself", names.join(", "))));
            }
            f => return Err(unknown(path, &format!("it has none of the files a {} dataset needs", f.name()))),
        };
        Ok(Found { format: f, dir: dir.clone(), files })
    };
    match format {
        Some(f) => pick(f),
        None if bench => pick(DataFormat::BenchWorld),
        None if !gqa.is_empty() => pick(DataFormat::Gqa),
        None if !refs.is_empty() => pick(DataFormat::Refcoco),
        None if !jsonl.is_empty() => pick(DataFormat::Jsonl),
        None => Err(unknown(path, "no scenes.jsonl, *questions*.json, refs*.json(l) or .jsonl file in it")),
    }
}
