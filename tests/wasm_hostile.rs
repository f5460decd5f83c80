//! The hostile-plugin suite: each fixture misbehaves in one way and must yield its own typed error,
//! with the host alive and the next call succeeding.

mod wasm_common;

use dwim::diag::Code;
use dwim::tools::wasm::{load_dir, WasmTool};
use dwim::tools::Tool;
use dwim::value::{BBox, Image, Region};
use dwim::{Limits, Value};
use std::time::{Duration, Instant};
use wasm_common::{call, call_tool, call_with, fixture, load, load_err, load_text, opts, wat_plugin};

/// The healthy fixture still answers 42.
fn host_alive() {
    let ok = load(&fixture("ok.wat"));
    assert!(matches!(call(&ok, vec![]), Ok(Value::Number(n)) if n == 42.0));
}

/// Call `name` twice: both calls fail with `code` (the plugin is not left broken or poisoned in
/// between), then the healthy plugin works.
fn fails_with(name: &str, code: Code) -> String {
    let tool = load(&fixture(name));
    let mut msg = String::new();
    for _ in 0..2 {
        let d = call(&tool, vec![]).expect_err(name);
        assert_eq!(d.code, code, "{name}: {d}");
        msg = d.message;
    }
    host_alive();
    msg
}

#[test]
fn healthy_fixture_works() {
    host_alive();
    let ok = load(&fixture("ok.wat"));
    assert_eq!(ok.signature().kind, dwim::tools::ToolKind::Wasm);
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    let t = Instant::now();
    let msg = fails_with("loop.wat", Code::E403);
    assert!(msg.contains("10000000"), "{msg}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn infinite_loop_hits_the_deadline() {
    let tool = load(&fixture("deadline.wat"));
    let t = Instant::now();
    let d = call(&tool, vec![]).expect_err("deadline");
    let took = t.elapsed();
    assert_eq!(d.code, Code::E404, "{d}");
    assert!(took >= Duration::from_millis(90) && took < Duration::from_secs(3), "took {took:?}");
    host_alive();
}

#[test]
fn host_limits_cap_the_manifest() {
    let tool = load(&fixture("deadline.wat"));
    let limits = Limits { tool_fuel: 1_000_000, ..Limits::default() };
    let d = call_with(&tool, vec![], limits).expect_err("fuel");
    assert_eq!(d.code, Code::E403, "{d}");
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let msg = fails_with("membomb.wat", Code::E405);
    assert!(msg.contains("16777216"), "{msg}");
}

#[test]
fn deep_recursion_is_a_trap() {
    let msg = fails_with("recurse.wat", Code::E406);
    assert!(msg.contains("stack overflow"), "{msg}");
}

#[test]
fn explicit_trap_carries_the_guest_message() {
    let msg = fails_with("trap.wat", Code::E406);
    assert!(msg.contains("guest says no: bad input"), "{msg}");
    let msg = fails_with("unreachable.wat", Code::E406);
    assert!(msg.contains("unreachable"), "{msg}");
}

#[test]
fn out_of_bounds_pointers_are_caught() {
    let msg = fails_with("oob_pointer.wat", Code::E407);
    assert!(msg.contains("outside the plugin's memory"), "{msg}");
    let msg = fails_with("oob_load.wat", Code::E406);
    assert!(msg.contains("out of bounds"), "{msg}");
}

#[test]
fn huge_output_is_refused() {
    let msg = fails_with("huge_output.wat", Code::E407);
    assert!(msg.contains("exceeds the limit"), "{msg}");
}

#[test]
fn invalid_output_is_bad_output() {
    let msg = fails_with("invalid_output.wat", Code::E407);
    assert!(msg.contains("unknown value tag 99"), "{msg}");
    let msg = fails_with("wrong_result.wat", Code::E407);
    assert!(msg.contains("promises text"), "{msg}");
}

#[test]
fn missing_export_is_e408() {
    let d = load_err(&fixture("no_call_export.wat"));
    assert_eq!(d.code, Code::E408, "{d}");
    assert!(d.message.contains("no_call_export.wat") && d.message.contains("dwim_call"), "{d}");
    host_alive();
}

#[test]
fn wrong_signature_is_e409() {
    let d = load_err(&fixture("wrong_call_type.wat"));
    assert_eq!(d.code, Code::E409, "{d}");
    let d = load_err(&fixture("bad_describe.wat"));
    assert_eq!(d.code, Code::E409, "{d}");
    host_alive();
}

#[test]
fn files_sockets_and_env_are_refused() {
    let tool = load(&fixture("wasi_probe.wat"));
    let v = call(&tool, vec![]).expect("probe runs");
    let Value::List(items) = v else { panic!("not a list: {v:?}") };
    let nums: Vec<f64> = items.iter().map(|v| if let Value::Number(n) = v { *n } else { -1.0 }).collect();
    // path_open and sock_accept: ENOTCAPABLE; no environment variables; random_get not granted.
    assert_eq!(nums, vec![76.0, 76.0, 0.0, 76.0]);
    let d = load_err(&fixture("env_import.wat"));
    assert_eq!(d.code, Code::E410, "{d}");
    assert!(d.message.contains("env.getenv"), "{d}");
    host_alive();
}

#[test]
fn granted_randomness_works() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("wasi_probe.wat"), dir.path().join("wasi_probe.wat")).unwrap();
    std::fs::write(dir.path().join("wasi_probe.json"), r#"{"grants": ["random"], "random_seed": 7}"#).unwrap();
    let tool = load(&dir.path().join("wasi_probe.wat"));
    let Value::List(items) = call(&tool, vec![]).unwrap() else { panic!() };
    assert!(items[0].equals(&Value::Number(76.0)), "files stay closed");
    assert!(items[3].equals(&Value::Number(0.0)), "random granted");
}

