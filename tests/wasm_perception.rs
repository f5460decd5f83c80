//! The benchmark's perception tools as WASM plugins (`--tools benchmark-wasm`): same signatures
//! and same answers as the native `benchmark` set on generated scenes; programs run end to end
//! from the CLI; plugin steps carry the fuel they consumed in the trace.

mod wasm_common;

use dwim::tools::bench::{benchmark, wasm::{benchmark_wasm, perception_plugins_in}};
use dwim::tools::{Applier, Args, Registry, Tool, ToolCtx, ToolKind};
use dwim::value::{BBox, Image, Lambda, Region};
use dwim::world::dataset::{make_scene, GenConfig};
use dwim::{Limits, Session, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasm_common::{dist, dwim, opts};

const TOOLS: [&str; 5] = ["detect", "color", "shape", "read_text", "vqa"];

/// The WASM set under test: the rebuilt plugins when `tools-wasm/build.sh --check` runs us
/// (`$DWIM_TEST_PLUGINS/perception`), else the ones embedded in dwim.
fn wasm_set() -> Registry {
    let mut r = benchmark_wasm(&opts()).unwrap_or_else(|d| panic!("benchmark-wasm: {d}"));
    if std::env::var_os("DWIM_TEST_PLUGINS").is_some() {
        let tools = perception_plugins_in(&dist().join("perception"), &opts()).unwrap_or_else(|d| panic!("rebuilt perception plugins: {d}"));
        assert_eq!(tools.len(), TOOLS.len());
        for t in tools {
            r.add(t);
        }
    }
    r
}

struct NoLambdas(Limits);
impl Applier for NoLambdas {
    fn apply(&mut self, _f: &Lambda, _arg: Value) -> Result<Value, dwim::diag::Diagnostic> {
        Err(dwim::diag::Diagnostic::new(dwim::diag::Code::E201, "no lambdas here"))
    }
    fn limits(&self) -> &Limits {
        &self.0
    }
}

/// A result as comparable JSON (regions with boxes, labels, scores and their image's hash).
fn json(r: Result<Value, String>) -> Result<serde_json::Value, String> {
    r.map(|v| v.to_json())
}

/// Call a tool, adding its time to `clock`; errors as `"CODE message"`.
fn call(tool: &Arc<dyn Tool>, args: Vec<Value>, clock: &mut Duration) -> Result<Value, String> {
    let names = tool.signature().params.iter().map(|p| p.name.clone()).collect();
    let mut applier = NoLambdas(Limits::default());
    let t0 = Instant::now();
    let out = tool.call(&Args::new(names, args), &mut ToolCtx::new(&mut applier));
    *clock += t0.elapsed();
    out.map_err(|d| format!("{} {}", d.code, d.message))
}

#[test]
fn signatures_equal_the_native_ones() {
    let (native, wasm) = (benchmark(), wasm_set());
    for name in TOOLS {
        let (n, w) = (native.get(name).unwrap().signature(), wasm.get(name).unwrap().signature());
        assert_eq!(w.kind, ToolKind::Wasm, "{name}");
        assert_eq!((&n.name, &n.params, &n.result), (&w.name, &w.params, &w.result), "{name}");
        assert_eq!(n.render(), w.render());
    }
}

#[test]
fn same_answers_as_native_on_generated_scenes() {
    let (native, wasm) = (benchmark(), wasm_set());
    let cfg = GenConfig { seed: 11, n: 6, ..GenConfig::default() };
    let (mut t_native, mut t_wasm, mut calls) = (Duration::ZERO, Duration::ZERO, 0u32);
    let mut per_tool: Vec<(&str, Duration, Duration, u32)> = TOOLS.iter().map(|t| (*t, Duration::ZERO, Duration::ZERO, 0)).collect();
    for i in 0..cfg.n {
        let (rgb, scene, _) = make_scene(&cfg, i);
        let image = Image::from_rgb(rgb);
        // Inputs: the whole image, every annotated object's visible box (including ones the
        // detector misses), and what the detector found.
        let mut regions = vec![Value::Image(image.clone())];
        for o in &scene.objects {
            let [x0, y0, x1, y1] = o.visible_box.map(|v| v as f64);
            regions.push(Value::Region(Region::new(image.clone(), BBox { x0, y0, x1, y1 })));
        }
        let mut cases: Vec<(&str, Vec<Value>)> = Vec::new();
        for q in ["object", "red circle", "small square", "blue objects", "large triangle", "nonsense words"] {
            cases.push(("detect", vec![Value::Image(image.clone()), Value::text(q)]));
        }
        let mut dummy = Duration::ZERO;
        if let Ok(Value::List(found)) = call(native.get("detect").unwrap(), vec![Value::Image(image.clone()), Value::text("object")], &mut dummy) {
            regions.extend(found.iter().cloned());
        }
        for r in &regions {
            for tool in ["color", "shape", "read_text"] {
                cases.push((tool, vec![r.clone()]));
            }
            for q in ["what color is it?", "what shape is it?", "how many circles?", "is there a red square?", "what does the label say?"] {
                cases.push(("vqa", vec![r.clone(), Value::text(q)]));
            }
        }
        for (tool, args) in cases {
            let k = TOOLS.iter().position(|t| *t == tool).unwrap();
            let (mut tn, mut tw) = (Duration::ZERO, Duration::ZERO);
            let a = json(call(native.get(tool).unwrap(), args.clone(), &mut tn));
            let b = json(call(wasm.get(tool).unwrap(), args.clone(), &mut tw));
            assert_eq!(a, b, "scene {i}, {tool}({args:?})");
            per_tool[k].1 += tn;
            per_tool[k].2 += tw;
            per_tool[k].3 += 1;
            t_native += tn;
            t_wasm += tw;
            calls += 1;
        }
    }
    assert!(calls > 100, "{calls} calls");
    println!("native vs wasm, mean per call over {calls} calls on {} scenes {}x{}:", cfg.n, cfg.width, cfg.height);
    for (tool, tn, tw, n) in per_tool {
        let (n_us, w_us) = (tn.as_secs_f64() * 1e6 / n as f64, tw.as_secs_f64() * 1e6 / n as f64);
        println!("  {tool:<10} {n:>4} calls  native {n_us:>8.1} µs  wasm {w_us:>8.1} µs  ({:.2}x)", w_us / n_us.max(1e-9));
    }
    println!("  all        native {:.1} ms  wasm {:.1} ms  ({:.2}x)", t_native.as_secs_f64() * 1e3, t_wasm.as_secs_f64() * 1e3, t_wasm.as_secs_f64() / t_native.as_secs_f64().max(1e-12));
}

#[test]
fn plugin_steps_record_fuel_and_builtin_steps_do_not() {
    let registry = wasm_set();
    let (rgb, _, _) = make_scene(&GenConfig { seed: 3, ..GenConfig::default() }, 0);
    let mut s = Session::new(&registry, Limits::default()).keep_records();
    s.bind("image", Value::Image(Image::from_rgb(rgb)));
    let out = s.feed("objs = detect(image, \"object\")\nn = len(objs)\nc = map(objs, o -> color(o))\nanswer n\n").unwrap_or_else(|d| panic!("{d:?}"));
    assert!(out.iter().all(|o| o.error().is_none()), "{:?}", out.iter().filter_map(|o| o.error()).collect::<Vec<_>>());
    let detect = &out[0].record;
    assert!(detect.fuel.is_some_and(|f| f > 0), "{detect:?}");
    assert_eq!(detect.calls[0].fuel, detect.fuel);
    let len = &out[1].record;
    assert_eq!(len.fuel, None);
    assert!(len.calls.iter().all(|c| c.fuel.is_none()));
    // A builtin (`map`) calling plugins through a lambda: the step sums its plugin calls.
    let map = &out[2].record;
    let sum: u64 = map.calls.iter().filter_map(|c| c.fuel).sum();
    if map.calls.len() > 1 {
        assert!(sum > 0);
        assert_eq!(map.fuel, Some(sum));
        assert_eq!(map.calls.iter().find(|c| c.tool == "map").unwrap().fuel, None);
    }
    // The native set runs no sandboxed code: no fuel anywhere.
    let native = benchmark();
    let (rgb, _, _) = make_scene(&GenConfig { seed: 3, ..GenConfig::default() }, 0);
    let mut s = Session::new(&native, Limits::default());
    s.bind("image", Value::Image(Image::from_rgb(rgb)));
    let out = s.feed("objs = detect(image, \"object\")\n").unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(out[0].record.fuel, None);
}

#[test]
fn cli_runs_a_program_with_benchmark_wasm() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (rgb, scene, _) = make_scene(&GenConfig { seed: 5, ..GenConfig::default() }, 1);
    rgb.save(d.join("scene.png")).unwrap();
    let prog = "objs = detect(image, \"object\")\nlabels = map(objs, o -> color(o))\nshapes = map(objs, o -> shape(o))\nanswer len(objs)\n";
    std::fs::write(d.join("prog.wf"), prog).unwrap();

    let (code, out, err) = dwim(&["tools", "--tools", "benchmark-wasm", "--format", "json"], d);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["set"], "benchmark-wasm");
    let kinds: Vec<_> = doc["tools"].as_array().unwrap().iter().filter(|t| TOOLS.contains(&t["name"].as_str().unwrap())).map(|t| t["kind"].clone()).collect();
    assert_eq!(kinds, vec![serde_json::json!("wasm"); 5], "{out}");

    let (code, _, err) = dwim(&["check", "prog.wf"], d);
    assert_eq!(code, 1, "builtin set has no detect: {err}");
    assert!(err.contains("E101"), "{err}");
    for set in ["benchmark", "benchmark-wasm"] {
        let (code, out, err) = dwim(&["check", "prog.wf", "--tools", set], d);
        assert_eq!(code, 0, "{set}: {out}{err}");
    }
    let mut answers = Vec::new();
    for set in ["benchmark", "benchmark-wasm"] {
        let trace = format!("{set}.jsonl");
        let (code, out, err) = dwim(&["run", "prog.wf", "--image", "scene.png", "--tools", set, "--format", "json", "--trace", &trace], d);
        assert_eq!(code, 0, "{set}: {out}{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        answers.push(doc["answer"].clone());
        let first: serde_json::Value = serde_json::from_str(std::fs::read_to_string(d.join(&trace)).unwrap().lines().next().unwrap()).unwrap();
        assert_eq!(first["fuel"].as_u64().is_some_and(|f| f > 0), set == "benchmark-wasm", "{first}");
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].as_f64().is_some_and(|n| n >= 1.0 && n <= scene.objects.len() as f64 + 2.0), "{answers:?}");

    // `--plugins` still works on top of the set.
    let plugins = dist();
    let (code, out, err) = dwim(&["tools", "--tools", "benchmark-wasm", "--plugins", plugins.to_str().unwrap()], d);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("find_color") && out.contains("detect("), "{out}");
    let (code, _, err) = dwim(&["tools", "--tools", "nonsense"], d);
    assert_eq!(code, 2, "{err}");
}
