//! Shared test helpers: golden files and scenes described in program headers.
#![allow(dead_code)]

pub mod gen;
mod skip;
#[allow(unused_imports)]
pub use skip::skip;

use dwim::world::demo::{draw_objects, Object};
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compare `actual` with the golden file; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("missing golden file {} (run with UPDATE_GOLDEN=1)", path.display()));
    if expected != actual {
        panic!("golden mismatch for {}\n--- expected\n{expected}\n--- actual\n{actual}\n(run with UPDATE_GOLDEN=1 to accept)", path.display());
    }
}

/// `# scene: red circle 10 10 50 50; blue square ...` → objects.
pub fn scene_from_header(src: &str) -> Option<Vec<Object>> {
    let line = src.lines().find_map(|l| l.strip_prefix("# scene:"))?;
    Some(
        line.split(';')
            .map(|o| {
                let w: Vec<&str> = o.split_whitespace().collect();
                let n: Vec<u32> = w[2..6].iter().map(|v| v.parse().unwrap()).collect();
                Object::new(w[1], w[0], [n[0], n[1], n[2], n[3]])
            })
            .collect(),
    )
}

pub fn expect_from_header(src: &str) -> Option<String> {
    src.lines().find_map(|l| l.strip_prefix("# expect:")).map(|s| s.trim().to_string())
}

pub fn scene_png(objects: &[Object], dir: &Path, name: &str) -> PathBuf {
    let img = draw_objects(320, 240, objects);
    let p = dir.join(name);
    img.save(&p).unwrap();
    p
}

/// The path of every file in `dir` with extension `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}
