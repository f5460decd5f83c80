//! `dwim mcp`: the Model Context Protocol server over real pipes. One test speaks JSON-RPC lines
//! itself (always runs: initialization, tool listing, a session, oversized and hostile requests);
//! one drives the server with a real MCP client, the `mcp` package from PyPI
//! (`tests/mcp/client.py`), and skips out loud when Python lacks it.
#![cfg(feature = "serve")]

mod common;

use dwim::world::demo::{draw_objects, Object};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

fn scene(dir: &std::path::Path) {
    draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "blue", [150, 100, 210, 160])]).save(dir.join("s.png")).unwrap();
}

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
}

impl Peer {
    fn start(dir: &std::path::Path, extra: &[&str]) -> Peer {
        Peer::start_with(dir, extra, Stdio::null())
    }

    fn start_with(dir: &std::path::Path, extra: &[&str], stderr: Stdio) -> Peer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dwim"))
            .args(["mcp", "--tools", "benchmark"])
            .args(extra)
            .current_dir(dir)
            .env("DWIM_MODELS", dir.join("none"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Peer { child, stdin, stdout, next: 0 }
    }

    fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Send a request and read lines until its response.
    fn ask(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed stdout while {method} {id} was pending");
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if v["id"] == json!(id) {
                return v;
            }
        }
    }

    /// Call an MCP tool: (isError, dwim's reply).
    fn call(&mut self, tool: &str, args: Value) -> (bool, Value) {
        let r = self.ask("tools/call", json!({"name": tool, "arguments": args}));
        let result = &r["result"];
        assert!(result.is_object(), "{tool}: {r}");
        let text = result["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{tool}: no text content: {r}"));
        let reply: Value = serde_json::from_str(text).unwrap();
        assert_eq!(result["structuredContent"], reply, "the structured content is the text content");
        (result["isError"] == json!(true), reply)
    }

    fn initialize(&mut self) -> Value {
        let r = self.ask("initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "dwim-test", "version": "0"}}));
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        r
    }
}

fn code(reply: &Value) -> String {
    reply["diagnostics"][0]["code"].as_str().unwrap_or("").to_string()
}

#[test]
fn a_session_over_json_rpc_lines() {
    let dir = tempfile::tempdir().unwrap();
    scene(dir.path());
    let mut p = Peer::start(dir.path(), &["--max-request-mb", "1"]);
    let init = p.initialize();
    assert_eq!(init["result"]["serverInfo"]["name"], "dwim", "{init}");
    assert!(init["result"]["capabilities"]["tools"].is_object(), "{init}");

    let listed = p.ask("tools/list", json!({}));
    let mut names: Vec<&str> = listed["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["check", "close_session", "dwim_tools", "open_session", "run_program", "step", "trace"]);
    for t in listed["result"]["tools"].as_array().unwrap() {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
    }

    let (err, tools) = p.call("dwim_tools", json!({}));
    assert!(!err && tools["set"] == "benchmark" && tools["prompt"].as_str().unwrap().contains("segment"), "{tools}");

    let (err, opened) = p.call("open_session", json!({"image": {"path": "s.png"}}));
    assert!(!err, "{opened}");
    let sid = opened["session"].as_str().unwrap().to_string();

    let (err, r) = p.call("step", json!({"session": sid, "text": "objs = segment(image)"}));
    assert!(!err && r["records"][0]["kind"] == "assign", "{r}");
    let (err, r) = p.call("step", json!({"session": sid, "text": "n = count(objs"}));
    assert!(err && code(&r) == "E001" && r["diagnostics"][0]["line"].is_number(), "{r}");
    let (err, r) = p.call("step", json!({"session": sid, "text": "answer len(objs)"}));
    assert!(!err && r["answer"] == json!(2.0), "{r}");
    let (_, r) = p.call("trace", json!({"session": sid}));
    assert_eq!(r["records"].as_array().unwrap().len(), 3, "{r}");

    // Oversized parts of a request end in their coded errors; the server goes on.
    let big = format!("answer {}", "1+".repeat(300_000)) + "1";
    let (err, r) = p.call("step", json!({"session": sid, "text": big}));
    assert!(err && code(&r).starts_with("E3"), "{}", &r.to_string()[..300.min(r.to_string().len())]);
    let (err, r) = p.call("open_session", json!({"image": {"base64": "not base64!"}}));
    assert!(err && code(&r) == "E504", "{r}");
    let (err, r) = p.call("open_session", json!({"image": {"path": "../../../../etc/passwd"}}));
    assert!(err && code(&r) == "E505", "{r}");
    // A JSON-RPC line over --max-request-mb is dropped; the next request is answered.
    p.send(&json!({"jsonrpc": "2.0", "id": 999, "method": "tools/call", "params": {"name": "dwim_tools", "arguments": {"pad": "x".repeat(2 << 20)}}}));
    let pong = p.ask("ping", json!({}));
    assert!(pong["result"].is_object(), "{pong}");
    // An unknown tool and a missing argument are JSON-RPC errors.
    let r = p.ask("tools/call", json!({"name": "rm_rf", "arguments": {}}));
    assert!(r["error"]["message"].as_str().unwrap().contains("unknown tool"), "{r}");
    let r = p.ask("tools/call", json!({"name": "step", "arguments": {"text": "answer 1"}}));
    assert!(r["error"].is_object(), "{r}");

    let (err, _) = p.call("close_session", json!({"session": sid}));
    assert!(!err);
    let (err, r) = p.call("step", json!({"session": sid, "text": "answer 1"}));
    assert!(err && code(&r) == "E507", "{r}");
    let (err, r) = p.call("run_program", json!({"image": {"path": "s.png"}, "text": "objs = segment(image)\nanswer len(objs)"}));
    assert!(!err && r["answer"] == json!(2.0), "{r}");
    let (err, r) = p.call("run_program", json!({"image": {"path": "s.png"}, "text": "x = 1"}));
    assert!(err && code(&r) == "E206", "{r}");

    // The client closing stdin ends the server with exit 0.
    drop(p.stdin);
    assert!(p.child.wait().unwrap().success());
}

#[test]
fn dropped_lines_are_said_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Peer::start_with(dir.path(), &["--max-request-mb", "1"], Stdio::piped());
    p.initialize(); // lines 1 and 2
    p.stdin.write_all(b"garbage\n[[[[\n\"\xff\"\n").unwrap(); // lines 3, 4, 5
    let long = format!("{{\"jsonrpc\": \"2.0\", \"id\": 77, \"method\": \"ping\", \"pad\": \"{}\"}}\n", "x".repeat(2 << 20));
    p.stdin.write_all(long.as_bytes()).unwrap(); // line 6
    p.next = 7;
    let pong = p.ask("ping", json!({})); // line 7 (id 8)
    assert!(pong["result"].is_object(), "the server goes on: {pong}");
    // JSON that is not a valid message reaches rmcp, which answers -32600.
    p.send(&json!({"jsonrpc": "2.0", "id": 1000, "method": 12}));
    let pong = p.ask("ping", json!({}));
    assert!(pong["result"].is_object(), "{pong}");
    drop(p.stdin);
    assert!(p.child.wait().unwrap().success());
    let mut said = String::new();
    std::io::Read::read_to_string(&mut p.child.stderr.take().unwrap(), &mut said).unwrap();
    for (line, why) in [(3, "not JSON"), (4, "not JSON"), (5, "not UTF-8"), (6, "longer than --max-request-mb (1 MiB)")] {
        assert!(said.contains(&format!("stdin line {line} dropped, no reply: {why}")), "line {line}: {said}");
    }
    assert_eq!(said.matches("dropped").count(), 4, "{said}");
}

