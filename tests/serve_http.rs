//! `dwim serve` for real on loopback: sessions created from a path inside the root and from
//! uploaded bytes, steps, checks, traces, the token, the caps, idle expiry and graceful shutdown.
#![cfg(feature = "serve")]

use dwim::world::demo::{draw_objects, Object};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server(Child, String);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(root: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(["serve", "--addr", "127.0.0.1:0", "--tools", "benchmark", "--root", root.to_str().unwrap()])
        .args(extra)
        .env("DWIM_MODELS", root.join("none"))
        .env_remove("DWIM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Server(child, url)
}

/// (status, body) of a request, with the token when given.
fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = ureq::request(method, url).timeout(Duration::from_secs(20));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let r = match body {
        Some(b) => req.send_string(&b.to_string()),
        None => req.call(),
    };
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn scene(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("s.png");
    draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "blue", [150, 100, 210, 160])]).save(&p).unwrap();
    p
}

#[test]
fn sessions_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let png = scene(dir.path());
    let s = start(dir.path(), &["--token", "s3cret", "--max-sessions", "2"]);
    let t = Some("s3cret");
    let u = |p: &str| format!("{}{p}", s.1);

    let (status, body) = call("GET", &u("/v1/health"), None, None);
    assert_eq!((status, body["diagnostics"][0]["code"].clone()), (401, json!("E508")), "{body}");
    let (status, body) = call("GET", &u("/v1/health"), Some("wrong"), None);
    assert_eq!(status, 401, "{body}");
    let (status, body) = call("GET", &u("/v1/health"), t, None);
    assert_eq!((status, body["ok"].clone()), (200, json!(true)), "{body}");

    // A session from a path inside the root; steps keep their environment.
    let (status, a) = call("POST", &u("/v1/sessions"), t, Some(json!({"image": {"path": "s.png"}})));
    assert_eq!(status, 200, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["inputs"], json!(["image"]));
    let (_, r) = call("POST", &u(&format!("/v1/sessions/{id}/step")), t, Some(json!({"text": "objs = segment(image)"})));
    assert_eq!(r["ok"], true, "{r}");
    let (_, r) = call("POST", &u(&format!("/v1/sessions/{id}/step")), t, Some(json!({"text": "n = count(objects"})));
    assert_eq!((r["ok"].clone(), r["diagnostics"][0]["code"].clone()), (json!(false), json!("E001")), "{r}");
    let (_, r) = call("POST", &u(&format!("/v1/sessions/{id}/check")), t, Some(json!({"text": "answer len(objs)"})));
    assert_eq!(r["ok"], true, "{r}");
    let (_, r) = call("POST", &u(&format!("/v1/sessions/{id}/step")), t, Some(json!({"text": "answer len(objs)"})));
    assert_eq!(r["answer"], json!(2.0), "{r}");
    let (_, r) = call("GET", &u(&format!("/v1/sessions/{id}/trace")), t, None);
    assert_eq!(r["records"].as_array().map(|a| a.len()), Some(3), "{r}");

    // A session from uploaded bytes, two named images.
    let b64 = dwim::tools::remote::base64::encode(&std::fs::read(&png).unwrap());
    let (status, b) = call("POST", &u("/v1/sessions"), t, Some(json!({"images": {"left": {"base64": b64}, "right": {"path": "s.png"}}})));
    assert_eq!(status, 200, "{b}");
    let id2 = b["id"].as_str().unwrap().to_string();
    let (_, r) = call("POST", &u(&format!("/v1/sessions/{id2}/step")), t, Some(json!({"text": "answer len(segment(left)) == len(segment(right))"})));
    assert_eq!(r["answer"], json!(true), "{r}");

    // The caps: a third live session, a path leaving the root, an unknown session, bad JSON.
    let (status, r) = call("POST", &u("/v1/sessions"), t, Some(json!({"image": {"path": "s.png"}})));
    assert_eq!((status, r["diagnostics"][0]["code"].clone()), (503, json!("E312")), "{r}");
    let (status, _) = call("DELETE", &u(&format!("/v1/sessions/{id2}")), t, None);
    assert_eq!(status, 200);
    let (status, r) = call("POST", &u("/v1/sessions"), t, Some(json!({"image": {"path": "../../etc/passwd"}})));
    assert_eq!(status, 400, "{r}");
    assert!(matches!(r["diagnostics"][0]["code"].as_str(), Some("E505" | "E501")), "{r}");
    let (status, r) = call("POST", &u("/v1/sessions/nosuch/step"), t, Some(json!({"text": "x = 1"})));
    assert_eq!((status, r["diagnostics"][0]["code"].clone()), (404, json!("E507")), "{r}");
    let (status, r) = call("POST", &u("/v1/sessions"), t, Some(json!("not an object")));
    assert_eq!(status, 400, "{r}");
    let (_, r) = call("GET", &u("/v1/tools"), t, None);
    assert!(r["prompt"].as_str().unwrap().contains("detect("), "{r}");
}

#[test]
fn idle_sessions_expire_big_bodies_are_refused_and_sigterm_ends_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    scene(dir.path());
    let mut s = start(dir.path(), &["--idle-secs", "1", "--max-body-mb", "1"]);
    let u = |p: &str| format!("{}{p}", s.1);
    let (_, a) = call("POST", &u("/v1/sessions"), None, Some(json!({"image": {"path": "s.png"}})));
    let id = a["id"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(2000));
    let (status, _) = call("POST", &u(&format!("/v1/sessions/{id}/step")), None, Some(json!({"text": "x = 1"})));
    assert_eq!(status, 404, "an idle session is closed");
    // Refused: a 413, or (when the server answers and closes before the client has sent the whole
    // body) a broken pipe on the client's side. Either way the server goes on.
    let big = json!({"text": "x".repeat(2 << 20)}).to_string();
    match ureq::post(&u("/v1/sessions")).timeout(Duration::from_secs(20)).send_string(&big) {
        Err(ureq::Error::Status(status, _)) => assert_eq!(status, 413),
        Err(ureq::Error::Transport(t)) => assert!(t.to_string().contains("Broken pipe") || t.to_string().contains("reset"), "{t}"),
        Ok(r) => panic!("a 2 MiB body was accepted: {}", r.status()),
    }
    // A body announced over the limit is refused at once, before any byte of it is sent.
    {
        use std::io::{Read, Write};
        let addr = s.1.trim_start_matches("http://").to_string();
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let t0 = std::time::Instant::now();
        write!(c, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n").unwrap();
        let mut buf = vec![0u8; 4096];
        let n = c.read(&mut buf).unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(head.starts_with("HTTP/1.1 413") && head.contains("E311"), "{head}");
        assert!(t0.elapsed() < Duration::from_secs(5), "waited for a body that was never sent");
    }
    assert_eq!(call("GET", &u("/v1/health"), None, None).0, 200);
    let pid = s.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let t0 = std::time::Instant::now();
    loop {
        if let Some(st) = s.0.try_wait().unwrap() {
            assert_eq!(st.code(), Some(0));
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
