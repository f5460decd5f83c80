//! Remote tools over real HTTP on loopback: the Python reference server (`tools-remote/python/`)
//! through the `dwim` binary, hostile servers written here for every fault, the run's wall limit,
//! and `llm_query` (its cache and caps here; a real llama.cpp server when one is installed).

#[path = "common/skip.rs"]
mod skip_log;
#[path = "common/tool_server.rs"]
mod tool_server;
use tool_server::python_server;
use dwim::tools::remote::{load_manifest, LlmQuery};
use dwim::{Code, Limits, Registry, Session, Value};
use skip_log::skip;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};



fn dwim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).output().unwrap()
}


/// A 2×2 PNG: three black pixels and one white one at (1, 0).
fn test_png(dir: &Path) -> PathBuf {
    let mut px = vec![0u8; 12];
    px[3..6].copy_from_slice(&[255, 255, 255]);
    let path = dir.join("img.png");
    image::RgbImage::from_raw(2, 2, px).unwrap().save(&path).unwrap();
    path
}

#[test]
fn python_tools_run_check_and_list_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, manifest) = python_server(dir.path());
    let m = manifest.to_str().unwrap();
    let img = test_png(dir.path());
    let prog = dir.path().join("p.wf");
    std::fs::write(&prog, "b = mean_brightness(image)\nn = count_words(\"one to three\", 2)\nbox = bright_box(image)\nanswer [b, n, box.x0, box.width, box.label]\n").unwrap();
    let o = dwim(&["run", prog.to_str().unwrap(), "--image", img.to_str().unwrap(), "--remote", m, "--format", "json"]);
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["answer"], serde_json::json!([63.75, 3.0, 1.0, 1.0, "bright"]), "{doc}");

    // The declared signature is what the checker holds a program to.
    std::fs::write(&prog, "n = count_words(3)\nanswer n\n").unwrap();
    let o = dwim(&["check", prog.to_str().unwrap(), "--remote", m, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("\"code\":\"E1") && text.contains("text"), "{text}");

    // A tool's own error is E401 naming the tool and the endpoint.
    std::fs::write(&prog, "n = count_words(\"a\", -1)\nanswer n\n").unwrap();
    let o = dwim(&["run", prog.to_str().unwrap(), "--image", img.to_str().unwrap(), "--remote", m, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "E401", "{doc}");
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(msg.contains("min_len must be at least 0") && msg.contains("/call/count_words"), "{msg}");

    // `dwim tools` lists them, from the file and from the running server's GET /manifest.
    let endpoint = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&manifest).unwrap()).unwrap()["endpoint"].as_str().unwrap().to_string();
    for source in [m, endpoint.as_str()] {
        let o = dwim(&["tools", "--remote", source, "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let remote: Vec<&str> = doc["tools"].as_array().unwrap().iter().filter(|t| t["kind"] == "remote").map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(remote, ["bright_box", "count_words", "mean_brightness"], "{source}");
        assert!(doc["set"].as_str().unwrap().ends_with("+remote"));
    }
    let o = dwim(&["tools", "--remote", dir.path().join("missing.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "a manifest that cannot be read is bad input");
}

/// Read one HTTP request (head and Content-Length body); its path.
fn read_request(s: &mut TcpStream) -> String {
    let mut req = Vec::new();
    let mut buf = [0u8; 16 << 10];
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
    String::from_utf8_lossy(&req).split_whitespace().nth(1).unwrap_or("").to_string()
}

fn respond(s: &mut TcpStream, status: &str, body: &str) {
    let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
}

/// A loopback server answering `POST /call/NAME` by `reply(NAME, stream)`; counts requests per name.
fn hostile_server(reply: fn(&str, &mut TcpStream)) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let path = read_request(&mut s);
                let name = path.strip_prefix("/call/").unwrap_or(&path).to_string();
                log.lock().unwrap().push(name.clone());
                reply(&name, &mut s);
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

fn faults(name: &str, s: &mut TcpStream) {
    match name {
        "good" => respond(s, "200 OK", "{\"ok\": 42}"),
        "slow" | "slower" => {
            std::thread::sleep(Duration::from_secs(if name == "slow" { 4 } else { 15 }));
            respond(s, "200 OK", "{\"ok\": 1}");
        }
        "dropped" => {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        "big" => {
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{{\"ok\": \"");
            let chunk = vec![b'a'; 1 << 16];
            for _ in 0..300 {
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
        "garbage" => respond(s, "200 OK", "{\"ok\": [1, 2"),
        "wrong" => respond(s, "200 OK", "{\"ok\": \"forty-two\"}"),
        "bad_image" => respond(s, "200 OK", "{\"ok\": {\"image\": 3}}"),
        "fail500" => respond(s, "500 Internal Server Error", "{\"error\": \"CUDA out of memory\"}"),
        "missing" => respond(s, "404 Not Found", "{}"),
        _ => respond(s, "200 OK", "{\"error\": \"no such tool\"}"),
    }
}

const FAULTS: &[&str] = &["good", "slow", "slower", "dropped", "big", "garbage", "wrong", "bad_image", "fail500", "missing"];

fn manifest_for(dir: &Path, endpoint: &str, tools: &[&str]) -> PathBuf {
    let tools: Vec<_> = tools.iter().map(|t| serde_json::json!({"name": t, "params": [{"name": "x", "type": "number"}], "result": "number", "doc": "a test tool"})).collect();
    let m = serde_json::json!({"endpoint": endpoint, "timeout_ms": 1500, "retries": 2, "max_reply_bytes": 65536, "tools": tools});
    let path = dir.join("m.json");
    std::fs::write(&path, m.to_string()).unwrap();
    path
}

fn registry(manifest: &Path, limits: &Limits) -> Registry {
    let mut r = Registry::builtin();
    for t in load_manifest(manifest, limits).expect("the manifest loads") {
        r.add(t);
    }
    r
}

/// Feed one step; its error (code, message) or its value.
fn step(s: &mut Session<'_>, text: &str) -> Result<Value, (Code, String)> {
    let out = s.feed(text).map_err(|d| (d[0].code, d[0].message.clone()))?;
    match out[0].error() {
        Some(d) => Err((d.code, d.message.clone())),
        None => Ok(out[0].value.clone().unwrap_or(Value::None)),
    }
}

#[test]
fn every_fault_is_its_code_and_the_next_call_works() {
    let (endpoint, seen) = hostile_server(faults);
    let dir = tempfile::tempdir().unwrap();
    let reg = registry(&manifest_for(dir.path(), &endpoint, FAULTS), &Limits::default());
    let mut s = Session::new(&reg, Limits::default());
    for (i, (tool, want, within)) in [
        ("slow", Code::E413, 3.0),
        ("dropped", Code::E412, 2.0),
        ("big", Code::E415, 3.0),
        ("garbage", Code::E415, 2.0),
        ("wrong", Code::E407, 2.0),
        ("bad_image", Code::E407, 2.0),
        ("fail500", Code::E414, 3.0),
        ("missing", Code::E414, 2.0),
    ]
    .into_iter()
    .enumerate()
    {
        let t0 = Instant::now();
        let (code, msg) = step(&mut s, &format!("a{i} = {tool}(1)")).expect_err(tool);
        let took = t0.elapsed().as_secs_f64();
        assert_eq!(code, want, "{tool}: {msg}");
        assert!(msg.contains(&format!("{endpoint}/call/{tool}")), "{tool}: the message names the endpoint: {msg}");
        assert!(took < within, "{tool} took {took:.2} s");
        let v = step(&mut s, &format!("ok{i} = good(1)")).unwrap_or_else(|e| panic!("the call after {tool} fails: {e:?}"));
        assert!(matches!(v, Value::Number(n) if n == 42.0), "after {tool}");
    }
    let seen = seen.lock().unwrap();
    let count = |t: &str| seen.iter().filter(|n| *n == t).count();
    assert_eq!(count("fail500"), 3, "a 5xx is retried twice: {seen:?}");
    assert_eq!(count("missing"), 1, "a 4xx is not retried");
    assert_eq!(count("slow"), 1, "a timeout is not retried");
    assert_eq!(count("dropped"), 1, "a dropped connection is not retried");
}

#[test]
fn an_unreachable_server_is_e412_after_bounded_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let reg = registry(&manifest_for(dir.path(), &format!("http://127.0.0.1:{port}"), &["gone"]), &Limits::default());
    let mut s = Session::new(&reg, Limits::default());
    let t0 = Instant::now();
    let (code, msg) = step(&mut s, "a = gone(1)").expect_err("nothing listens");
    assert_eq!(code, Code::E412, "{msg}");
    assert!(msg.contains("after 3 attempts") && msg.contains(&format!("127.0.0.1:{port}/call/gone")), "{msg}");
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_remote_call_ends_at_the_runs_wall_limit() {
    let (endpoint, _) = hostile_server(faults);
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("wall.json");
    let decl = serde_json::json!({"endpoint": endpoint, "timeout_ms": 60000, "tools": [{"name": "slower", "params": [{"name": "x", "type": "number"}], "result": "number", "doc": ""}]});
    std::fs::write(&m, decl.to_string()).unwrap();
    let limits = Limits { max_wall: Duration::from_secs(1), ..Limits::default() };
    let reg = registry(&m, &limits);
    let mut s = Session::new(&reg, limits);
    let t0 = Instant::now();
    let (code, msg) = step(&mut s, "a = slower(1)").expect_err("the wall limit ends it");
    let took = t0.elapsed();
    assert_eq!(code, Code::E306, "{msg}");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(2000), "ended after {took:?} with a 1 s wall limit");
}

#[test]
fn manifests_out_of_bounds_are_refused_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        ("notjson.json", "{".to_string(), Code::E410),
        ("https.json", r#"{"endpoint": "https://x", "tools": []}"#.to_string(), Code::E410),
        ("deep.json", format!(r#"{{"endpoint": "http://x", "tools": [{{"name": "f", "params": [], "result": "{}number{}", "doc": ""}}]}}"#, "list[".repeat(200), "]".repeat(200)), Code::E410),
        ("name.json", r#"{"endpoint": "http://x", "tools": [{"name": "a b", "params": [], "result": "number", "doc": ""}]}"#.to_string(), Code::E409),
    ];
    for (name, text, want) in cases {
        let e = load_manifest(&write(name, &text), &limits).err().unwrap_or_else(|| panic!("{name} loads"));
        assert_eq!(e.code, want, "{name}: {}", e.message);
        assert!(e.message.contains(name), "{}", e.message);
    }
    let big = write("big.json", &" ".repeat(2 << 20));
    assert_eq!(load_manifest(&big, &limits).err().map(|e| e.code), Some(Code::E311));
    assert_eq!(load_manifest(dir.path(), &limits).err().map(|e| e.code), Some(Code::E502));
}

fn chat_reply(content: &str) -> String {
    serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]}).to_string()
}

fn llm_server(name: &str, s: &mut TcpStream) {
    let _ = name;
    respond(s, "200 OK", &chat_reply("Paris"));
}

fn llm_registry(base: &str) -> (Registry, Arc<LlmQuery>) {
    let tool = Arc::new(LlmQuery::new(&format!("{base}/v1#test")).unwrap());
    let mut r = Registry::builtin();
    r.add(tool.clone());
    (r, tool)
}

#[test]
fn llm_query_is_cached_by_prompt() {
    let (base, seen) = hostile_server(llm_server);
    let (reg, tool) = llm_registry(&base);
    let mut s = Session::new(&reg, Limits::default());
    for (i, prompt) in ["capital of France?", "capital of France?", "capital of Peru?", "capital of France?"].iter().enumerate() {
        let v = step(&mut s, &format!("a{i} = llm_query(\"{prompt}\")")).unwrap();
        assert!(matches!(&v, Value::Text(t) if &**t == "Paris"), "{}", v.describe());
    }
    assert_eq!(seen.lock().unwrap().len(), 2, "one request per distinct prompt: {:?}", seen.lock().unwrap());
    assert_eq!(tool.requests(), 2);
    assert_eq!(seen.lock().unwrap()[0], "/v1/chat/completions");
    assert!(LlmQuery::new("ftp://x").is_err());
}

#[test]
fn llm_query_replies_are_bounded() {
    let long = hostile_server(|_, s| respond(s, "200 OK", &chat_reply(&"x".repeat(5000)))).0;
    let huge = hostile_server(|_, s| respond(s, "200 OK", &chat_reply(&"y".repeat(200_000)))).0;
    let slow = hostile_server(|_, s| {
        std::thread::sleep(Duration::from_secs(5));
        respond(s, "200 OK", &chat_reply("late"));
    })
    .0;
    let status = hostile_server(|_, s| respond(s, "503 Service Unavailable", "busy")).0;
    let limits = Limits { max_text_len: 1000, max_reply_bytes: 64 << 10, reply_deadline: Duration::from_secs(1), ..Limits::default() };
    for (base, want) in [(&long, Code::E407), (&huge, Code::E415), (&slow, Code::E413), (&status, Code::E414)] {
        let (reg, _) = llm_registry(base);
        let mut s = Session::new(&reg, limits.clone());
        let t0 = Instant::now();
        let (code, msg) = step(&mut s, "a = llm_query(\"hi\")").expect_err(base);
        assert_eq!(code, want, "{msg}");
        assert!(msg.contains(base.as_str()), "names the endpoint: {msg}");
        assert!(t0.elapsed() < Duration::from_secs(3));
    }
    // Under a wall limit nearer than the reply deadline, the run's limit ends the call.
    let (reg, _) = llm_registry(&slow);
    let mut s = Session::new(&reg, Limits { max_wall: Duration::from_secs(1), ..Limits::default() });
    let t0 = Instant::now();
    assert_eq!(step(&mut s, "a = llm_query(\"hi\")").expect_err("wall").0, Code::E306);
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[path = "common/llama.rs"]
mod llama;

#[test]
fn llm_query_asks_a_real_llama_cpp_server() {
    let server = match llama::start() {
        Ok(s) => s,
        Err(why) => return skip("remote_tools::llm_query_asks_a_real_llama_cpp_server", &why),
    };
    let base = &server.1;
    let dir = tempfile::tempdir().unwrap();
    let img = test_png(dir.path());
    let prog = dir.path().join("ask.wf");
    std::fs::write(&prog, "a = llm_query(\"What colour is the sky on a clear day? Answer in one word.\")\nb = llm_query(\"What colour is the sky on a clear day? Answer in one word.\")\nanswer [a, b]\n").unwrap();
    let t0 = Instant::now();
    let o = dwim(&["run", prog.to_str().unwrap(), "--image", img.to_str().unwrap(), "--llm", &format!("{base}#smollm2"), "--format", "json"]);
    assert!(o.status.success(), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = doc["answer"][0].as_str().unwrap();
    assert!(!a.is_empty(), "{doc}");
    assert_eq!(doc["answer"][0], doc["answer"][1], "the second identical prompt is answered from the cache");
    println!("SmolLM2 via llm_query ({:?}): {a}", t0.elapsed());
}

/// A remote tool that claims a built-in's name is refused (E506) unless `--override` says it wins;
/// `dwim tools` then lists it as remote, with its manifest as the source.
#[test]
fn a_remote_tool_that_takes_a_name_is_refused_unless_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest_for(dir.path(), "http://127.0.0.1:9/v1", &["area"]);
    let o = dwim(&["tools", "--remote", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("E506") && err.contains("area") && err.contains("--override area"), "{err}");
    let o = dwim(&["tools", "--remote", m.to_str().unwrap(), "--override", "area", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let area = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "area").unwrap();
    assert_eq!(area["origin"]["kind"], "remote");
    assert_eq!(area["origin"]["source"], m.display().to_string());
}