#[test]
fn broken_plugins_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["ok.wat", "no_call_export.wat", "env_import.wat"] {
        std::fs::copy(fixture(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join("junk.wasm"), b"\0asm\x01\0\0\0garbage").unwrap();
    std::fs::copy(fixture("ok.wat"), dir.path().join("typo.wat")).unwrap();
    std::fs::write(dir.path().join("typo.json"), r#"{"filesystem": true}"#).unwrap();
    let (tools, problems) = load_dir(dir.path(), &opts());
    let names: Vec<&str> = tools.iter().map(|t| t.signature().name.as_str()).collect();
    assert_eq!(names, vec!["ok"]);
    let codes: Vec<(Code, bool)> = problems.iter().map(|d| (d.code, d.message.contains(dir.path().to_str().unwrap()))).collect();
    assert_eq!(codes, vec![(Code::E410, true), (Code::E410, true), (Code::E408, true), (Code::E410, true)], "{problems:?}");
    assert!(problems[3].message.contains("typo.json"), "{:?}", problems[3]);
}

#[test]
fn compiled_modules_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let o = dwim::tools::wasm::LoadOptions { cache_dir: Some(dir.path().to_path_buf()) };
    let a = WasmTool::load(&fixture("ok.wat"), &o).unwrap();
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 1);
    // Corrupt the entry: the loader must notice, recompile and still work.
    let entry = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&entry, b"corrupt").unwrap();
    let b = WasmTool::load(&fixture("ok.wat"), &o).unwrap();
    assert!(call(&b, vec![]).is_ok() && call(&a, vec![]).is_ok());
    assert!(std::fs::read(&entry).unwrap().len() > 100, "rewritten");
}

/// The same failures from a real Rust guest built with the SDK (tools-wasm/plugins/hostile).
#[test]
fn a_rust_guest_misbehaving_maps_to_typed_errors() {
    let tool = load(&wasm_common::dist().join("test/hostile.wasm"));
    let limits = Limits { tool_memory: 32 << 20, tool_fuel: 50_000_000, ..Limits::default() };
    let cases = [
        ("panic", Code::E406, "hostile plugin panicked on purpose"),
        ("alloc", Code::E405, "the limit is 33554432 bytes"),
        ("recurse", Code::E406, "stack overflow"),
        ("loop", Code::E403, "fuel"),
        ("error", Code::E401, "refused politely"),
    ];
    for (mode, code, text) in cases {
        let d = call_with(&tool, vec![Value::text(mode)], limits.clone()).expect_err(mode);
        assert_eq!(d.code, code, "{mode}: {d}");
        assert!(d.message.contains(text), "{mode}: {d}");
        let v = call_with(&tool, vec![Value::text("fine")], limits.clone()).expect("next call works");
        assert!(v.equals(&Value::text("fine")));
    }
}

