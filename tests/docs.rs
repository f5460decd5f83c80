//! Documentation that must not drift: the error-code table is generated from `Code::ALL`
//! (`UPDATE_GOLDEN=1` rewrites docs/errors.md), and every trace field is documented.

mod common;

use common::*;
use dwim::Code;

#[test]
fn error_code_table_is_complete() {
    let mut s = String::from("# Error codes\n\nGenerated from `src/diag/mod.rs` (`Code::ALL`) by `tests/docs.rs`.\n\n| code | stage | title |\n|---|---|---|\n");
    for c in Code::ALL {
        let stage = match c.as_str().as_bytes()[1] {
            _ if c.is_warning() => "check (warning)",
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
    assert!(first["tool_set"]["fingerprint"].as_str().is_some_and(|f| f.len() == 16), "the first record names the tool set: {first}");
    keys.extend(["error", "diagnostics", "fuel", "target", "tool", "flag"].map(String::from));
    keys.extend(first["calls"][0].as_object().unwrap().keys().map(|k| format!("calls[].{k}")));
    for k in keys {
        assert!(doc.contains(&format!("`{k}`")), "docs/trace-schema.md does not document `{k}`");
    }
}

/// What each `Limits` field bounds and the code that reports it. A new field must be added here
/// (the test fails until it is), so docs/limits.md lists every limit.
const LIMITS: &[(&str, &str, &str)] = &[
    ("max_steps", "E301", "steps a session executes"),
    ("max_depth", "E302", "nesting of one statement, of a value, of a plugin's declared type"),
    ("max_list_len", "E303", "items in one list, and items written inside one bracket (list items or call arguments, at parse time)"),
    ("max_text_len", "E304", "bytes in one text"),
    ("max_tool_calls", "E305", "tool calls per session, lambdas' calls included"),
    ("max_wall", "E306", "wall time of a session, checked inside long tool work too"),
    ("max_source_bytes", "E307", "bytes of program source"),
    ("max_ticks", "E308", "evaluation budget: expressions evaluated plus work units charged by tools"),
    ("max_value_nodes", "E309", "expanded nodes of one value (shared parts counted each time)"),
    ("max_value_bytes", "E309", "expanded text bytes of one value"),
    ("max_image_pixels", "E310", "pixels of one image, from its header before decoding"),
    ("max_live_pixels", "E310", "pixels of every image held at once (a command's inputs, a server's sessions, images plugins and tool servers return), before decoding or copying"),
    ("max_file_bytes", "E311", "bytes of one input file read whole"),
    ("max_record_bytes", "E311", "bytes of one JSON Lines record"),
    ("max_diagnostics", "—", "diagnostics reported per check (then \"and N more\")"),
    ("trace_value_nodes", "—", "nodes of a value written into a trace record (then a stated cut)"),
    ("tool_fuel", "E403", "fuel per sandboxed tool call"),
    ("tool_deadline", "E404", "wall deadline per sandboxed tool call"),
    ("tool_memory", "E405", "linear memory per sandboxed tool instance"),
    ("max_plugin_bytes", "E410", "bytes of one plugin file (core module or component)"),
    ("plugin_functions", "E410", "functions of one plugin, every module of a component together"),
    ("plugin_code_bytes", "E410", "bytes of function bodies of one plugin, every module of a component together"),
    ("plugin_compile", "E410", "compile time of one plugin"),
    ("max_vocab_size", "E505 / E311", "tokenizer vocabulary size, and every token id (a tokenizer's, or the samples' when `train` has none)"),
    ("max_reply_bytes", "E415", "bytes of one endpoint reply"),
    ("reply_deadline", "E413", "total time of one endpoint reply"),
];

fn limit_value(name: &str, v: &serde_json::Value) -> String {
    if let Some(secs) = v.get("secs").and_then(|s| s.as_u64()) {
        let ms = secs * 1000 + v["nanos"].as_u64().unwrap_or(0) / 1_000_000;
        return if ms % 1000 == 0 { format!("{} s", ms / 1000) } else { format!("{ms} ms") };
    }
    let n = v.as_u64().unwrap_or(0);
    let bytes = name.contains("bytes") || name.ends_with("memory") || name.ends_with("text_len");
    if bytes && n >= 1 << 20 && n % (1 << 20) == 0 {
        return format!("{} MiB", n >> 20);
    }
    if bytes && n >= 1 << 10 && n % (1 << 10) == 0 {
        return format!("{} KiB", n >> 10);
    }
    n.to_string()
}

#[test]
fn limits_table_is_complete() {
    let d = serde_json::to_value(dwim::Limits::default()).unwrap();
    let s = serde_json::to_value(dwim::Limits::strict()).unwrap();
    let fields: Vec<&String> = d.as_object().unwrap().keys().collect();
    for f in &fields {
        assert!(LIMITS.iter().any(|(n, _, _)| n == f), "Limits::{f} is not in the table of tests/docs.rs");
    }
    let mut out = String::from("# Limits\n\nGenerated from `dwim::Limits` (`Limits::default()` and `Limits::strict()`, CLI `--strict`) by `tests/docs.rs`.\nSee [security.md](security.md) for what each one protects against and how it is tested.\n\n| limit | bounds | code | default | strict |\n|---|---|---|---|---|\n");
    for (name, code, what) in LIMITS {
        assert!(d.get(*name).is_some(), "{name} is not a Limits field");
        out.push_str(&format!("| `{name}` | {what} | {code} | {} | {} |\n", limit_value(name, &d[*name]), limit_value(name, &s[*name])));
    }
    golden(&root().join("docs/limits.md"), &out);
}
