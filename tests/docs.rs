//! Documentation that must not drift: the error-code table is generated from `Code::ALL`
//! (`UPDATE_GOLDEN=1` rewrites docs/errors.md), and every trace field is documented.

mod common;

use common::*;
use dwim::Code;

#[test]
fn error_code_table_is_complete() {
    let mut s = String::from("# Error codes\n\nGenerated from `src/diag.rs` (`Code::ALL`) by `tests/docs.rs`.\n\n| code | stage | title |\n|---|---|---|\n");
    for c in Code::ALL {
        let stage = match c.as_str().as_bytes()[1] {
            b'0' => "parse",
            b'1' => "check",
            b'2' => "runtime",
            b'3' => "limit",
            b'4' => "tool",
            b'5' => "input/output",
            _ => "training",
        };
        s.push_str(&format!("| {} | {stage} | {} |\n", c.as_str(), c.title()));
    }
    golden(&root().join("docs/errors.md"), &s);
}

#[test]
fn every_trace_field_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/trace-schema.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prog = root().join("programs/count_red.wf");
    let text = std::fs::read_to_string(&prog).unwrap();
    let img = scene_png(&scene_from_header(&text).unwrap(), dir.path(), "s.png");
    let trace = dir.path().join("t.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(["run", prog.to_str().unwrap(), "--image", img.to_str().unwrap(), "--trace", trace.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let first: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&trace).unwrap().lines().next().unwrap()).unwrap();
    let mut keys: Vec<String> = first.as_object().unwrap().keys().cloned().collect();
    keys.extend(["error", "diagnostics", "fuel", "target", "tool", "flag"].map(String::from));
    keys.extend(first["calls"][0].as_object().unwrap().keys().map(|k| format!("calls[].{k}")));
    for k in keys {
        assert!(doc.contains(&format!("`{k}`")), "docs/trace-schema.md does not document `{k}`");
    }
}
