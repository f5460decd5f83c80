//! `dwim session`: one conversation as JSON lines over real pipes: each step runs once against the
//! environment the accepted steps built; bad requests are answered and the session goes on.

use dwim::world::demo::{draw_objects, Object};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn a_conversation_over_stdin_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "blue", [150, 100, 210, 160])]).save(d.join("s.png")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(["session", "--image", "s.png", "--tools", "benchmark"])
        .current_dir(d)
        .env("DWIM_MODELS", d.join("none"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ask = |line: &str| -> serde_json::Value {
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        stdout.read_line(&mut reply).unwrap();
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"))
    };

    let r = ask(r#"{"op": "step", "text": "objs = segment(image)"}"#);
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["records"][0]["kind"], "assign");
    assert!(r["records"][0]["observation"].as_str().unwrap().starts_with("objs = [region("), "{r}");

    // A step that does not check: diagnostics with place and expectations, nothing changes.
    let r = ask(r#"{"op": "step", "text": "n = count(objects"}"#);
    assert_eq!(r["ok"], false, "{r}");
    let d0 = &r["diagnostics"][0];
    assert_eq!(d0["code"], "E001", "{r}");
    assert!(d0["line"].is_number() && d0["col"].is_number() && d0["expected"].is_array(), "{r}");
    assert_eq!(r["records"][0]["kind"], "rejected");

    let r = ask(r#"{"op": "check", "text": "answer len(nosuch)"}"#);
    assert_eq!((r["ok"].clone(), r["diagnostics"][0]["code"].clone()), (serde_json::json!(false), serde_json::json!("E107")), "{r}");
    let r = ask(r#"{"op": "check", "text": "answer len(objs)"}"#);
    assert_eq!(r["ok"], true, "{r}");

    // Malformed and unknown requests are answered; the session goes on.
    let r = ask("this is not json");
    assert_eq!(r["diagnostics"][0]["code"], "E504", "{r}");
    let r = ask(r#"{"op": "fly"}"#);
    assert_eq!(r["diagnostics"][0]["code"], "E504", "{r}");
    let long = format!(r#"{{"op": "step", "text": "{}"}}"#, "x".repeat(1 << 20));
    let r = ask(&long);
    assert_eq!(r["diagnostics"][0]["code"], "E311", "{r}");

    let r = ask(r#"{"op": "tools"}"#);
    assert!(r["prompt"].as_str().unwrap().contains("detect("), "{r}");
    assert_eq!(r["set"], "benchmark");

    // The environment persists: `objs` from the first step.
    let r = ask(r#"{"op": "step", "text": "answer len(filter(objs, o -> color(o) == \"red\"))"}"#);
    assert_eq!((r["ok"].clone(), r["answer"].clone()), (serde_json::json!(true), serde_json::json!(1.0)), "{r}");
    let r = ask(r#"{"op": "trace"}"#);
    let kinds: Vec<&str> = r["records"].as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assign", "rejected", "answer"], "{r}");
    assert!(r["records"].as_array().unwrap().iter().all(|x| x["schema"] == "dwim.trace/1"));

    let r = ask(r#"{"op": "close"}"#);
    assert_eq!(r["ok"], true);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn end_of_input_ends_the_session_and_bad_flags_fail_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    draw_objects(64, 64, &[]).save(d.join("s.png")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dwim")).args(["session", "--image", "s.png"]).current_dir(d).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_dwim")).args(["session", "--image", "missing.png"]).current_dir(d).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E501"));
}
