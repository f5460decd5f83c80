//! The hostile-plugin suite: each fixture misbehaves in one way and must yield its own typed error,
//! with the host alive and the next call succeeding.

mod wasm_common;

use dwim::diag::Code;
use dwim::tools::wasm::{load_dir, WasmTool};
use dwim::tools::Tool;
use dwim::{Limits, Value};
use std::time::{Duration, Instant};
use wasm_common::{call, call_with, fixture, load, load_err, opts};

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
