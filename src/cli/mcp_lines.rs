//! The line filter in front of `dwim mcp`'s JSON-RPC transport. Every line from the client passes
//! here first, read with a bounded buffer: a line that is not UTF-8, not JSON, or longer than
//! `--max-request-mb` is dropped and said on stderr (its line number and why); the rest go on to
//! rmcp unchanged. Nothing is replied to a dropped line: MCP requires every response to carry
//! the request's id (never null), and a line that is not JSON has none; the official SDKs drop
//! such lines too, so that a peer that echoes errors back cannot start an error storm. A line
//! that is JSON but not a valid message still reaches rmcp, which replies -32600.
//!
//! Backpressure: rmcp reads on while its replies wait to be written, so a client that sends and
//! never reads would make it hold every reply (10,000 pipelined `trace` calls: 848 MB). Requests
//! pass here only while fewer than [`MAX_IN_FLIGHT`] are unanswered: [`replies`] copies rmcp's
//! output to stdout and marks a request answered once its reply is written. A client that stops
//! reading therefore stops the server reading, with at most that many replies held. A request the
//! client cancels stops counting as open, but its reply may still come: at most
//! [`CANCELLED_PER_OPEN`] × [`MAX_IN_FLIGHT`] of those wait for theirs before the filter waits too.

use rmcp::model::{ClientJsonRpcMessage, ClientNotification, JsonRpcMessage};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Notify;

/// Requests read and not yet answered, at most.
pub const MAX_IN_FLIGHT: usize = 32;

/// How long the filter waits on a full set of requests while replies are not held up by the
/// client, before it stops counting them (a request rmcp never answers must not stop the server).
const STALL: Duration = Duration::from_secs(30);

/// The requests rmcp has been given and has not answered yet, by id (as compact JSON).
pub struct InFlight {
    sets: Mutex<Sets>,
    changed: Notify,
    /// A reply is being written to stdout and the client has not taken it yet.
    writing: AtomicBool,
    cap: usize,
}

#[derive(Default)]
struct Sets {
    /// Requests whose reply has not been written.
    open: HashSet<String>,
    /// Requests the client cancelled before their reply was written. rmcp drops the reply of a
    /// request still running, but one already made still comes: each stays here until its reply
    /// is written or the filter stops waiting, so cancelling cannot make room without bound.
    cancelled: HashSet<String>,
}

impl InFlight {
    pub fn new(cap: usize) -> Arc<InFlight> {
        Arc::new(InFlight { sets: Mutex::new(Sets::default()), changed: Notify::new(), writing: AtomicBool::new(false), cap: cap.max(1) })
    }

    fn sets(&self) -> std::sync::MutexGuard<'_, Sets> {
        self.sets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until another request may go to rmcp, then count `id` as in flight.
    async fn admit(&self, id: String, say: &mut impl FnMut(&str)) {
        loop {
            let notified = self.changed.notified();
            {
                let sets = self.sets();
                if sets.open.len() < self.cap && sets.cancelled.len() < CANCELLED_PER_OPEN * self.cap {
                    break;
                }
            }
            if tokio::time::timeout(STALL, notified).await.is_err() && !self.writing.load(Ordering::Relaxed) {
                let n = std::mem::take(&mut *self.sets()).open.len();
                say(&format!("dwim mcp: {n} requests unanswered for {} s; no longer waiting for them", STALL.as_secs()));
            }
        }
        self.sets().open.insert(id);
    }

    /// The reply to `id` was written.
    fn answered(&self, id: &str) {
        let mut sets = self.sets();
        let freed = sets.open.remove(id) | sets.cancelled.remove(id);
        drop(sets);
        if freed {
            self.changed.notify_one();
        }
    }

    /// The client cancelled `id`.
    fn cancelled(&self, id: &str) {
        let mut sets = self.sets();
        if sets.open.remove(id) {
            sets.cancelled.insert(id.to_string());
            drop(sets);
            self.changed.notify_one();
        }
    }
}

/// Cancelled requests whose reply may still come, per request that may be open.
const CANCELLED_PER_OPEN: usize = 8;

/// What a line passed on is, for the count of requests in flight.
enum Kind {
    Request(String),
    Cancel(String),
    Other,
}

/// Dropped lines said one by one on stderr; after these, they are only counted.
const SAID: u64 = 50;

/// Why a line was dropped.
enum Dropped {
    NotUtf8(usize),
    NotJson(serde_json::Error),
    TooLong,
}

