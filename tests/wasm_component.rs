//! Component plugins (the `dwim:tool@0.1.0` world): hostile components each give their own typed
//! error and leave the tool working; the component twins answer as their core-module twins; the
//! CLI loads both kinds from one folder.

mod wasm_common;

use dwim::diag::{Code, Diagnostic};
use dwim::tools::wasm::{load_plugin_within, ComponentTool, Plugin, WasmTool};
use dwim::tools::{Tool, ToolKind};
use dwim::value::{BBox, Region};
use dwim::{Limits, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasm_common::{call_tool, dist, dwim, opts, test_image};

fn components() -> PathBuf {
    dist().join("components")
}

fn try_component(path: &Path) -> Result<Arc<ComponentTool>, Diagnostic> {
    match load_plugin_within(path, &opts(), &Limits::default())? {
        Plugin::Component(c) => Ok(c),
        Plugin::Core(_) => panic!("{} loaded as a core module", path.display()),
    }
}

fn component(path: &Path) -> Arc<ComponentTool> {
    try_component(path).unwrap_or_else(|d| panic!("cannot load {}: {d}", path.display()))
}

fn core(path: &Path) -> Arc<WasmTool> {
    match load_plugin_within(path, &opts(), &Limits::default()) {
        Ok(Plugin::Core(t)) => t,
        Ok(Plugin::Component(_)) => panic!("{} loaded as a component", path.display()),
        Err(d) => panic!("cannot load {}: {d}", path.display()),
    }
}

fn text(s: &str) -> Value {
    Value::text(s)
}

/// A component given by its text, written as binary `name` in `dir`, loaded.
fn from_wat(dir: &Path, name: &str, wat: &str) -> Result<Arc<ComponentTool>, Diagnostic> {
    let bytes = wat::parse_str(wat).expect("valid component text");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    try_component(&path)
}

#[test]
fn a_component_loads_with_its_kind_and_the_signature_of_its_core_twin() {
    let c = component(&components().join("normalize_answer.wasm"));
    let k = core(&dist().join("normalize_answer.wasm"));
    assert_eq!(c.signature().kind, ToolKind::WasmComponent);
    assert_eq!(k.signature().kind, ToolKind::Wasm);
    let mut same = c.signature().clone();
    same.kind = ToolKind::Wasm;
    assert_eq!(&same, k.signature());
    assert_eq!(c.hash().len(), 64);
}

#[test]
fn normalize_answer_answers_as_its_core_twin() {
    let c = component(&components().join("normalize_answer.wasm"));
    let k = core(&dist().join("normalize_answer.wasm"));
    let inputs = ["The Answer", "  two  red   CUBES. ", "an apple, the pear!", "Ünïcödé ÉCOLE", "", "ten.", "a", "3.5 cm", "It's (maybe) five?"];
    for s in inputs {
        let a = call_tool(c.as_ref(), vec![text(s)], Limits::default()).expect("component");
        let b = call_tool(k.as_ref(), vec![text(s)], Limits::default()).expect("core");
        assert_eq!(a.to_json(), b.to_json(), "{s:?}");
    }
    let a = call_tool(c.as_ref(), vec![text("The Two Cats")], Limits::default()).unwrap();
    assert_eq!(a.to_json(), serde_json::json!("2 cats"));
}

#[test]
fn echo_returns_every_kind_of_value_as_its_core_twin() {
    let c = component(&components().join("test/echo.wasm"));
    let k = core(&dist().join("test/echo.wasm"));
    let img = test_image(9, 7);
    let mut region = Region::new(img.clone(), BBox { x0: 1.0, y0: 2.0, x1: 5.0, y1: 6.0 });
    region.label = Some("red square".into());
    region.score = Some(0.75);
    let values = vec![
        Value::None,
        Value::Bool(true),
        Value::Number(-2.5),
        text("héllo"),
        Value::Image(img.clone()),
        Value::Region(region.clone()),
        Value::list(vec![Value::Number(1.0), Value::list(vec![text("x"), Value::Region(region)]), Value::list(vec![])]),
        Value::record([("b".to_string(), Value::Bool(false)), ("a".to_string(), Value::list(vec![Value::Image(img.clone())]))]),
    ];
    for v in values {
        let a = call_tool(c.as_ref(), vec![v.clone()], Limits::default()).expect("component");
        let b = call_tool(k.as_ref(), vec![v.clone()], Limits::default()).expect("core");
        assert_eq!(a.to_json(), v.to_json());
        assert_eq!(a.to_json(), b.to_json());
    }
    // The image comes back pixel for pixel.
    match call_tool(c.as_ref(), vec![Value::Image(img.clone())], Limits::default()) {
        Ok(Value::Image(back)) => assert_eq!(back.pixels().as_raw(), img.pixels().as_raw()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn find_color_finds_what_its_core_twin_finds_on_generated_scenes() {
    let c = component(&components().join("find_color.wasm"));
    let k = core(&dist().join("find_color.wasm"));
    let mut found = 0;
    for seed in 0..6 {
        let (rgb, _) = dwim::world::demo::demo_scene(seed);
        let img = dwim::value::Image::from_rgb(rgb);
        let part = Region::new(img.clone(), BBox { x0: 10.5, y0: 20.0, x1: 200.0, y1: 150.7 });
        for color in ["red", "blue", "green", "yellow", "gray", "purple"] {
            for visual in [Value::Image(img.clone()), Value::Region(part.clone())] {
                let args = vec![visual, text(color), Value::Number(20.0)];
                let a = call_tool(c.as_ref(), args.clone(), Limits::default()).expect("component");
                let b = call_tool(k.as_ref(), args, Limits::default()).expect("core");
                assert_eq!(a.to_json(), b.to_json(), "seed {seed}, {color}");
                found += a.to_json().as_array().map_or(0, Vec::len);
            }
        }
    }
    assert!(found > 10, "the scenes have blobs to find ({found})");
    let (rgb, _) = dwim::world::demo::demo_scene(1);
    let args = vec![Value::Image(dwim::value::Image::from_rgb(rgb)), text("mauve"), Value::Number(20.0)];
    let a = call_tool(c.as_ref(), args.clone(), Limits::default()).expect_err("unknown colour");
    let b = call_tool(k.as_ref(), args, Limits::default()).expect_err("unknown colour");
    assert_eq!((a.code, &a.message), (b.code, &b.message));
    assert_eq!(a.code, Code::E401);
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

/// The C component (tools-wasm/components/c) and the core-module C plugin are twins: the same
/// signature but for the doc string, the same number for images and regions.
#[test]
fn brightness_in_c_answers_as_its_core_twin() {
    let c = component(&components().join("brightness.wasm"));
    let k = core(&dist().join("brightness.wasm"));
    assert_eq!(c.signature().kind, ToolKind::WasmComponent);
    assert!(c.signature().doc.contains("a component written in C"), "{}", c.signature().doc);
    let (mut a, mut b) = (c.signature().clone(), k.signature().clone());
    a.kind = ToolKind::Wasm;
    a.doc.clear();
    b.doc.clear();
    assert_eq!(a, b);

    let mut visuals = vec![];
    for seed in 0..4 {
        let (rgb, _) = dwim::world::demo::demo_scene(seed);
        let img = dwim::value::Image::from_rgb(rgb);
        visuals.push(Value::Image(img.clone()));
        for bbox in [
            BBox { x0: 10.0, y0: 10.0, x1: 60.0, y1: 60.0 },
            BBox { x0: 10.5, y0: 20.0, x1: 200.0, y1: 150.7 },
            BBox { x0: 0.0, y0: 0.0, x1: 1.0, y1: 1.0 },
            BBox { x0: -30.0, y0: 5.25, x1: 1.0e6, y1: 1.0e6 },
        ] {
            visuals.push(Value::Region(Region::new(img.clone(), bbox)));
        }
    }
    visuals.push(Value::Image(test_image(9, 7)));
    let mut values = vec![];
    for v in visuals {
        let a = number(&call_tool(c.as_ref(), vec![v.clone()], Limits::default()).expect("component"));
        let b = number(&call_tool(k.as_ref(), vec![v.clone()], Limits::default()).expect("core"));
        assert!((a - b).abs() <= 1e-9, "component {a}, core {b}");
        assert!((0.0..=255.0).contains(&a), "{a}");
        values.push(a);
    }
    values.dedup();
    assert!(values.len() > 5, "images and regions differ in brightness: {values:?}");

    // A region that covers no whole pixel: both refuse it with the same message; the component
    // says the input is bad (E402), the core plugin's ABI has only E401 for its message.
    let img = test_image(9, 7);
    let empty = Value::Region(Region::new(img, BBox { x0: 3.2, y0: 1.0, x1: 3.8, y1: 5.0 }));
    let a = call_tool(c.as_ref(), vec![empty.clone()], Limits::default()).expect_err("empty region");
    let b = call_tool(k.as_ref(), vec![empty], Limits::default()).expect_err("empty region");
    assert_eq!(a.message, b.message);
    assert_eq!(a.message, "the region is empty");
    assert_eq!((a.code, b.code), (Code::E402, Code::E401));
    // Nor is a number (which a program's type check would have refused before the call): the
    // component says so as bad input (E402), never a trap.
    let d = call_tool(c.as_ref(), vec![Value::Number(3.0)], Limits::default()).expect_err("a number");
    assert_eq!((d.code, d.message.as_str()), (Code::E402, "expected an image or a region"), "{d}");
}

/// `hostile(mode)` fails with `code` twice (the tool is not left broken), then answers.
fn hostile_fails(mode: &str, code: Code, limits: Limits) -> String {
    let tool = component(&components().join("test/hostile.wasm"));
    let mut msg = String::new();
    for _ in 0..2 {
        let d = call_tool(tool.as_ref(), vec![text(mode)], limits.clone()).expect_err(mode);
        assert_eq!(d.code, code, "{mode}: {d}");
        msg = d.message;
    }
    let ok = call_tool(tool.as_ref(), vec![text("fine")], limits).expect("next call works");
    assert_eq!(ok.to_json(), serde_json::json!("fine"));
    msg
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let limits = Limits { tool_fuel: 10_000_000, ..Limits::default() };
    let msg = hostile_fails("loop", Code::E403, limits);
    assert!(msg.contains("10000000"), "{msg}");
}

#[test]
fn an_infinite_loop_hits_the_deadline() {
    let limits = Limits { tool_fuel: u64::MAX / 4, tool_deadline: Duration::from_millis(100), ..Limits::default() };
    let t = Instant::now();
    hostile_fails("loop", Code::E404, limits);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn a_memory_bomb_meets_the_limiter() {
    let limits = Limits { tool_memory: 32 << 20, ..Limits::default() };
    let msg = hostile_fails("alloc", Code::E405, limits);
    assert!(msg.contains("limit is 33554432 bytes"), "{msg}");
}

#[test]
fn a_stack_overflow_is_a_trap() {
    let msg = hostile_fails("recurse", Code::E406, Limits::default());
    assert!(msg.contains("stack overflow"), "{msg}");
}

#[test]
fn a_panic_is_a_trap() {
    let msg = hostile_fails("panic", Code::E406, Limits::default());
    assert!(msg.contains("unreachable"), "{msg}");
}

#[test]
fn the_tools_own_errors_keep_their_codes() {
    assert_eq!(hostile_fails("error", Code::E401, Limits::default()), "hostile component refused politely");
    assert_eq!(hostile_fails("invalid", Code::E402, Limits::default()), "hostile component cannot use this input");
}

#[test]
fn a_huge_output_is_refused() {
    let msg = hostile_fails("huge", Code::E407, Limits::default());
    assert!(msg.contains("exceeds the limit"), "{msg}");
}

#[test]
fn a_component_that_imports_wasi_is_refused_naming_the_import() {
    let d = try_component(&components().join("test/uses_wasi.wasm")).err().expect("refused");
    assert_eq!(d.code, Code::E410, "{d}");
    assert!(d.message.contains("imports `wasi:") && d.message.contains("which dwim does not provide"), "{d}");
    assert!(d.message.contains("uses_wasi.wasm"), "the message names the file: {d}");
}

#[test]
fn a_component_without_the_export_or_of_another_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = from_wat(dir.path(), "empty.wasm", "(component)").err().expect("missing export");
    assert_eq!(d.code, Code::E408, "{d}");
    assert!(d.message.contains("does not export `dwim:tool/plugin@0.1.0`"), "{d}");
    let other = r#"(component (instance $i) (export "dwim:tool/plugin@0.2.0" (instance $i)))"#;
    let d = from_wat(dir.path(), "v2.wasm", other).err().expect("other version");
    assert_eq!(d.code, Code::E409, "{d}");
    assert!(d.message.contains("exports `dwim:tool/plugin@0.2.0`") && d.message.contains("speaks `dwim:tool/plugin@0.1.0`"), "{d}");
    // The right name with the wrong contents does not fit the world.
    let hollow = r#"(component (instance $i) (export "dwim:tool/plugin@0.1.0" (instance $i)))"#;
    let d = from_wat(dir.path(), "hollow.wasm", hollow).err().expect("hollow");
    assert_eq!(d.code, Code::E409, "{d}");
    let imports = r#"(component (import "host:evil/net@1.0.0" (instance)))"#;
    let d = from_wat(dir.path(), "imports.wasm", imports).err().expect("imports");
    assert_eq!(d.code, Code::E410, "{d}");
    assert!(d.message.contains("imports `host:evil/net@1.0.0`, which dwim does not provide"), "{d}");
}

#[test]
fn a_compiled_component_is_cached_and_reloaded_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let o = dwim::tools::wasm::LoadOptions { cache_dir: Some(cache.path().to_path_buf()) };
    let path = components().join("test/echo.wasm");
    let load = || match load_plugin_within(&path, &o, &Limits::default()) {
        Ok(Plugin::Component(c)) => c,
        _ => panic!("echo"),
    };
    load();
    let files: Vec<_> = std::fs::read_dir(cache.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.path().extension().is_some_and(|x| x == "cwasm")).collect();
    assert_eq!(files.len(), 1, "one artefact cached");
    // A corrupt artefact is detected and replaced, not loaded.
    std::fs::write(files[0].path(), b"garbage").unwrap();
    let c = load();
    assert!(std::fs::read(files[0].path()).unwrap().len() > 1000, "recompiled and stored again");
    let v = call_tool(c.as_ref(), vec![Value::Number(4.0)], Limits::default()).unwrap();
    assert_eq!(v.to_json(), serde_json::json!(4.0));
}

/// A folder holding a core plugin and a component.
fn mixed_folder(d: &Path) -> PathBuf {
    let p = d.join("plugins");
    std::fs::create_dir(&p).unwrap();
    std::fs::copy(dist().join("find_color.wasm"), p.join("find_color.wasm")).unwrap();
    std::fs::copy(components().join("normalize_answer.wasm"), p.join("normalize_answer.wasm")).unwrap();
    p
}

#[test]
fn one_folder_loads_both_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let p = mixed_folder(dir.path());
    let (plugins, problems) = dwim::tools::wasm::load_plugins_within(&p, &opts(), &Limits::default());
    assert!(problems.is_empty(), "{problems:?}");
    let kinds: Vec<_> = plugins.iter().map(|p| (p.tool().signature().name.clone(), p.kind())).collect();
    assert_eq!(kinds, vec![("find_color".to_string(), ToolKind::Wasm), ("normalize_answer".to_string(), ToolKind::WasmComponent)]);
}

#[test]
fn the_cli_lists_both_kinds_and_runs_a_component() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mixed_folder(d);
    let (code, out, err) = dwim(&["tools", "--plugins", "plugins"], d);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("[plugin: ") && out.contains("find_color.wasm]"), "{out}");
    assert!(out.contains("[component: ") && out.contains("normalize_answer.wasm]"), "{out}");
    let (code, out, err) = dwim(&["tools", "--plugins", "plugins", "--format", "json"], d);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tool = |n: &str| doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == n).cloned().unwrap_or_default();
    assert_eq!(tool("normalize_answer")["origin"]["kind"], "wasm_component");
    assert_eq!(tool("find_color")["origin"]["kind"], "wasm");

    let (code, _, err) = dwim(&["scene", "--out", "scene.png", "--seed", "3"], d);
    assert_eq!(code, 0, "{err}");
    std::fs::write(d.join("prog.wf"), "blobs = find_color(image, \"red\")\nanswer normalize_answer(\"The Two Cats!\")\n").unwrap();
    let (code, out, err) = dwim(&["run", "prog.wf", "--image", "scene.png", "--plugins", "plugins", "--format", "json"], d);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["answer"], "2 cats", "{out}");
}

