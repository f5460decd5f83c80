//! Helpers shared by the `wasm_*` integration tests.
#![allow(dead_code)]

use dwim::diag::{Code, Diagnostic};
use dwim::tools::wasm::{LoadOptions, WasmTool};
use dwim::tools::{Applier, Args, Tool, ToolCtx};
use dwim::value::Lambda;
use dwim::{Limits, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wasm").join(name)
}

/// The prebuilt example plugins: `$DWIM_TEST_PLUGINS` (set by tools-wasm/build.sh --check to
/// test freshly rebuilt ones), else the committed `tools-wasm/dist`.
pub fn dist() -> PathBuf {
    match std::env::var_os("DWIM_TEST_PLUGINS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tools-wasm/dist"),
    }
}

/// Load options with a cache directory private to this test binary.
pub fn opts() -> LoadOptions {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    LoadOptions { cache_dir: Some(dir.path().to_path_buf()) }
}

pub fn load(path: &Path) -> WasmTool {
    match WasmTool::load(path, &opts()) {
        Ok(t) => t,
        Err(d) => panic!("cannot load {}: {d}", path.display()),
    }
}

pub fn load_err(path: &Path) -> Diagnostic {
    match WasmTool::load(path, &opts()) {
        Ok(_) => panic!("{} loaded but should not have", path.display()),
        Err(d) => d,
    }
}

struct NoLambdas(Limits);
impl Applier for NoLambdas {
    fn apply(&mut self, _f: &Lambda, _arg: Value) -> Result<Value, Diagnostic> {
        Err(Diagnostic::new(Code::E201, "no lambdas here"))
    }
    fn limits(&self) -> &Limits {
        &self.0
    }
}

pub fn call_with(tool: &WasmTool, args: Vec<Value>, limits: Limits) -> Result<Value, Diagnostic> {
    let names = tool.signature().params.iter().map(|p| p.name.clone()).collect();
    let mut applier = NoLambdas(limits);
    tool.call(&Args::new(names, args), &mut ToolCtx::new(&mut applier))
}

pub fn call(tool: &WasmTool, args: Vec<Value>) -> Result<Value, Diagnostic> {
    call_with(tool, args, Limits::default())
}

/// A small RGB test image with a red square on grey.
pub fn test_image(w: u32, h: u32) -> dwim::value::Image {
    let mut img = image::RgbImage::from_pixel(w, h, image::Rgb([120, 120, 120]));
    for y in h / 4..h / 2 {
        for x in w / 4..w / 2 {
            img.put_pixel(x, y, image::Rgb([215, 40, 40]));
        }
    }
    dwim::value::Image::from_rgb(img)
}

/// Run the `dwim` binary in `cwd` with its own compile cache and no `$DWIM_PLUGINS`:
/// (exit code, stdout, stderr).
pub fn dwim(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(args)
        .current_dir(cwd)
        .env("DWIM_CACHE_DIR", cwd.join("cache"))
        .env_remove("DWIM_PLUGINS")
        .output()
        .expect("run dwim");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}