/// Copy `input` to `out` line by line, dropping the lines rmcp would skip without a word, and
/// saying each on stderr through `say` (the first [`SAID`], then a count at the end). Returns
/// how many lines were dropped. Ends at the input's end or when `out` is closed.
pub async fn forward<R, W>(input: R, mut out: W, max_line: usize, flight: Arc<InFlight>, mut say: impl FnMut(&str)) -> u64
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::with_capacity(64 << 10, input);
    let mut line: Vec<u8> = Vec::new();
    let (mut number, mut dropped) = (0u64, 0u64);
    let mut too_long = false;
    loop {
        let chunk = match input.fill_buf().await {
            Ok(c) => c,
            Err(e) => {
                say(&format!("dwim mcp: reading stdin failed: {e}"));
                break;
            }
        };
        let at_end = chunk.is_empty();
        let newline = chunk.iter().position(|&b| b == b'\n');
        let take = newline.map_or(chunk.len(), |i| i + 1);
        if !too_long {
            if line.len() + take > max_line.saturating_add(1) {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&chunk[..take]);
            }
        }
        input.consume(take);
        if newline.is_none() && !at_end {
            continue;
        }
        // A whole line (or the input's last, unterminated one).
        if !(at_end && line.is_empty() && !too_long) {
            number += 1;
            let verdict = if too_long { Err(Dropped::TooLong) } else { judge(&line) };
            match verdict {
                Ok(None) => {}
                Ok(Some(kind)) => {
                    match kind {
                        Kind::Request(id) => flight.admit(id, &mut say).await,
                        Kind::Cancel(id) => flight.cancelled(&id),
                        Kind::Other => {}
                    }
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                    if out.write_all(&line).await.is_err() || out.flush().await.is_err() {
                        break;
                    }
                }
                Err(why) => {
                    dropped += 1;
                    if dropped <= SAID {
                        let why = match why {
                            Dropped::NotUtf8(at) => format!("not UTF-8 (byte {at})"),
                            Dropped::NotJson(e) => format!("not JSON ({e})"),
                            Dropped::TooLong => format!("longer than --max-request-mb ({} MiB)", max_line >> 20),
                        };
                        say(&format!("dwim mcp: stdin line {number} dropped, no reply: {why}"));
                        if dropped == SAID {
                            say("dwim mcp: further dropped lines are counted, not said");
                        }
                    }
                }
            }
            line.clear();
            too_long = false;
        }
        if at_end {
            break;
        }
    }
    if dropped > SAID {
        say(&format!("dwim mcp: {dropped} stdin lines dropped in all"));
    }
    dropped
}

