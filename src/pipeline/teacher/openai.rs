//! A teacher behind any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, llama.cpp's
//! server, Ollama, hosted APIs). The prompt is built from the tool signatures, few-shot examples and
//! the ground-truth target; each earlier step and its observation become chat turns, and a step that
//! failed to parse or check gets its JSON diagnostics back, as DWIM's executor returns tracebacks.

use super::{extract_step, Teacher, TeacherInput, Turn};
use crate::diag::Diagnostic;
use crate::http::chat::{chat, ChatRequest};
use serde_json::json;
use std::time::Duration;

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
    /// for a reply over `max_reply_bytes` or one that is not a chat completion (see
    /// [`crate::http::chat::chat`], the client it shares with `llm_query`).
    pub fn chat(&self, messages: Vec<serde_json::Value>, max_tokens: u32) -> Result<String, Diagnostic> {
        let req = ChatRequest {
            base: &self.base,
            model: &self.model,
            api_key: self.api_key.as_deref(),
            temperature: self.temperature,
            max_tokens,
            stop: &["\nStep", "\nResult"],
            messages,
        };
        chat(&self.agent, &req, self.reply_deadline, self.max_reply_bytes).map_err(|d| {
            d.tool("teacher").help("is the endpoint an OpenAI-compatible chat server? e.g. `llama-server -m model.gguf --port 8080`")
        })
    }
}