/// `describe` JSON for a tool `name() -> result`.
fn describe(name: &str, result: &str) -> String {
    format!(r#"{{"name": "{name}", "params": [], "result": "{result}", "doc": "test"}}"#)
}

/// An ABI "ok" output: `images` new images (width, height; grey pixels), then `value`.
fn ok_output(images: &[(u32, u32)], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&(images.len() as u32).to_le_bytes());
    for &(w, h) in images {
        out.extend_from_slice(&w.to_le_bytes());
        out.extend_from_slice(&h.to_le_bytes());
        out.extend(std::iter::repeat_n(128u8, w as usize * h as usize * 3));
    }
    out.extend_from_slice(value);
    out
}

/// The built-in pixel tools still work, on a normal image and on degenerate ones.
fn pixel_tools_alive() {
    let reg = dwim::tools::bench::benchmark();
    let img = wasm_common::test_image(40, 30);
    let objs = call_tool(reg.get("segment").unwrap().as_ref(), vec![Value::Image(img.clone()), Value::Number(5.0)], Limits::default()).expect("segment");
    assert!(matches!(&objs, Value::List(l) if l.len() == 1), "{objs:?}");
    let c = call_tool(reg.get("color").unwrap().as_ref(), vec![Value::Image(img)], Limits::default()).expect("color");
    assert!(c.equals(&Value::text("red")), "{c:?}");
}

#[test]
fn a_zero_sized_image_from_a_plugin_is_refused_before_any_tool_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let img = [4u8, 0, 0, 0, 0];
    for (w, h) in [(0, 7), (7, 0)] {
        let tool = load_text(dir.path(), "zero.wat", &wat_plugin(&describe("zero", "image"), &ok_output(&[(w, h)], &img), ""), &Limits::default()).expect("loads");
        let d = call(&tool, vec![]).expect_err("0×N image");
        assert_eq!(d.code, Code::E407, "{d}");
        assert!(d.message.contains("no pixels"), "{d}");
    }
    let tool = load_text(dir.path(), "huge.wat", &wat_plugin(&describe("huge", "image"), &ok_output(&[(300, 300)], &img), ""), &Limits::default()).expect("loads");
    let d = call_with(&tool, vec![], Limits { max_image_pixels: 50_000, ..Limits::default() }).expect_err("over the pixel limit");
    assert!(d.code == Code::E407 && d.message.contains("the limit is 50000"), "{d}");
    host_alive();
    pixel_tools_alive();
}

#[test]
fn pixel_tools_accept_any_image_and_any_box() {
    let reg = dwim::tools::bench::benchmark();
    let tiny = Image::from_rgb(image::RgbImage::from_pixel(1, 1, image::Rgb([200, 10, 10])));
    let empty = Image::from_rgb(image::RgbImage::new(0, 9));
    let big = wasm_common::test_image(40, 30);
    let boxes = [
        BBox { x0: 5.0, y0: 5.0, x1: 5.0, y1: 20.0 },
        BBox { x0: 30.0, y0: 25.0, x1: 3.0, y1: 2.0 },
        BBox { x0: -1e300, y0: -1e300, x1: 1e300, y1: 1e300 },
        BBox { x0: f64::NAN, y0: f64::NEG_INFINITY, x1: f64::INFINITY, y1: f64::NAN },
        BBox { x0: 1e9, y0: 1e9, x1: 2e9, y1: 2e9 },
    ];
    let mut inputs: Vec<Value> = vec![Value::Image(tiny.clone()), Value::Image(empty.clone())];
    for img in [&tiny, &empty, &big] {
        for b in boxes {
            inputs.push(Value::Region(Region::new(img.clone(), b)));
        }
    }
    for name in ["segment", "color", "shape", "detect", "read_text", "vqa"] {
        let tool = reg.get(name).unwrap();
        for v in &inputs {
            let mut args = vec![v.clone()];
            if tool.signature().params.len() > 1 && tool.signature().params[1].ty == dwim::types::Type::Text {
                args.push(Value::text(if name == "vqa" { "what color is it?" } else { "object" }));
            }
            if let Err(d) = call_tool(tool.as_ref(), args, Limits::default()) {
                assert!(matches!(d.code, Code::E401 | Code::E402), "{name} on {v:?}: {d}");
            }
        }
    }
    pixel_tools_alive();
}

