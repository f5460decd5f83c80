//! End to end: `dwim tools|check|run --plugins DIR` with the prebuilt example plugins.

mod wasm_common;

use wasm_common::{dist, dwim, fixture};

#[test]
fn run_calls_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plugins = dist();
    let plugins = plugins.to_str().unwrap();
    let (code, _, err) = dwim(&["scene", "--out", "scene.png", "--seed", "3"], d);
    assert_eq!(code, 0, "{err}");
    std::fs::write(
        d.join("prog.wf"),
        "blobs = find_color(image, \"red\")\nstats = color_stats(image)\nb = brightness(image)\nanswer normalize_answer(\"The Answer\")\n",
    )
    .unwrap();
    let (code, out, err) = dwim(&["check", "prog.wf"], d);
    assert_eq!(code, 1, "unknown tools without plugins: {out}{err}");
    assert!(err.contains("E101"), "{err}");
    let (code, out, err) = dwim(&["check", "prog.wf", "--plugins", plugins], d);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = dwim(&["run", "prog.wf", "--image", "scene.png", "--plugins", plugins, "--format", "json"], d);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["answer"], "answer");
    assert_eq!(doc["steps"].as_array().map(|s| s.len()), Some(4));
}

#[test]
fn tools_lists_plugins_and_reports_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = d.join("plugins");
    std::fs::create_dir(&p).unwrap();
    std::fs::copy(fixture("ok.wat"), p.join("ok.wat")).unwrap();
    std::fs::write(p.join("broken.wasm"), b"not wasm").unwrap();
    // ./plugins is the default directory.
    let (code, out, err) = dwim(&["tools", "--format", "json"], d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("E410") && err.contains("broken.wasm"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ok = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "ok").expect("ok listed");
    assert_eq!(ok["kind"], "wasm");
}

#[test]
fn a_failing_plugin_step_reports_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = d.join("p");
    std::fs::create_dir(&p).unwrap();
    for f in ["loop.wat", "loop.json", "ok.wat"] {
        std::fs::copy(fixture(f), p.join(f)).unwrap();
    }
    dwim(&["scene", "--out", "scene.png"], d);
    std::fs::write(d.join("prog.wf"), "x = loop()\nanswer ok()\n").unwrap();
    let (code, out, err) = dwim(&["run", "prog.wf", "--image", "scene.png", "--plugins", "p", "--format", "json"], d);
    assert_eq!(code, 1, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["error"]["code"], "E403", "{doc}");
    assert_eq!(doc["error"]["step"], 0, "{doc}");
    assert_eq!(doc["error"]["tool"], "loop", "{doc}");
}
