//! The bench-world and report commands end to end, through the binary.

use std::process::Command;

fn dwim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).env("DWIM_MODELS", "/nonexistent/dwim-models").output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn generate_score_run_report() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("world");
    let data_s = data.to_str().unwrap();
    let (code, out, err) = dwim(&["bench-world", "generate", "--out", data_s, "--n", "6", "--seed", "4"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("wrote 6 scenes"), "{out}");

    let (code, out, err) = dwim(&["bench-world", "score", "--data", data_s, "--split", "all", "--oracle", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["tools"], "oracle");
    assert_eq!(v["workflow_accuracy"]["all"]["hits"], v["workflow_accuracy"]["all"]["total"], "oracle answers every reference workflow");
    assert!(v["tool_metrics"]["detect_recall"]["total"].as_u64().unwrap() > 0);

    let (code, out, _) = dwim(&["bench-world", "score", "--data", data_s, "--split", "all"]);
    assert_eq!(code, 0);
    assert!(out.contains("detect_precision") && out.contains("`benchmark` tools"), "{out}");

    let trace = d.path().join("t.jsonl");
    let q = std::fs::read_to_string(data.join("questions.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(q.lines().next().unwrap()).unwrap();
    let qid = first["id"].as_str().unwrap();
    let (code, out, _) = dwim(&["bench-world", "run", "--data", data_s, "--question", qid, "--oracle", "--trace", trace.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("correct"), "{out}");

    let html = d.path().join("r.html");
    let image = data.join(first["image"].as_str().unwrap());
    let (code, out, err) = dwim(&["report", trace.to_str().unwrap(), "--html", html.to_str().unwrap(), "--image", image.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(std::fs::read_to_string(&html).unwrap().contains("data:image/png;base64,"));

    let (code, _, err) = dwim(&["bench-world", "score", "--data", d.path().join("nope").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E501"), "{err}");
    let (code, _, _) = dwim(&["bench-world", "run", "--data", data_s, "--question", "no_such_question"]);
    assert_eq!(code, 2);
}
