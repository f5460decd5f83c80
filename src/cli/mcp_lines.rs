//! The line filter in front of `dwim mcp`'s JSON-RPC transport. Every line from the client passes
//! here first, read with a bounded buffer: a line that is not UTF-8, not JSON, or longer than
//! `--max-request-mb` is dropped and said on stderr (its line number and why); the rest go on to
//! rmcp unchanged. Nothing is replied to a dropped line: MCP requires every response to carry
//! the request's id (never null), and a line that is not JSON has none; the official SDKs drop
//! such lines too, so that a peer that echoes errors back cannot start an error storm. A line
//! that is JSON but not a valid message still reaches rmcp, which replies -32600.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

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
pub async fn forward<R, W>(input: R, mut out: W, max_line: usize, mut say: impl FnMut(&str)) -> u64
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
                Ok(false) => {}
                Ok(true) => {
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

/// `Ok(true)`: pass the line on; `Ok(false)`: a blank line, skipped as rmcp skips it.
fn judge(line: &[u8]) -> Result<bool, Dropped> {
    let text = std::str::from_utf8(line).map_err(|e| Dropped::NotUtf8(e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Ok(false);
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(Dropped::NotJson)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], max_line: usize) -> (String, Vec<String>, u64) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut out = Vec::new();
        let mut said = Vec::new();
        let n = rt.block_on(forward(input, &mut out, max_line, |s| said.push(s.to_string())));
        (String::from_utf8(out).unwrap(), said, n)
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
