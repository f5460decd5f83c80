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
        .env("DWIM_MODELS", cwd.join("no-models"))
        .env_remove("DWIM_PLUGINS")
        .output()
        .expect("run dwim");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A WAT byte string: printable ASCII as is, everything else (and `"`, `\`) escaped.
pub fn wat_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    for &c in b {
        if (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\' {
            s.push(c as char);
        } else {
            s.push_str(&format!("\\{c:02x}"));
        }
    }
    s
}

/// The text of a plugin whose `dwim_describe` returns `describe` and whose every call returns
/// `output` (raw ABI bytes), with `extra` pasted into the module (more functions, say).
pub fn wat_plugin(describe: &str, output: &[u8], extra: &str) -> String {
    const OUT: u64 = 3 << 20;
    let packed = |ptr: u64, len: usize| (ptr << 32) | len as u64;
    format!(
        r#"(module
  (memory (export "memory") 80)
  (global $heap (mut i32) (i32.const 4194304))
  (func (export "dwim_alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (data (i32.const 16) "{}")
  (func (export "dwim_describe") (result i64) (i64.const {}))
  (data (i32.const {OUT}) "{}")
  (func (export "dwim_call") (param $ptr i32) (param $len i32) (result i64) (i64.const {}))
  {extra}
)"#,
        wat_bytes(describe.as_bytes()),
        packed(16, describe.len()),
        wat_bytes(output),
        packed(OUT, output.len())
    )
}

/// Write `text` as `dir/name` and load it under `limits`.
pub fn load_text(dir: &Path, name: &str, text: &str, limits: &Limits) -> Result<WasmTool, Diagnostic> {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write plugin");
    WasmTool::load_within(&path, &opts(), limits)
}

/// Call any tool with `args` (the rest from the parameters' defaults) under `limits`, lambdas refused.
pub fn call_tool(tool: &dyn Tool, mut args: Vec<Value>, limits: Limits) -> Result<Value, Diagnostic> {
    let params = &tool.signature().params;
    args.extend(params.iter().skip(args.len()).map(|p| p.default_value().unwrap_or(Value::None)));
    let names = params.iter().map(|p| p.name.clone()).collect();
    let mut applier = NoLambdas(limits);
    tool.call(&Args::new(names, args), &mut ToolCtx::new(&mut applier))
}