mod garbage {
    //! What a component sends back is rebuilt and checked without trusting it: each malformed
    //! tree is E407, never a panic or an expansion.
    use dwim::diag::Code;
    use dwim::tools::wasm::abi::OutputLimits;
    use dwim::tools::wasm::component::wit::{Bbox, Field, Image, Node, Region, Values};
    use dwim::tools::wasm::component_values::decode;
    use dwim::Limits;

    fn lim() -> OutputLimits {
        OutputLimits::from_limits(&Limits::default())
    }

    fn refused(v: Values, want: &str) {
        let d = decode(v, &[], &lim()).err().unwrap_or_else(|| panic!("accepted; wanted: {want}"));
        assert_eq!(d.code, Code::E407, "{d}");
        assert!(d.message.contains(want), "{d} (wanted: {want})");
    }

    fn values(nodes: Vec<Node>, roots: Vec<u32>) -> Values {
        Values { images: vec![], nodes, roots }
    }

    #[test]
    fn a_well_formed_tree_is_rebuilt() {
        let v = values(vec![Node::Number(1.0), Node::Text("a".into()), Node::List(vec![0, 1]), Node::Record(vec![Field { key: "k".into(), value: 2 }])], vec![3]);
        let out = decode(v, &[], &lim()).expect("valid");
        assert_eq!(out[0].to_json(), serde_json::json!({"k": [1.0, "a"]}));
    }