#[test]
fn images_a_plugin_returns_count_toward_the_pixels_held_at_once() {
    // Each call makes a new 300×300 image; two hundred of them held in a list would be 18 M pixels.
    let dir = tempfile::tempdir().unwrap();
    let img = [4u8, 0, 0, 0, 0];
    let tool = load_text(dir.path(), "big.wat", &wat_plugin(&describe("big", "image"), &ok_output(&[(300, 300)], &img), ""), &Limits::default()).expect("loads");
    let mut reg = dwim::Registry::builtin();
    reg.add(std::sync::Arc::new(tool));
    let limits = Limits { max_live_pixels: 1_000_000, ..Limits::default() };
    let mut s = dwim::Session::new(&reg, limits);
    let items: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let out = s.feed(&format!("xs = map([{}], i -> big())", items.join(", "))).expect("checks");
    let d = out[0].error().expect("E310 before 200 images are held");
    assert!(d.code == Code::E310 && d.message.contains("max_live_pixels"), "{d:?}");
    host_alive();
}

#[test]
fn a_deep_list_from_a_plugin_is_bounded_by_max_depth() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vec::new();
    for _ in 0..64 {
        v.extend_from_slice(&[6u8, 1, 0, 0, 0]);
    }
    v.push(2);
    v.extend_from_slice(&1.0f64.to_le_bytes());
    let tool = load_text(dir.path(), "deep.wat", &wat_plugin(&describe("deep", "any"), &ok_output(&[], &v), ""), &Limits::default()).expect("loads");
    let d = call_with(&tool, vec![], Limits::strict()).expect_err("64 deep under strict");
    assert!(d.code == Code::E407 && d.message.contains("deeper than 32"), "{d}");
    // Under the default limits (depth 128) it is a value like any other: the next steps run.
    let mut reg = dwim::Registry::builtin();
    reg.add(std::sync::Arc::new(tool));
    let mut s = dwim::Session::new(&reg, Limits::default());
    for step in ["a = deep()", "b = [a, a, a]", "c = a == a", "n = len(b)"] {
        let out = s.feed(step).unwrap_or_else(|d| panic!("{step}: {d:?}"));
        assert!(out[0].error().is_none(), "{step}: {:?}", out[0].error());
    }
    let mut strict = dwim::Session::new(&reg, Limits::strict());
    let out = strict.feed("a = deep()").expect("checks");
    assert_eq!(out[0].error().map(|d| d.code), Some(Code::E407));
    let out = strict.feed("n = 1 + 1").expect("checks");
    assert!(out[0].error().is_none(), "the next step runs");
    host_alive();
}

