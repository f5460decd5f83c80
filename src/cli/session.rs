//! `dwim session --image IMG`: one conversation over stdin/stdout, one JSON object per line each
//! way, for an agent loop in any language. Each step runs once, against the environment the
//! accepted steps built (no re-running of the prefix).
//!
//! In: `{"op": "step", "text": "n = len(segment(image))"}`, `{"op": "check", "text": …}` (runs
//! nothing), `{"op": "tools"}`, `{"op": "trace"}`, `{"op": "close"}`. Out, per request:
//! `{"ok": bool, "op": …}` plus, for `step`, the step records (`dwim.trace/1`: kind, observation,
//! result, error) and the answer when given; for a rejected step or a failed check, the
//! diagnostics as `dwim check --format json` gives them; `tools`: signatures and the prompt text;
//! `trace`: every record so far. A malformed request is answered with E504 and the session goes
//! on; end of input or `close` ends it with exit 0.

use super::common::{bad_input, named_images, Exit, Failure, ToolArgs};
use dwim::conversation::{error_reply, Conversation};
use dwim::value::Image;
use dwim::{Code, Diagnostic, Limits, Session, Value};
use serde_json::json;
use std::io::{BufRead, Read, Write};

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dwim session --image scene.png --tools benchmark\n  echo '{\"op\":\"step\",\"text\":\"answer len(segment(image))\"}' | dwim session --image scene.png\n  dwim session --image left=a.png --image right=b.png --plugins ~/my-plugins")]
pub struct SessionArgs {
    /// The input image, bound to `image`; or, repeated, `NAME=PATH` for several.
    #[arg(long, required = true)]
    pub image: Vec<String>,
    /// Use the default limits instead of the strict ones meant for model-written programs.
    #[arg(long)]
    pub lenient: bool,
    #[command(flatten)]
    pub tools: ToolArgs,
}

pub fn run(a: SessionArgs) -> Result<Exit, Failure> {
    let limits = if a.lenient { Limits::default() } else { Limits::strict() };
    let mut inputs = Vec::new();
    for (name, file) in named_images(&a.image)? {
        inputs.push((name, Image::load(&file, &limits).map_err(|d| bad_input(&d))?));
    }
    let registry = super::common::registry_within(&a.tools, &limits)?;
    let mut session = Session::new(&registry, limits.clone()).keep_records();
    for (name, img) in inputs {
        session.bind(&name, Value::Image(img));
    }
    let mut conversation = Conversation::new(session, &registry);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    // A request line may hold a program of `max_source_bytes` (JSON-escaped: up to 6 bytes each).
    let line_cap = (limits.max_source_bytes as u64).saturating_mul(6).saturating_add(4096);
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        let read = (&mut input).take(line_cap + 1).read_until(b'\n', &mut line);
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(bad_input(&Diagnostic::new(Code::E501, format!("stdin: {e}")))),
        }
        let reply = if line.len() as u64 > line_cap {
            // Skip the rest of the over-long line.
            let mut rest = Vec::new();
            let mut ended = line.ends_with(b"\n");
            while !ended {
                rest.clear();
                match (&mut input).take(1 << 16).read_until(b'\n', &mut rest) {
                    Ok(k) if k > 0 => ended = rest.ends_with(b"\n"),
                    _ => ended = true,
                }
            }
            error_reply(None, Diagnostic::new(Code::E311, format!("stdin:{n}: the request is over {line_cap} bytes")))
        } else if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            match serde_json::from_slice::<serde_json::Value>(&line) {
                Err(e) => error_reply(None, Diagnostic::new(Code::E504, format!("stdin:{n}: not a JSON request: {e}"))),
                Ok(req) => {
                    let op = req["op"].as_str().unwrap_or("").to_string();
                    if op == "close" {
                        let _ = writeln!(out, "{}", json!({"ok": true, "op": "close"}));
                        break;
                    }
                    conversation.request(&req)
                }
            }
        };
        if writeln!(out, "{reply}").and_then(|_| out.flush()).is_err() {
            // The reader went away: end quietly.
            return Ok(Exit::Ok);
        }
    }
    Ok(Exit::Ok)
}

