//! A teacher behind any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, llama.cpp's
//! server, Ollama, hosted APIs). The prompt is built from the tool signatures, few-shot examples and
//! the ground-truth target; each earlier step and its observation become chat turns, and a step that
//! failed to parse or check gets its JSON diagnostics back, as DWIM's executor returns tracebacks.

use super::{extract_step, Teacher, TeacherInput, Turn};
use crate::diag::{Code, Diagnostic};
use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};

pub struct OpenAiTeacher {
    /// Base URL, e.g. `http://127.0.0.1:8080/v1`.
    pub base: String,
    pub model: String,
    pub api_key: Option<String>,
    pub temperature: f64,
    pub max_tokens: u32,
    pub few_shot: String,
    /// Bytes of one reply body (E415 beyond); `Limits::max_reply_bytes`.
    pub max_reply_bytes: usize,
    /// Total time for one request, connect to the last byte of the reply (E413);
    /// `Limits::reply_deadline`. A body that never ends or drips one byte at a time ends here.
    pub reply_deadline: Duration,
    agent: ureq::Agent,
}

/// Worked examples shown to the teacher (real workflows from `programs/`).
pub const FEW_SHOT: &str = "Example.
Question: How many red objects are there?
Target answer: 3
Step 1: objects = segment(image)
Result 1: objects = [region(10, 10, 50, 50, \"red square\"), region(80, 20, 130, 70, \"red circle\"), region(150, 30, 200, 80, \"blue circle\"), region(220, 141, 280, 200, \"red triangle\")]
Step 2: red = filter(objects, o -> color(o) == \"red\")
Result 2: red = [region(10, 10, 50, 50, \"red square\"), region(80, 20, 130, 70, \"red circle\"), region(220, 141, 280, 200, \"red triangle\")]
Step 3: answer count(red)
";

impl OpenAiTeacher {
    pub fn new(base: &str, model: &str) -> Self {
        OpenAiTeacher {
            base: base.trim_end_matches('/').to_string(),
            model: model.to_string(),
            api_key: std::env::var("OPENAI_API_KEY").ok(),
            temperature: 0.2,
            max_tokens: 128,
            few_shot: FEW_SHOT.to_string(),
            max_reply_bytes: 0,
            reply_deadline: Duration::ZERO,
            agent: ureq::AgentBuilder::new().build(),
        }
        .with_limits(&crate::Limits::default())
    }

    /// Use the reply bounds of `limits` (`max_reply_bytes`, `reply_deadline`).
    pub fn with_limits(mut self, limits: &crate::Limits) -> Self {
        self.max_reply_bytes = limits.max_reply_bytes;
        self.reply_deadline = limits.reply_deadline;
        self.agent = ureq::AgentBuilder::new().timeout(limits.reply_deadline).build();
        self
    }

    /// The chat messages for the next step.
    pub fn messages(&self, input: &TeacherInput<'_>) -> Vec<serde_json::Value> {
        let system = format!(
            "You write workflows in the dwim language to answer questions about an image, ONE step per reply: \
             `name = expr`, `think \"...\"`, `rethink \"...\"`, or `answer expr` (last). The image is `image`. \
             You are shown the correct answer as a target: reach it by using the tools, never by writing the \
             answer as a literal. When a result contradicts what the target implies, reply with \
             `rethink \"<what is wrong>\"` and then try another way.\n\nTools:\n{}\n{}",
            input.tools, self.few_shot
        );
        let mut msgs = vec![
            json!({"role": "system", "content": system}),
            json!({"role": "user", "content": format!("Question: {}\nTarget answer: {}\nStep 1:", input.question, input.target)}),
        ];
        let mut k = 1;
        for t in input.history {
            match t {
                Turn::Ran { source, observation } => {
                    k += 1;
                    msgs.push(json!({"role": "assistant", "content": source}));
                    msgs.push(json!({"role": "user", "content": format!("Result {}: {observation}\nStep {k}:", k - 1)}));
                }
                Turn::Rejected { source, diagnostics } => {
                    msgs.push(json!({"role": "assistant", "content": source}));
                    msgs.push(json!({"role": "user", "content": format!("That step was rejected: {diagnostics}\nWrite step {k} again.")}));
                }
                Turn::Discrepancy { message } => {
                    if let Some(last) = msgs.last_mut() {
                        let c = last["content"].as_str().unwrap_or("").to_string();
                        last["content"] = json!(format!("{c}\nDiscrepancy: {message}. Reply with a rethink step naming it."));
                    }
                }
            }
        }
        msgs
    }
}

impl Teacher for OpenAiTeacher {
    fn name(&self) -> String {
        format!("openai:{}", self.base)
    }

    fn next_step(&mut self, input: &TeacherInput<'_>) -> Result<String, Diagnostic> {
        let content = self.chat(self.messages(input), self.max_tokens)?;
        Ok(extract_step(&content))
    }
}

impl OpenAiTeacher {
    /// One chat completion: the reply's text. E412 when the endpoint cannot be reached, E413 when
    /// the whole exchange takes longer than `reply_deadline`, E414 for an HTTP error status, E415
    /// for a reply over `max_reply_bytes` or one that is not a chat completion.
    pub fn chat(&self, messages: Vec<serde_json::Value>, max_tokens: u32) -> Result<String, Diagnostic> {
        let url = format!("{}/chat/completions", self.base);
        let body = json!({
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": max_tokens,
            "stop": ["\nStep", "\nResult"],
        });
        let started = Instant::now();
        let mut req = self.agent.post(&url).timeout(self.reply_deadline);
        if let Some(k) = &self.api_key {
            req = req.set("Authorization", &format!("Bearer {k}"));
        }
        let fail = |code: Code, m: String| Diagnostic::new(code, m).tool("teacher").help("is the endpoint an OpenAI-compatible chat server? e.g. `llama-server -m model.gguf --port 8080`");
        let resp = match req.send_json(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(code, r)) => {
                let text = read_capped(r, 4096, self.reply_deadline.saturating_sub(started.elapsed()).max(Duration::from_millis(1)), started).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                return Err(fail(Code::E414, format!("{url}: HTTP {code}: {}", text.chars().take(300).collect::<String>())));
            }
            Err(ureq::Error::Transport(t)) => {
                let timed_out = started.elapsed() >= self.reply_deadline || t.to_string().contains("timed out") || t.to_string().contains("Timed out");
                let code = match t.kind() {
                    _ if timed_out => Code::E413,
                    ureq::ErrorKind::BadStatus | ureq::ErrorKind::BadHeader => Code::E415,
                    _ => Code::E412,
                };
                let what = if code == Code::E413 { format!("no complete reply within {:?}", self.reply_deadline) } else { t.to_string() };
                return Err(fail(code, format!("{url}: {what}")));
            }
        };
        let bytes = read_capped(resp, self.max_reply_bytes, self.reply_deadline, started).map_err(|e| match e {
            ReadError::TooLarge => fail(Code::E415, format!("{url}: the reply is over {} bytes", self.max_reply_bytes)),
            ReadError::Deadline => fail(Code::E413, format!("{url}: no complete reply within {:?}", self.reply_deadline)),
            ReadError::Io(e) => fail(Code::E412, format!("{url}: reading the reply: {e}")),
        })?;
        let resp: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| fail(Code::E415, format!("{url}: the reply is not JSON: {e}")))?;
        resp["choices"][0]["message"]["content"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| fail(Code::E415, format!("{url}: no choices[0].message.content in the reply")))
    }
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
