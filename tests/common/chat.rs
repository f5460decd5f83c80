//! A scripted OpenAI-compatible chat server on loopback, for policy and teacher tests: real HTTP,
//! every request body kept for the test to inspect.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// A loopback chat server that answers the n-th request with `replies[n]` (the last one after
/// that) and keeps every request body.
pub fn scripted(replies: Vec<&'static str>) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, s) in l.incoming().enumerate() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 8192];
            let body = loop {
                let Ok(k) = s.read(&mut buf) else { break None };
                if k == 0 {
                    break None;
                }
                req.extend_from_slice(&buf[..k]);
                let text = String::from_utf8_lossy(&req).into_owned();
                if let Some(h) = text.find("\r\n\r\n") {
                    let len = text.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))).unwrap_or(0);
                    if req.len() >= h + 4 + len {
                        break Some(req[h + 4..h + 4 + len].to_vec());
                    }
                }
            };
            if let Some(b) = body {
                log.lock().unwrap().push(serde_json::from_slice(&b).unwrap_or_default());
            }
            let content = replies[n.min(replies.len() - 1)];
            let reply = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]}).to_string();
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}", reply.len());
        }
    });
    (format!("http://127.0.0.1:{port}/v1"), seen)
}