#[test]
fn a_declared_type_170000_deep_is_skipped_with_e409() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}number{}", "list[".repeat(170_000), "]".repeat(170_000));
    std::fs::write(dir.path().join("deep_type.wat"), wat_plugin(&describe("deep_type", &deep), &ok_output(&[], &[0]), "")).unwrap();
    let param = format!(r#"{{"name": "deep_param", "params": [{{"name": "x", "type": "{deep}"}}], "result": "number", "doc": "t"}}"#);
    std::fs::write(dir.path().join("deep_param.wat"), wat_plugin(&param, &ok_output(&[], &[0]), "")).unwrap();
    let strict = format!("{}number{}", "list[".repeat(40), "]".repeat(40));
    std::fs::write(dir.path().join("strict_type.wat"), wat_plugin(&describe("strict_type", &strict), &ok_output(&[], &[0]), "")).unwrap();
    std::fs::copy(fixture("ok.wat"), dir.path().join("ok.wat")).unwrap();
    let twice = r#"{"name": "twice", "params": [{"name": "x", "type": "number"}, {"name": "x", "type": "text"}], "result": "number", "doc": "t", "result_elem_of": 7}"#;
    std::fs::write(dir.path().join("twice.wat"), wat_plugin(twice, &ok_output(&[], &[0]), "")).unwrap();
    let (tools, problems) = dwim::tools::wasm::load_dir_within(dir.path(), &opts(), &Limits::strict());
    let names: Vec<&str> = tools.iter().map(|t| t.signature().name.as_str()).collect();
    assert_eq!(names, vec!["ok"], "{problems:?}");
    assert_eq!(problems.len(), 4, "{problems:?}");
    for d in &problems {
        assert_eq!(d.code, Code::E409, "{d}");
        assert!(d.message.len() < 600, "{d}");
    }
    assert!(problems[..3].iter().all(|d| d.message.contains("deep")), "{problems:?}");
    assert!(problems[3].message.contains("declared twice"), "{:?}", problems[3]);
    host_alive();
}

/// A binary module of `n` empty functions and no exports.
fn many_functions(n: usize) -> Vec<u8> {
    fn leb(mut v: usize, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            out.push(if v == 0 { b } else { b | 0x80 });
            if v == 0 {
                break;
            }
        }
    }
    let section = |id: u8, body: Vec<u8>, out: &mut Vec<u8>| {
        out.push(id);
        leb(body.len(), out);
        out.extend(body);
    };
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(1, vec![1, 0x60, 0, 0], &mut m);
    let mut funcs = Vec::new();
    leb(n, &mut funcs);
    funcs.extend(std::iter::repeat_n(0u8, n));
    section(3, funcs, &mut m);
    let mut code = Vec::new();
    leb(n, &mut code);
    for _ in 0..n {
        code.extend_from_slice(&[2, 0, 0x0b]);
    }
    section(10, code, &mut m);
    m
}

#[test]
fn a_module_of_very_many_functions_is_refused_before_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.wasm");
    std::fs::write(&path, many_functions(500_000)).unwrap();
    let d = WasmTool::load_within(&path, &opts(), &Limits::strict()).err().expect("refused");
    assert_eq!(d.code, Code::E410, "{d}");
    let cap = Limits::strict().plugin_functions.to_string();
    assert!(d.message.contains("many.wasm") && d.message.contains("functions") && d.message.contains(&cap), "{d}");
    // The same in text form: a working plugin padded with more functions than the default allows.
    let extra = "(func)\n".repeat(Limits::default().plugin_functions as usize + 1);
    let d = load_text(dir.path(), "many.wat", &wat_plugin(&describe("many", "number"), &ok_output(&[], &[0]), &extra), &Limits::default()).err().expect("refused");
    assert!(d.code == Code::E410 && d.message.contains("functions"), "{d}");
    // Few functions but more code than `plugin_code_bytes`: refused before compiling, naming it.
    std::fs::write(&path, many_functions(2_000)).unwrap();
    let d = WasmTool::load_within(&path, &opts(), &Limits { plugin_code_bytes: 4_000, ..Limits::default() }).err().expect("refused");
    assert!(d.code == Code::E410 && d.message.contains("bytes of code") && d.message.contains("4000"), "{d}");
    let few = "(func)\n".repeat(100);
    assert!(load_text(dir.path(), "few.wat", &wat_plugin(&describe("few", "none"), &ok_output(&[], &[0]), &few), &Limits::default()).is_ok());
    host_alive();
}

