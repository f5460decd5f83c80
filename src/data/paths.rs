//! Image paths stay inside the dataset directory: a path that leaves it (`../`, absolute, or a
//! symlink pointing out) is E509 unless the caller allows it (`--allow-outside-images`).

use crate::diag::{Code, Diagnostic};
use std::path::{Component, Path, PathBuf};

fn outside(dir: &Path, path: &str, why: &str) -> Diagnostic {
    Diagnostic::new(Code::E509, format!("image {path:?} {why} the dataset directory {} (pass --allow-outside-images to read it anyway)", dir.display()))
        .help("images must lie inside the dataset directory unless --allow-outside-images is given")
}

/// `path` as given in a record, made relative to `dir` when it is an absolute path inside it.
pub fn relative_to_dir(dir: &Path, path: &str) -> String {
    let p = Path::new(path);
    if p.is_absolute() {
        let base = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if let Ok(rest) = p.strip_prefix(&base).or_else(|_| p.strip_prefix(dir)) {
            return rest.to_string_lossy().into_owned();
        }
    } else if let Ok(rest) = p.strip_prefix(dir) {
        // Loaders that join the directory themselves (`images/x.jpg` under `DIR`).
        return rest.to_string_lossy().into_owned();
    }
    path.to_string()
}

/// Where the image `path` (relative to `dir`, or absolute) is, checked to stay inside `dir`
/// unless `allow_outside`. An empty path is E504. The file need not exist; if it does, its real
/// path (symlinks resolved) must be inside the directory's real path.
pub fn resolve(dir: &Path, path: &str, allow_outside: bool) -> Result<PathBuf, Diagnostic> {
    if path.is_empty() {
        return Err(Diagnostic::new(Code::E504, "a question has an empty image path"));
    }
    let p = Path::new(path);
    let full = if p.is_absolute() { p.to_path_buf() } else { dir.join(p) };
    if allow_outside {
        return Ok(full);
    }
    if p.is_absolute() {
        return Err(outside(dir, path, "is an absolute path outside"));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir | Component::Prefix(_) | Component::RootDir)) {
        return Err(outside(dir, path, "climbs out of"));
    }
    if let (Ok(real), Ok(base)) = (std::fs::canonicalize(&full), std::fs::canonicalize(dir)) {
        if !real.starts_with(&base) {
            return Err(outside(dir, path, "is a link that points out of"));
        }
    }
    Ok(full)
}

/// `to` relative to the directory `from` (both made absolute first), with `..` where needed; the
/// absolute path when they share no root.
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().map(|c| c.join(p)).unwrap_or_else(|_| p.to_path_buf()));
    let (from, to) = (abs(from), abs(to));
    let (f, t): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to;
    }
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}
