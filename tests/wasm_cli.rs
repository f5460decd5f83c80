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
    // Nothing is loaded from the working directory without being asked for.
    let (code, out, err) = dwim(&["tools", "--format", "json"], d);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("broken.wasm"), "{err}");
    assert!(!out.contains("\"ok\""), "./plugins was loaded implicitly: {out}");
    let (code, out, err) = dwim(&["tools", "--format", "json", "--plugins", "plugins"], d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("E410") && err.contains("broken.wasm"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ok = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "ok").expect("ok listed");
    assert_eq!(ok["kind"], "wasm");
    assert_eq!(ok["origin"]["kind"], "wasm");
    assert!(ok["origin"]["source"].as_str().unwrap().ends_with("ok.wat"), "{ok}");
    assert_eq!(ok["origin"]["hash"].as_str().map(str::len), Some(64), "{ok}");
}

#[test]
fn a_plugin_that_takes_a_name_is_refused_unless_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let perception = dist().join("perception");
    let perception = perception.to_str().unwrap();
    // The benchmark set has native `color`, `detect`, ...; the perception plugins claim the same names.
    let (code, _, err) = dwim(&["tools", "--tools", "benchmark", "--plugins", perception], d);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E506") && err.contains("collides") && err.contains("--override"), "{err}");
    let (code, out, err) = dwim(&["tools", "--tools", "benchmark", "--plugins", perception, "--override", "*", "--format", "json"], d);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let detect = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "detect").expect("detect listed");
    assert_eq!(detect["origin"]["kind"], "wasm", "{detect}");
    let area = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "area").expect("area listed");
    assert_eq!(area["origin"], serde_json::json!({"kind": "builtin", "source": "builtin", "base": true}), "{area}");
    // Overriding only one name still refuses the others.
    let (code, _, err) = dwim(&["tools", "--tools", "benchmark", "--plugins", perception, "--override", "detect"], d);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E506") && !err.contains("`detect` from"), "{err}");
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