    #[test]
    fn cycles_sharing_and_dangling_indices_are_refused() {
        refused(values(vec![Node::List(vec![0])], vec![0]), "children must come before their parent");
        refused(values(vec![Node::List(vec![1]), Node::None], vec![0]), "children must come before their parent");
        refused(values(vec![Node::None, Node::List(vec![0, 0])], vec![1]), "node 0 is used twice");
        refused(values(vec![Node::None, Node::List(vec![0])], vec![1, 0]), "root 0 is also used elsewhere");
        refused(values(vec![Node::None], vec![7]), "root 7 names no node");
        refused(values(vec![Node::Image(0)], vec![0]), "image index 0 out of range");
    }

    #[test]
    fn bad_numbers_images_and_records_are_refused() {
        refused(values(vec![Node::Number(f64::NAN)], vec![0]), "NaN");
        let region = Region { image: 0, bbox: Bbox { x0: 0.0, y0: 0.0, x1: f64::INFINITY, y1: 1.0 }, label: None, score: None };
        let img = Image { width: 2, height: 2, pixels: vec![0; 12] };
        refused(Values { images: vec![img.clone()], nodes: vec![Node::Region(region)], roots: vec![0] }, "NaN or infinite");
        refused(Values { images: vec![Image { pixels: vec![0; 11], ..img.clone() }], nodes: vec![Node::Image(0)], roots: vec![0] }, "needs 12 bytes");
        refused(Values { images: vec![Image { width: 0, height: 5, pixels: vec![] }], nodes: vec![], roots: vec![] }, "has no pixels");
        refused(Values { images: vec![Image { width: 1 << 16, height: 1 << 16, pixels: vec![] }], nodes: vec![], roots: vec![] }, "pixels; the limit is");
        let dup = vec![Node::None, Node::None, Node::Record(vec![Field { key: "a".into(), value: 0 }, Field { key: "a".into(), value: 1 }])];
        refused(values(dup, vec![2]), "appears twice");
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        // A million nested lists: refused by the depth check, built bottom-up (no host recursion).
        let n = 1_000_000u32;
        let mut nodes = vec![Node::None];
        nodes.extend((0..n).map(|i| Node::List(vec![i])));
        let d = decode(values(nodes, vec![n]), &[], &lim()).err().expect("too deep");
        assert_eq!(d.code, Code::E407, "{d}");
        assert!(d.message.contains("nested deeper") || d.message.contains("values; the limit"), "{d}");
    }
}