/// A client that sends and does not read: the server stops reading too (the client's writes
/// block) instead of holding every reply (10,000 pipelined `trace` calls took 848 MB); once the
/// client reads, every reply arrives.
#[cfg(target_os = "linux")]
#[test]
fn a_client_that_does_not_read_holds_the_server_back() {
    let dir = tempfile::tempdir().unwrap();
    scene(dir.path());
    let mut p = Peer::start(dir.path(), &[]);
    p.initialize();
    let (_, opened) = p.call("open_session", json!({"image": {"path": "s.png"}}));
    let sid = opened["session"].as_str().unwrap().to_string();
    p.call("step", json!({"session": sid, "text": "objs = segment(image)"}));
    let n = 5_000;
    let mut stdin = p.stdin;
    let writer = std::thread::spawn(move || {
        for i in 0..n {
            let m = json!({"jsonrpc": "2.0", "id": 100_000 + i, "method": "tools/call", "params": {"name": "trace", "arguments": {"session": sid}}});
            if writeln!(stdin, "{m}").is_err() {
                break;
            }
        }
        stdin
    });
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!writer.is_finished(), "the server reads no more than it can answer");
    let status = std::fs::read_to_string(format!("/proc/{}/status", p.child.id())).unwrap();
    let hwm_kb: u64 = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).unwrap().parse().unwrap();
    assert!(hwm_kb < 300 << 10, "peak {hwm_kb} kB");
    let mut got = 0;
    let mut line = String::new();
    while got < n {
        line.clear();
        assert!(p.stdout.read_line(&mut line).unwrap() > 0, "closed after {got} replies");
        got += usize::from(line.contains("\"id\":1"));
    }
    drop(writer.join().unwrap());
    assert!(p.child.wait().unwrap().success());
}

#[test]
fn live_sessions_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    scene(dir.path());
    let mut p = Peer::start(dir.path(), &["--max-sessions", "2"]);
    p.initialize();
    for _ in 0..2 {
        let (err, r) = p.call("open_session", json!({"image": {"path": "s.png"}}));
        assert!(!err, "{r}");
    }
    let (err, r) = p.call("open_session", json!({"image": {"path": "s.png"}}));
    assert!(err && code(&r) == "E312", "{r}");
    drop(p.stdin);
    assert!(p.child.wait().unwrap().success());
}

#[test]
fn a_real_mcp_client_from_pypi() {
    let python = std::env::var("DWIM_PYTHON").unwrap_or_else(|_| "python3".into());
    let has = Command::new(&python).args(["-c", "import mcp.client.stdio"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !has {
        common::skip("a_real_mcp_client_from_pypi", &format!("{python} cannot import the `mcp` package (pip install mcp)"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    scene(dir.path());
    let client = common::root().join("tests/mcp/client.py");
    let out = Command::new(&python)
        .arg(&client)
        .args([env!("CARGO_BIN_EXE_dwim"), dir.path().to_str().unwrap(), "s.png"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"done\": true") && stdout.contains("\"answer\": 1"), "{stdout}");
}
