//! `dwim eval --policy openai:URL` on datasets the test writes: a GQA-style directory of JPEG
//! images. A scripted chat server on loopback (real HTTP, requests inspected) and, when installed,
//! llama.cpp's server with SmolLM2-135M.
#![cfg(feature = "train")]

#[path = "common/skip.rs"]
mod skip_log;
#[path = "common/llama.rs"]
mod llama;
#[path = "common/chat.rs"]
mod chat;
use chat::scripted;
use dwim::world::demo::{draw_objects, Object};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

/// A GQA-style dataset: testdev questions about three JPEG scenes (1, 2 and 3 red circles).
fn gqa(dir: &Path) {
    std::fs::create_dir_all(dir.join("images")).unwrap();
    let mut qs = serde_json::Map::new();
    for n in 1..=3u32 {
        let objs: Vec<Object> = (0..n).map(|i| Object::new("circle", "red", [20 + 90 * i, 40, 80 + 90 * i, 100])).collect();
        draw_objects(320, 240, &objs).save(dir.join(format!("images/n{n}.jpg"))).unwrap();
        qs.insert(format!("q{n}"), serde_json::json!({"imageId": format!("n{n}"), "question": "How many red circles are there?", "answer": n.to_string(), "types": {"structural": "query"}}));
    }
    std::fs::write(dir.join("testdev_balanced_questions.json"), serde_json::Value::Object(qs).to_string()).unwrap();
}

fn dwim(args: &[&str], dir: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(dir).env("DWIM_MODELS", dir.join("none")).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn an_endpoint_policy_is_evaluated_on_a_gqa_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gqa(&d.join("gqa"));
    // A policy that always writes the same one-step program: right where it counts right.
    let (url, requests) = scripted(vec!["answer count(detect(image, \"red circle\"))"]);
    let policy = format!("openai:{url}#scripted");
    let (code, out, err) = dwim(&["eval", "--policy", &policy, "--data", "gqa", "--split", "all", "--shots", "2", "--shots-from", env!("CARGO_MANIFEST_DIR").to_owned().as_str(), "--format", "json"], d);
    // `--shots-from` a folder with no .wf files gives none, and says so.
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("no worked examples"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["report"]["episodes"], 3, "{doc}");
    // The pixel detector on JPEG scenes of 1, 2, 3 separate circles.
    assert!(doc["accuracy"].as_f64().unwrap() > 0.6, "{doc}");
    let first = requests.lock().unwrap()[0].clone();
    assert_eq!(first["model"], "scripted");
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("detect(image: image|region, query: text)"), "the run's tool listing: {system}");

    // Worked examples from programs/: shown, run for real, never the question being answered.
    let programs = format!("{}/programs", env!("CARGO_MANIFEST_DIR"));
    let (code, _, err) = dwim(&["eval", "--policy", &policy, "--data", "gqa", "--split", "all", "--shots", "2", "--shots-from", &programs, "--limit", "1"], d);
    assert_eq!(code, 0, "{err}");
    let last = requests.lock().unwrap().last().unwrap().clone();
    let system = last["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("Example 1.") && system.contains("Example 2.") && !system.contains("Example 3."), "{system}");
    assert!(system.contains("Result 1: "), "{system}");
}

#[test]
#[ignore = "starts llama.cpp's server (heavy); run with --include-ignored"]
fn smollm2_behind_llama_cpp_is_evaluated_on_a_gqa_dataset() {
    let server = match llama::start() {
        Ok(s) => s,
        Err(why) => return skip_log::skip("eval_endpoint::smollm2_behind_llama_cpp_is_evaluated_on_a_gqa_dataset", &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gqa(&d.join("gqa"));
    let policy = format!("openai:{}#smollm2", server.1);
    let programs = format!("{}/programs", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = dwim(&["eval", "--policy", &policy, "--data", "gqa", "--split", "all", "--limit", "2", "--max-steps", "3", "--shots", "2", "--shots-from", &programs, "--format", "json"], d);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["report"]["episodes"], 2, "{doc}");
    let acc = doc["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc));
}

/// An endpoint that refuses a conversation (llama.cpp's HTTP 400 for a context overflow) ends that
/// episode, counted wrong and said why; the evaluation goes on, and exits 2 when every episode
/// ended so.
#[test]
fn an_endpoint_that_refuses_a_conversation_ends_only_that_episode() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let body = r#"{"error":{"message":"This model's maximum context length is 2048 tokens.","code":"context_length_exceeded"}}"#;
            let _ = write!(s, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    gqa(&d.join("gqa"));
    let policy = format!("openai:http://127.0.0.1:{port}/v1");
    let (code, out, err) = dwim(&["eval", "--policy", &policy, "--data", "gqa", "--split", "all", "--shots", "0", "--format", "json", "--episodes", "ep.jsonl"], d);
    // Every episode ended by the endpoint: the report and episodes are still written, and the
    // exit says the endpoint failed (2), so no script reads it as a score of 0.
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("every episode (3) ended by an error of the endpoint") && err.contains("E414"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((doc["report"]["episodes"].as_u64(), doc["report"]["policy_errors"].as_u64()), (Some(3), Some(3)), "{doc}");
    let lines = std::fs::read_to_string(d.join("ep.jsonl")).unwrap();
    assert!(lines.lines().all(|l| l.contains("E414") && l.contains("context length")), "{lines}");
    // Unreachable is an error of the whole run.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, _, err) = dwim(&["eval", "--policy", &format!("openai:http://127.0.0.1:{gone}/v1"), "--data", "gqa", "--split", "all", "--shots", "0"], d);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E412"), "{err}");
}
