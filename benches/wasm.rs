//! WASM plugin costs, measured in one run and printed as ratios (nothing is asserted):
//! - a trivial call (`echo(1)`: fresh store + instance, encode, call, decode), goal ≤ 20 µs median;
//! - a compute-heavy call (`find_color` over a scene) against the same Rust code compiled natively,
//!   goal ≤ 3×;
//! - the same trivial call to the component twin of `echo` (`dwim:tool@0.1.0`), goal ≤ 20 µs, and
//!   a component's load (compile, then from the disk cache).
//!
//! Run: `cargo bench --bench wasm` (plugins from tools-wasm/dist, or `$DWIM_TEST_PLUGINS`).

extern crate alloc;

#[path = "../tools-wasm/plugins/find_color/src/algo.rs"]
mod algo;

use dwim::diag::{Code, Diagnostic};
use dwim::tools::wasm::{load_plugin_within, LoadOptions, Plugin, WasmTool};
use dwim::tools::{Applier, Args, Tool, ToolCtx};
use dwim::value::{Image, Lambda};
use dwim::{Limits, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Ctx(Limits);
impl Applier for Ctx {
    fn apply(&mut self, _: &Lambda, _: Value) -> Result<Value, Diagnostic> {
        Err(Diagnostic::new(Code::E201, "no lambdas"))
    }
    fn limits(&self) -> &Limits {
        &self.0
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time<F: FnMut()>(n: usize, mut f: F) -> Duration {
    for _ in 0..n.div_ceil(10) {
        f();
    }
    median((0..n).map(|_| {
        let t = Instant::now();
        f();
        t.elapsed()
    }).collect())
}

fn main() {
    let dist = std::env::var_os("DWIM_TEST_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools-wasm/dist"));
    let cache = tempfile::tempdir().expect("temp dir");
    let opts = LoadOptions { cache_dir: Some(cache.path().to_path_buf()) };
    let load = |name: &str| WasmTool::load(&dist.join(name), &opts).unwrap_or_else(|d| panic!("{d}"));

    let t = Instant::now();
    let _ = load("find_color.wasm");
    let cold = t.elapsed();
    let t = Instant::now();
    let find = load("find_color.wasm");
    let warm = t.elapsed();
    println!("load find_color.wasm: compile {:.1} ms, from disk cache {:.2} ms", ms(cold), ms(warm));

    let echo = load("test/echo.wasm");
    let mut ctx = Ctx(Limits::default());
    let args = Args::new(vec!["value".into()], vec![Value::Number(1.0)]);
    let trivial = time(5000, || {
        echo.call(&args, &mut ToolCtx::new(&mut ctx)).expect("echo");
    });
    println!("trivial call (echo 1): median {:.1} µs  (goal ≤ 20 µs)", trivial.as_secs_f64() * 1e6);
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wasm/ok.wat");
    let ok = WasmTool::load(&fixture, &opts).unwrap_or_else(|d| panic!("{d}"));
    let none = Args::new(vec![], vec![]);
    let tiny = time(5000, || {
        ok.call(&none, &mut ToolCtx::new(&mut ctx)).expect("ok");
    });
    println!("  host overhead alone (1-page .wat plugin returning 42): median {:.1} µs", tiny.as_secs_f64() * 1e6);

    let load_component = |name: &str| match load_plugin_within(&dist.join(name), &opts, &Limits::default()) {
        Ok(Plugin::Component(c)) => c,
        Ok(Plugin::Core(_)) => panic!("{name} is not a component"),
        Err(d) => panic!("{d}"),
    };
    let t = Instant::now();
    let _ = load_component("components/normalize_answer.wasm");
    let cold = t.elapsed();
    let t = Instant::now();
    let _ = load_component("components/normalize_answer.wasm");
    let warm = t.elapsed();
    println!("load components/normalize_answer.wasm: compile {:.1} ms, from disk cache {:.2} ms", ms(cold), ms(warm));
    let echo_c = load_component("components/test/echo.wasm");
    let args = Args::new(vec!["value".into()], vec![Value::Number(1.0)]);
    let trivial_c = time(5000, || {
        echo_c.call(&args, &mut ToolCtx::new(&mut ctx)).expect("echo component");
    });
    println!(
        "trivial call, component (echo 1): median {:.1} µs vs core ABI {:.1} µs  (goal ≤ 20 µs)",
        trivial_c.as_secs_f64() * 1e6,
        trivial.as_secs_f64() * 1e6
    );

    let (rgb, _) = dwim::world::demo::demo_scene(1);
    let (w, h) = (rgb.width(), rgb.height());
    let img = Image::from_rgb(rgb);
    let want = algo::palette::index_of("red").expect("red");
    let native = time(30, || {
        std::hint::black_box(algo::find_blobs(img.pixels().as_raw(), w, (0, 0, w, h), want, 20));
    });
    let args = Args::new(
        vec!["image".into(), "color".into(), "min_area".into()],
        vec![Value::Image(img.clone()), Value::text("red"), Value::Number(20.0)],
    );
    let wasm = time(30, || {
        find.call(&args, &mut ToolCtx::new(&mut ctx)).expect("find_color");
    });
    println!(
        "compute-heavy (find_color on a {w}x{h} scene): native {:.2} ms, wasm {:.2} ms, ratio {:.2}x  (goal ≤ 3x)",
        ms(native),
        ms(wasm),
        wasm.as_secs_f64() / native.as_secs_f64()
    );
    let find_c = load_component("components/find_color.wasm");
    let component = time(30, || {
        find_c.call(&args, &mut ToolCtx::new(&mut ctx)).expect("find_color component");
    });
    println!("  the same, component find_color: {:.2} ms, ratio {:.2}x to native", ms(component), component.as_secs_f64() / native.as_secs_f64());

    // The Python component (componentize-py: CPython inside), stated as it is: size, compile,
    // a call on a 1x1 image (instantiating CPython from its snapshot), and a whole scene in pure
    // Python against the same sum in Rust.
    let py_path = dist.join("components/python/mean_luma.wasm");
    let size = std::fs::metadata(&py_path).map(|m| m.len()).unwrap_or(0);
    let t = Instant::now();
    let _ = load_component("components/python/mean_luma.wasm");
    let cold = t.elapsed();
    let t = Instant::now();
    let py = load_component("components/python/mean_luma.wasm");
    let warm = t.elapsed();
    println!("python component mean_luma.wasm ({:.1} MB): compile {:.0} ms, from disk cache {:.1} ms", size as f64 / 1e6, ms(cold), ms(warm));
    let one = Args::new(vec!["image".into()], vec![Value::Image(Image::from_rgb(image::RgbImage::new(1, 1)))]);
    let py_trivial = time(200, || {
        py.call(&one, &mut ToolCtx::new(&mut ctx)).expect("mean_luma 1x1");
    });
    println!("  call on a 1x1 image: median {:.0} µs vs {:.1} µs for the Rust component echo", py_trivial.as_secs_f64() * 1e6, trivial_c.as_secs_f64() * 1e6);
    let scene = Args::new(vec!["image".into()], vec![Value::Image(img.clone())]);
    let rust_sum = time(30, || {
        let total: u64 = img.pixels().as_raw().iter().map(|&c| u64::from(c)).sum();
        std::hint::black_box(total as f64 / (3.0 * f64::from(w) * f64::from(h)));
    });
    let py_scene = time(10, || {
        py.call(&scene, &mut ToolCtx::new(&mut ctx)).expect("mean_luma scene");
    });
    println!(
        "  mean_luma on the {w}x{h} scene: python component {:.2} ms, the same sum in native Rust {:.3} ms, ratio {:.0}x",
        ms(py_scene),
        ms(rust_sum),
        py_scene.as_secs_f64() / rust_sum.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