/// The mean of (r+g+b)/3 over the whole pixels a box covers (floor of its start, ceil of its
/// end, clamped to the image): what `mean_luma` (tools-wasm/components/python) computes, in Rust.
fn mean_luma(rgb: &image::RgbImage, b: BBox) -> Option<f64> {
    let clamp = |v: f64, hi: u32| (v.max(0.0) as u32).min(hi);
    let (x0, y0) = (clamp(b.x0.floor(), rgb.width()), clamp(b.y0.floor(), rgb.height()));
    let (x1, y1) = (clamp(b.x1.ceil(), rgb.width()).max(x0), clamp(b.y1.ceil(), rgb.height()).max(y0));
    if x1 == x0 || y1 == y0 {
        return None;
    }
    let mut total = 0u64;
    for y in y0..y1 {
        for x in x0..x1 {
            total += rgb.get_pixel(x, y).0.iter().map(|&c| u64::from(c)).sum::<u64>();
        }
    }
    Some(total as f64 / (3.0 * f64::from(x1 - x0) * f64::from(y1 - y0)))
}

/// A tool written in Python (componentize-py: CPython inside the component) loads within the
/// default and the strict limits, computes what the same arithmetic in Rust does on images and
/// regions, says "bad input" for an empty region, runs out of fuel like any plugin (and works on
/// the next call), and serves calls from several threads at once.
#[test]
fn a_python_component_answers_within_the_sandbox() {
    let path = components().join("python/mean_luma.wasm");
    let py = component(&path);
    let sig = py.signature();
    assert_eq!((sig.kind, sig.name.as_str(), sig.params.len()), (ToolKind::WasmComponent, "mean_luma", 1));
    assert_eq!((sig.params[0].ty.to_string(), sig.result.to_string()), ("image|region".to_string(), "number".to_string()));

    let mut seen = vec![];
    for seed in 0..3 {
        let (rgb, _) = dwim::world::demo::demo_scene(seed);
        let img = dwim::value::Image::from_rgb(rgb.clone());
        let whole = BBox { x0: 0.0, y0: 0.0, x1: f64::from(rgb.width()), y1: f64::from(rgb.height()) };
        let got = number(&call_tool(py.as_ref(), vec![Value::Image(img.clone())], Limits::default()).expect("image"));
        assert!((got - mean_luma(&rgb, whole).unwrap()).abs() <= 1e-9, "seed {seed}: {got}");
        seen.push(got);
        for b in [
            BBox { x0: 10.0, y0: 10.0, x1: 60.0, y1: 60.0 },
            BBox { x0: 10.5, y0: 20.0, x1: 200.0, y1: 150.7 },
            BBox { x0: -30.0, y0: 5.25, x1: 1.0e6, y1: 1.0e6 },
        ] {
            let want = mean_luma(&rgb, b).unwrap();
            let got = number(&call_tool(py.as_ref(), vec![Value::Region(Region::new(img.clone(), b))], Limits::default()).expect("region"));
            assert!((got - want).abs() <= 1e-9, "seed {seed} {b:?}: python {got}, rust {want}");
            seen.push(got);
        }
    }
    seen.dedup();
    assert!(seen.len() > 6, "images and regions differ: {seen:?}");

    let img = test_image(9, 7);
    let empty = Value::Region(Region::new(img.clone(), BBox { x0: 3.0, y0: 1.0, x1: 3.0, y1: 5.0 }));
    let d = call_tool(py.as_ref(), vec![empty], Limits::default()).expect_err("empty region");
    assert_eq!((d.code, d.message.as_str()), (Code::E402, "the region is empty"), "{d}");

    let (rgb, _) = dwim::world::demo::demo_scene(0);
    let scene = Value::Image(dwim::value::Image::from_rgb(rgb));
    let d = call_tool(py.as_ref(), vec![scene.clone()], Limits { tool_fuel: 1_000_000, ..Limits::default() }).expect_err("fuel");
    assert_eq!(d.code, Code::E403, "{d}");
    let again = number(&call_tool(py.as_ref(), vec![scene.clone()], Limits::default()).expect("the next call works"));
    assert!((again - seen[0]).abs() <= 1e-9);

    let answers: Vec<f64> = std::thread::scope(|s| {
        let calls: Vec<_> = (0..4).map(|_| s.spawn(|| number(&call_tool(py.as_ref(), vec![scene.clone()], Limits::default()).expect("in a thread")))).collect();
        calls.into_iter().map(|c| c.join().expect("thread")).collect()
    });
    assert!(answers.iter().all(|a| (a - seen[0]).abs() <= 1e-9), "{answers:?}");

    // The strict preset admits it too (its size, functions and code are within those caps).
    let strict = load_plugin_within(&path, &opts(), &Limits::strict()).map(|_| ()).map_err(|d| d.to_string());
    assert_eq!(strict, Ok(()));
}