/// `Ok(Some(kind))`: pass the line on; `Ok(None)`: a blank line, skipped as rmcp skips it.
fn judge(line: &[u8]) -> Result<Option<Kind>, Dropped> {
    let text = std::str::from_utf8(line).map_err(|e| Dropped::NotUtf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(Dropped::NotJson)?;
    // Read as rmcp reads it: only a request rmcp takes is answered, so only that one is counted.
    Ok(Some(match serde_json::from_str::<ClientJsonRpcMessage>(text) {
        Ok(JsonRpcMessage::Request(r)) => Kind::Request(id_key(&r.id)),
        Ok(JsonRpcMessage::Notification(n)) => match n.notification {
            ClientNotification::CancelledNotification(c) => c.params.request_id.as_ref().map_or(Kind::Other, |id| Kind::Cancel(id_key(id))),
            _ => Kind::Other,
        },
        _ => Kind::Other,
    }))
}

fn id_key(id: &rmcp::model::RequestId) -> String {
    serde_json::to_string(id).unwrap_or_default()
}

/// Copy rmcp's output to `out` line by line, marking each request answered once its reply is
/// written (and flushed). Ends when rmcp closes its output. Once `out` fails (the client closed
/// it), replies are read and dropped, so rmcp never waits on them and the server ends quietly
/// when stdin does.
pub async fn replies<R, W>(from_rmcp: R, mut out: W, flight: Arc<InFlight>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    #[derive(serde::Deserialize)]
    struct Reply {
        id: Option<rmcp::model::RequestId>,
        result: Option<serde::de::IgnoredAny>,
        error: Option<serde::de::IgnoredAny>,
    }
    let mut input = BufReader::new(from_rmcp);
    let mut line = Vec::new();
    let mut open = true;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if open {
            flight.writing.store(true, Ordering::Relaxed);
            open = out.write_all(&line).await.is_ok() && out.flush().await.is_ok();
            flight.writing.store(false, Ordering::Relaxed);
        }
        if let Ok(Reply { id: Some(id), result, error }) = serde_json::from_slice::<Reply>(&line) {
            if result.is_some() || error.is_some() {
                flight.answered(&id_key(&id));
            }
        }
    }
    let _ = out.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], max_line: usize) -> (String, Vec<String>, u64) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let mut out = Vec::new();
        let mut said = Vec::new();
        let n = rt.block_on(forward(input, &mut out, max_line, InFlight::new(MAX_IN_FLIGHT), |s| said.push(s.to_string())));
        (String::from_utf8(out).unwrap(), said, n)
    }

    fn request(id: usize) -> String {
        format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\n")
    }

    #[test]
    fn cancelling_does_not_make_room_without_bound() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let flight = InFlight::new(1);
            for i in 0..CANCELLED_PER_OPEN {
                flight.admit(i.to_string(), &mut |_| {}).await;
                flight.cancelled(&i.to_string());
            }
            // Eight cancelled replies may still come: the next request waits for one of them.
            let next = tokio::time::timeout(Duration::from_millis(100), flight.admit("x".into(), &mut |_| {})).await;
            assert!(next.is_err(), "admitted past the cancelled replies that may still come");
            flight.answered("3");
            let next = tokio::time::timeout(Duration::from_millis(100), flight.admit("x".into(), &mut |_| {})).await;
            assert!(next.is_ok(), "a reply written makes room");
        });
    }

    #[test]
    fn requests_wait_while_too_many_are_unanswered() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let flight = InFlight::new(4);
            let input: String = (1..=10).map(request).collect();
            let (to_rmcp, mut from_filter) = tokio::io::duplex(1 << 20);
            let filter = tokio::spawn(forward(std::io::Cursor::new(input.into_bytes()), to_rmcp, 1 << 20, flight.clone(), |_| {}));
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut got = vec![0u8; 1 << 16];
            let n = tokio::io::AsyncReadExt::read(&mut from_filter, &mut got).await.unwrap();
            assert_eq!(String::from_utf8_lossy(&got[..n]).lines().count(), 4, "four in flight, the rest wait");
            // Two replies written: two more requests pass. A cancellation frees one too.
            let (mut rmcp_out, from_rmcp) = tokio::io::duplex(1 << 16);
            let mut stdout = Vec::new();
            let copier = tokio::spawn({
                let flight = flight.clone();
                async move {
                    replies(from_rmcp, &mut stdout, flight).await;
                    stdout
                }
            });
            rmcp_out.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":1,\"message\":\"m\"}}\n").await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
            let n = tokio::io::AsyncReadExt::read(&mut from_filter, &mut got).await.unwrap();
            assert_eq!(String::from_utf8_lossy(&got[..n]).lines().count(), 2);
            flight.cancelled("3");
            tokio::time::sleep(Duration::from_millis(50)).await;
            let n = tokio::io::AsyncReadExt::read(&mut from_filter, &mut got).await.unwrap();
            assert_eq!(String::from_utf8_lossy(&got[..n]).lines().count(), 1);
            drop(rmcp_out);
            assert_eq!(String::from_utf8(copier.await.unwrap()).unwrap().lines().count(), 3, "every reply line reaches stdout");
            filter.abort();
        });
    }

    #[test]
    fn good_lines_pass_and_bad_ones_are_said() {
        let mut input = b"{\"a\":1}\n\n[[[\n".to_vec();
        input.extend_from_slice(b"\"\xff\"\n");
        input.extend_from_slice(format!("{{\"p\":\"{}\"}}\n", "x".repeat(3000)).as_bytes());
        input.extend_from_slice(b"{\"b\":2}");
        let (out, said, n) = run(&input, 1024);
        assert_eq!(out, "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(n, 3, "{said:?}");
        assert!(said[0].contains("line 3") && said[0].contains("not JSON"), "{said:?}");
        assert!(said[1].contains("line 4") && said[1].contains("not UTF-8 (byte 1)"), "{said:?}");
        assert!(said[2].contains("line 5") && said[2].contains("--max-request-mb"), "{said:?}");
    }

    #[test]
    fn a_storm_is_counted_not_said_line_by_line() {
        let input = "[\n".repeat(10_000) + "{}\n";
        let (out, said, n) = run(input.as_bytes(), 1 << 20);
        assert_eq!((out.as_str(), n), ("{}\n", 10_000));
        assert_eq!(said.len(), SAID as usize + 2, "the first {SAID}, a notice, and the count");
        assert!(said.last().unwrap().contains("10000 stdin lines dropped"), "{said:?}");
    }
}