#[test]
fn an_oversized_module_file_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.wasm");
    let f = std::fs::File::create(&path).unwrap();
    let cap = Limits::strict().max_plugin_bytes;
    f.set_len(cap as u64 + 1).unwrap();
    let d = WasmTool::load_within(&path, &opts(), &Limits::strict()).err().expect("refused");
    assert_eq!(d.code, Code::E410, "{d}");
    assert!(d.message.contains("big.wasm") && d.message.contains(&cap.to_string()), "{d}");
    let small = Limits { max_plugin_bytes: 100, ..Limits::default() };
    let d = WasmTool::load_within(&fixture("ok.wat"), &opts(), &small).err().expect("over 100 bytes");
    assert!(d.code == Code::E410 && d.message.contains("at most 100 bytes"), "{d}");
    host_alive();
}

#[test]
fn a_fifo_given_as_a_plugin_or_manifest_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.wasm");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let d = WasmTool::load(&fifo, &opts()).err().expect("refused");
    assert_eq!(d.code, Code::E502, "{d}");
    assert!(d.message.contains("pipe.wasm"), "{d}");
    std::fs::copy(fixture("ok.wat"), dir.path().join("ok.wat")).unwrap();
    std::process::Command::new("mkfifo").arg(dir.path().join("ok.json")).status().unwrap();
    let d = WasmTool::load(&dir.path().join("ok.wat"), &opts()).err().expect("manifest refused");
    assert!(d.code == Code::E502 && d.message.contains("ok.json"), "{d}");
    std::fs::remove_file(dir.path().join("ok.json")).unwrap();
    let (tools, problems) = load_dir(dir.path(), &opts());
    assert_eq!(tools.len(), 1);
    assert_eq!(problems.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::E502], "{problems:?}");
    host_alive();
}

/// A 2000×2000 scene: grey with one red square.
fn large_scene() -> Value {
    Value::Image(wasm_common::test_image(2000, 2000))
}

#[test]
fn pixel_tools_count_their_work_against_the_tick_budget() {
    let reg = dwim::tools::bench::benchmark();
    for step in ["objs = segment(image)", "objs = detect(image, \"object\")", "c = color(image)", "t = read_text(image)"] {
        let mut s = dwim::Session::new(&reg, Limits { max_ticks: 5_000, ..Limits::default() });
        s.bind("image", large_scene());
        let out = s.feed(step).expect("checks");
        assert_eq!(out[0].error().map(|d| d.code), Some(Code::E308), "{step}: {:?}", out[0].error());
    }
}

#[test]
fn pixel_tools_stop_within_the_wall_limit() {
    let reg = dwim::tools::bench::benchmark();
    let wall = Duration::from_millis(300);
    // Each call on its own box: a segmentation kept from an earlier call costs no time (only
    // its ticks), so the same box 200 times would finish within the limit.
    let calls = (0..200).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    for tool in ["segment(image)", "detect(box(image, x, 0, 2000, 2000), \"object\")"] {
        let mut s = dwim::Session::new(&reg, Limits { max_wall: wall, ..Limits::default() });
        s.bind("image", large_scene());
        let t = Instant::now();
        let out = s.feed(&format!("xs = map([{calls}], x -> {tool})")).expect("checks");
        let took = t.elapsed();
        assert_eq!(out[0].error().map(|d| d.code), Some(Code::E306), "{tool}: {:?}", out[0].error());
        assert!(took < wall + Duration::from_secs(2), "{tool}: stopped after {took:?} with a {wall:?} wall limit");
    }
}

#[test]
fn a_compile_past_plugin_compile_is_abandoned_with_e410() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.wat");
    let extra = "(func (result i32) (i32.add (i32.const 1) (i32.const 2)))\n".repeat(500);
    std::fs::write(&path, wat_plugin(&describe("slow", "number"), &ok_output(&[], &[0]), &extra)).unwrap();
    let uncached = dwim::tools::wasm::LoadOptions { cache_dir: None };
    let d = WasmTool::load_within(&path, &uncached, &Limits { plugin_compile: Duration::from_micros(1), ..Limits::default() }).err().expect("deadline");
    assert!(d.code == Code::E410 && d.message.contains("plugin_compile") && d.message.contains("slow.wat"), "{d}");
    assert!(WasmTool::load_within(&path, &uncached, &Limits::default()).is_ok(), "loads with the default deadline");
    host_alive();
}
