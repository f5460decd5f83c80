//! One tool set made of every kind — the benchmark's tools, WASM plugins, native models on real
//! weights (MiniLM, when fetched), and remote tools from the Python reference server on loopback —
//! used by every command that runs workflows: tools, check, run, collect, mask, agent, eval, ablate
//! and bench-world score. A scripted endpoint policy writes a step that calls a tool of each kind,
//! so agent, eval and ablate run them for real.
#![cfg(all(feature = "train", feature = "wasm", feature = "native"))]

#[path = "common/skip.rs"]
mod skip_log;
#[path = "common/tool_server.rs"]
mod tool_server;
use tool_server::python_server;
#[path = "common/chat.rs"]
mod chat;

use std::path::{Path, PathBuf};
use std::process::Command;



fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}


/// The real MiniLM weights folder's parent, when fetched (else the native part is skipped, out loud).
fn models() -> Option<PathBuf> {
    let dir = std::env::var_os("DWIM_MODELS").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/dwim/models")))?;
    if dir.join("all-MiniLM-L6-v2/model.safetensors").is_file() {
        Some(dir)
    } else {
        skip_log::skip("tool_sets_everywhere (native part)", &format!("{} has no all-MiniLM-L6-v2 weights; run scripts/fetch-models.sh", dir.display()));
        None
    }
}

fn run(d: &Path, args: &[String]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(d).env("DWIM_MODELS", d.join("no-default-models")).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn ok(d: &Path, args: &[String]) -> String {
    let (code, out, err) = run(d, args);
    assert_eq!(code, 0, "dwim {}\n{out}\n{err}", args.join(" "));
    out
}

fn strs(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_command_runs_with_plugins_native_models_and_remote_tools() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_server, manifest) = python_server(d);
    let native = models();
    let mut set = strs(&["--tools", "benchmark", "--plugins"]);
    set.push(root().join("tools-wasm/dist").display().to_string());
    set.push("--remote".into());
    set.push(manifest.display().to_string());
    if let Some(m) = &native {
        set.extend(["--native".to_string(), m.display().to_string(), "--native-tools".into(), "text_similarity".into()]);
    }
    let with = |args: &[&str]| -> Vec<String> { strs(args).into_iter().chain(set.iter().cloned()).collect() };

    // One step that calls a tool of each kind (and the benchmark's detector).
    let native_part = if native.is_some() { "text_similarity(\"a red circle\", \"a crimson disc\"), " } else { "" };
    let step: &'static str = Box::leak(format!("answer [{native_part}mean_brightness(image), len(find_color(image, \"red\")), count(detect(image, \"red circle\"))]").into_boxed_str());

    // tools: every kind listed with its source.
    let listed: serde_json::Value = serde_json::from_str(&ok(d, &with(&["tools", "--format", "json"]))).unwrap();
    let kind = |name: &str| listed["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).map(|t| t["kind"].as_str().unwrap().to_string());
    assert_eq!(kind("find_color").as_deref(), Some("wasm"), "{listed}");
    assert_eq!(kind("mean_brightness").as_deref(), Some("remote"));
    assert_eq!(kind("detect").as_deref(), Some("native"), "the benchmark's own (pixel) detector");
    if native.is_some() {
        assert_eq!(kind("text_similarity").as_deref(), Some("native"));
    }

    // check and run.
    ok(d, &strs(&["bench-world", "generate", "--n", "20", "--seed", "5", "--out", "bench"]));
    std::fs::write(d.join("all.wf"), format!("{step}\n")).unwrap();
    ok(d, &with(&["check", "all.wf"]));
    let doc: serde_json::Value = serde_json::from_str(&ok(d, &with(&["run", "all.wf", "--image", "bench/images/scene_00000.png", "--trace", "run.jsonl", "--format", "json"]))).unwrap();
    let answer = doc["answer"].as_array().unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(answer.len(), if native.is_some() { 4 } else { 3 });
    if native.is_some() {
        let sim = answer[0].as_f64().unwrap();
        assert!(sim > 0.3 && sim < 1.0, "MiniLM's similarity of two close phrases: {sim}");
    }
    let first: serde_json::Value = serde_json::from_str(std::fs::read_to_string(d.join("run.jsonl")).unwrap().lines().next().unwrap()).unwrap();
    let kinds: std::collections::BTreeSet<String> = first["tool_set"]["tools"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap().to_string()).collect();
    for k in ["builtin", "native", "wasm", "remote"] {
        assert!(kinds.contains(k), "the trace records the tool set's {k} tools: {kinds:?}");
    }

    // collect and mask: the teacher is shown the set's listing, the store records the set.
    ok(d, &with(&["collect", "--workers", "1", "--limit", "12", "--data", "bench", "--out", "dw"]));
    let store = std::fs::read_to_string(d.join("dw/workflows.jsonl")).unwrap();
    assert!(store.contains("\"kind\":\"remote\"") && store.contains("\"kind\":\"wasm\""), "the collected workflows carry the tool set");
    ok(d, &with(&["mask", "--mode", "im", "--context", "packed", "--prompt", "minimal", "--tokenizer", "new:300", "--traces", "dw", "--out", "masked/im.jsonl"]));
    // Resuming the store with another tool set is refused.
    let (code, _, err) = run(d, &strs(&["collect", "--workers", "1", "--limit", "12", "--data", "bench", "--out", "dw"]));
    assert_eq!(code, 2, "{err}");

    // agent, eval, ablate with an endpoint policy whose step calls every kind.
    let (url, requests) = chat::scripted(vec![step]);
    let policy = format!("openai:{url}#scripted");
    let trace = d.join("agent.jsonl");
    let (code, out, err) = run(d, &with(&["agent", "--max-steps", "2", "--policy", &policy, "--image", "bench/images/scene_00001.png", "--trace", trace.to_str().unwrap(), "How many red circles are there?"]));
    assert_eq!(code, 0, "{out}{err}");
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&trace).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let called: Vec<&str> = records.iter().flat_map(|r| r["calls"].as_array().into_iter().flatten()).map(|c| c["tool"].as_str().unwrap()).collect();
    for t in ["mean_brightness", "find_color", "detect"] {
        assert!(called.contains(&t), "the agent ran {t}: {called:?}");
    }
    if native.is_some() {
        assert!(called.contains(&"text_similarity"), "{called:?}");
    }
    let system = requests.lock().unwrap()[0]["messages"][0]["content"].as_str().unwrap().to_string();
    assert!(system.contains("mean_brightness(") && system.contains("find_color("), "the policy is shown the set's tools: {system}");

    let ev: serde_json::Value = serde_json::from_str(&ok(d, &with(&["eval", "--policy", &policy, "--data", "bench", "--split", "all", "--limit", "3", "--max-steps", "2", "--format", "json"]))).unwrap();
    assert_eq!(ev["report"]["episodes"], 3, "{ev}");
    let out = ok(d, &with(&["ablate", "--data", "bench", "--seeds", "1", "--steps", "2", "--model", "micro", "--eval-limit", "2", "--policy", &policy, "--shots", "1", "--out", "abl"]));
    assert!(out.contains("frozen"), "the endpoint's row: {out}");

    // bench-world score runs the reference workflows with the same set.
    let score: serde_json::Value = serde_json::from_str(&ok(d, &with(&["bench-world", "score", "--data", "bench", "--split", "all", "--format", "json"]))).unwrap();
    assert!(score["tools"].as_str().unwrap().contains("remote"), "{score}");
}
