//! `RemoteTool`: a tool whose calls are HTTP requests to a tool server.

use super::manifest::Endpoint;
use super::wire::{decode_reply, encode_call, Reply};
use crate::diag::{Code, Diagnostic};
use crate::http::{post_json, Failure};
use crate::limits::Limits;
use crate::tools::{Args, Signature, Tool, ToolCtx};
use crate::value::Value;
use std::time::{Duration, Instant};

pub struct RemoteTool {
    sig: Signature,
    endpoint: Endpoint,
    agent: ureq::Agent,
}

/// An agent that keeps no idle connections: every call opens its own, so a connection a server
/// dropped or left half-read never carries into the next call.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().max_idle_connections(0).redirects(0).build()
}

impl RemoteTool {
    pub fn new(sig: Signature, endpoint: Endpoint, agent: ureq::Agent) -> RemoteTool {
        RemoteTool { sig, endpoint, agent }
    }

    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// One call's time, all attempts together: the manifest's `timeout_ms`, else
    /// `Limits::tool_deadline`; never more than `Limits::reply_deadline`.
    pub fn per_call(&self, limits: &Limits) -> Duration {
        self.endpoint.timeout.unwrap_or(limits.tool_deadline).min(limits.reply_deadline)
    }

    /// Bytes of one reply: the manifest's `max_reply_bytes`, at most `Limits::max_reply_bytes`.
    pub fn reply_cap(&self, limits: &Limits) -> usize {
        self.endpoint.max_reply_bytes.unwrap_or(limits.max_reply_bytes).min(limits.max_reply_bytes)
    }

    /// POST the request, retrying a connect failure or a 5xx at most `retries` times with a short
    /// pause, never past `deadline`. Returns the last failure and how many attempts were made.
    fn exchange(&self, body: &[u8], deadline: Duration, cap: usize) -> Result<Vec<u8>, (Failure, u32)> {
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            let left = deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err((Failure::Timeout, attempts));
            }
            attempts += 1;
            match post_json(&self.agent, &self.endpoint.url, None, body, left, cap) {
                Ok(b) => return Ok(b),
                Err(f) if f.retryable() && attempts <= self.endpoint.retries => {
                    let pause = Duration::from_millis(50 << attempts.min(4));
                    if started.elapsed() + pause >= deadline {
                        return Err((f, attempts));
                    }
                    std::thread::sleep(pause);
                }
                Err(f) => return Err((f, attempts)),
            }
        }
    }
}

impl Tool for RemoteTool {
    fn signature(&self) -> &Signature {
        &self.sig
    }

    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let limits = ctx.limits().clone();
        let per_call = self.per_call(&limits);
        let deadline = ctx.call_deadline(per_call);
        let wall_bound = deadline < per_call;
        // Encoding copies every argument out: count it as the work it is.
        ctx.charge(args.values.iter().map(|v| v.size().nodes).fold(0, u64::saturating_add))?;
        let (body, images) = encode_call(&self.sig.name, args)?;
        let cap = self.reply_cap(&limits);
        let url = &self.endpoint.url;
        let name = &self.sig.name;
        let bytes = self.exchange(&body, deadline, cap).map_err(|(f, attempts)| {
            if wall_bound && f == Failure::Timeout {
                return Diagnostic::new(Code::E306, format!("the run reached its {:?} wall limit inside remote tool `{name}` ({url})", limits.max_wall));
            }
            let tries = if attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() };
            let d = Diagnostic::new(f.code(), format!("remote tool `{name}`: {}{tries}", f.message(url, deadline, cap)));
            match f {
                Failure::Connect(_) => d.help("is the tool server running? e.g. `python3 tools-remote/python/dwim_tool_server.py tools.py --port PORT`"),
                Failure::Timeout => d.help("raise `timeout_ms` in the manifest (up to Limits::reply_deadline), or make the tool faster"),
                Failure::TooLarge => d.help("raise `max_reply_bytes` in the manifest (up to Limits::max_reply_bytes), or return less"),
                _ => d,
            }
        })?;
        let in_context = |d: Diagnostic| Diagnostic { message: format!("remote tool `{name}` ({url}): {}", d.message), ..d };
        match decode_reply(&bytes, &images, &limits).map_err(in_context)? {
            Reply::ToolError(msg) => Err(in_context(Diagnostic::new(Code::E401, msg))),
            Reply::Ok(v) => {
                let want = match self.sig.result_like {
                    Some(i) => args.get(i).type_of(),
                    None => self.sig.result.clone(),
                };
                if !crate::fields::fits(&want, &v) {
                    return Err(in_context(Diagnostic::new(Code::E407, format!("returned {}, but its signature promises {want}", v.type_of()))));
                }
                Ok(v)
            }
        }
    }
}
