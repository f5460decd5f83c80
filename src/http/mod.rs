//! Bounded HTTP exchanges with endpoints dwim does not run: the teacher's and `llm_query`'s chat
//! servers, remote tool servers. One blocking client (ureq), no async runtime.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`post_json`]: one POST, its whole reply within a deadline and a byte cap; [`Failure`] |
//! | `chat.rs` | one OpenAI-compatible `/chat/completions` exchange |
//!
//! Every wait is bounded: ureq's per-request timeout covers connect and each read, and the body
//! is read in chunks against the same deadline, so a reply that drips or never ends stops there.

pub mod chat;

use crate::diag::Code;
use std::io::Read;
use std::time::{Duration, Instant};

/// Why an exchange failed; [`Failure::code`] is its diagnostic code.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No connection could be made (refused, no route, DNS): E412, worth retrying.
    Connect(String),
    /// The connection failed after it was made (dropped, reset): E412, not retried.
    Io(String),
    /// No complete reply within the deadline: E413.
    Timeout,
    /// An HTTP error status, with the start of its body: E414 (5xx is worth retrying).
    Status(u16, String),
    /// A reply body over the byte cap: E415.
    TooLarge,
    /// A reply that is not HTTP (bad status line or header): E415.
    Malformed(String),
}

impl Failure {
    pub fn code(&self) -> Code {
        match self {
            Failure::Connect(_) | Failure::Io(_) => Code::E412,
            Failure::Timeout => Code::E413,
            Failure::Status(..) => Code::E414,
            Failure::TooLarge | Failure::Malformed(_) => Code::E415,
        }
    }

    /// Is another attempt worth making? Only when nothing reached the server (a connect failure)
    /// or the server said it failed (5xx); never after a timeout or a dropped connection, where
    /// the server may still be working.
    pub fn retryable(&self) -> bool {
        matches!(self, Failure::Connect(_)) || matches!(self, Failure::Status(s, _) if *s >= 500)
    }

    /// `URL: what happened`, for a diagnostic's message.
    pub fn message(&self, url: &str, deadline: Duration, cap: usize) -> String {
        match self {
            Failure::Connect(e) | Failure::Malformed(e) => format!("{url}: {e}"),
            Failure::Io(e) => format!("{url}: {e}"),
            Failure::Timeout => format!("{url}: no complete reply within {deadline:?}"),
            Failure::Status(code, text) => format!("{url}: HTTP {code}: {text}"),
            Failure::TooLarge => format!("{url}: the reply is over {cap} bytes"),
        }
    }
}

/// POST `body` (JSON text) to `url` and return the reply body: at most `cap` bytes, all of it
/// within `deadline` of the start (connect included). An error status is [`Failure::Status`]
/// with the first 300 characters of its body.
pub fn post_json(agent: &ureq::Agent, url: &str, bearer: Option<&str>, body: &[u8], deadline: Duration, cap: usize) -> Result<Vec<u8>, Failure> {
    let started = Instant::now();
    let deadline = deadline.max(Duration::from_millis(1));
    let mut req = agent.post(url).timeout(deadline).set("Content-Type", "application/json");
    if let Some(k) = bearer {
        req = req.set("Authorization", &format!("Bearer {k}"));
    }
    let resp = match req.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let left = deadline.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
            let text = read_capped(r, 4096, left, Instant::now()).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            return Err(Failure::Status(code, text.chars().take(300).collect()));
        }
        Err(ureq::Error::Transport(t)) => {
            let text = t.to_string();
            let timed_out = started.elapsed() >= deadline || text.contains("timed out") || text.contains("Timed out");
            return Err(match t.kind() {
                _ if timed_out => Failure::Timeout,
                ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => Failure::Malformed(text),
                ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns => Failure::Connect(text),
                _ => Failure::Io(text),
            });
        }
    };
    read_capped(resp, cap, deadline, started).map_err(|e| match e {
        ReadError::TooLarge => Failure::TooLarge,
        ReadError::Deadline => Failure::Timeout,
        ReadError::Io(e) => Failure::Io(format!("reading the reply: {e}")),
    })
}

/// GET `url`: the body as for [`post_json`].
pub fn get(agent: &ureq::Agent, url: &str, deadline: Duration, cap: usize) -> Result<Vec<u8>, Failure> {
    let started = Instant::now();
    let deadline = deadline.max(Duration::from_millis(1));
    let resp = match agent.get(url).timeout(deadline).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => return Err(Failure::Status(code, String::new())),
        Err(ureq::Error::Transport(t)) => {
            let text = t.to_string();
            return Err(match t.kind() {
                _ if started.elapsed() >= deadline || text.contains("timed out") => Failure::Timeout,
                ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Dns => Failure::Connect(text),
                ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => Failure::Malformed(text),
                _ => Failure::Io(text),
            });
        }
    };
    read_capped(resp, cap, deadline, started).map_err(|e| match e {
        ReadError::TooLarge => Failure::TooLarge,
        ReadError::Deadline => Failure::Timeout,
        ReadError::Io(e) => Failure::Io(format!("reading the reply: {e}")),
    })
}

enum ReadError {
    TooLarge,
    Deadline,
    Io(std::io::Error),
}

/// A reply body, at most `cap` bytes, all of it by `started + deadline` (checked between reads;
/// ureq's own deadline bounds a read that stalls).
fn read_capped(resp: ureq::Response, cap: usize, deadline: Duration, started: Instant) -> Result<Vec<u8>, ReadError> {
    let mut reader = resp.into_reader();
    let mut out = Vec::new();
    let mut buf = [0u8; 16 << 10];
    loop {
        if started.elapsed() > deadline {
            return Err(ReadError::Deadline);
        }
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) || started.elapsed() > deadline => return Err(ReadError::Deadline),
            Err(e) => return Err(ReadError::Io(e)),
        };
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > cap {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&buf[..n]);
    }
}
