//! One exchange with an OpenAI-compatible `/v1/chat/completions` endpoint (vLLM, llama.cpp's
//! server, Ollama, hosted APIs): the teacher's and `llm_query`'s client.

use super::post_json;
use crate::diag::{Code, Diagnostic};
use serde_json::json;
use std::time::Duration;

/// What one chat request asks for.
pub struct ChatRequest<'a> {
    /// Base URL, e.g. `http://127.0.0.1:8080/v1`; `/chat/completions` is appended.
    pub base: &'a str,
    pub model: &'a str,
    pub api_key: Option<&'a str>,
    pub temperature: f64,
    pub max_tokens: u32,
    pub stop: &'a [&'a str],
    pub messages: Vec<serde_json::Value>,
}

/// The reply's `choices[0].message.content`. E412 when the endpoint cannot be reached, E413 when
/// the whole exchange takes longer than `deadline`, E414 for an HTTP error status, E415 for a
/// reply over `cap` bytes or one that is not a chat completion. Messages name the URL.
pub fn chat(agent: &ureq::Agent, req: &ChatRequest<'_>, deadline: Duration, cap: usize) -> Result<String, Diagnostic> {
    let url = format!("{}/chat/completions", req.base.trim_end_matches('/'));
    let mut body = json!({
        "model": req.model,
        "messages": req.messages,
        "temperature": req.temperature,
        "max_tokens": req.max_tokens,
    });
    if !req.stop.is_empty() {
        body["stop"] = json!(req.stop);
    }
    let bytes = post_json(agent, &url, req.api_key, body.to_string().as_bytes(), deadline, cap)
        .map_err(|f| Diagnostic::new(f.code(), f.message(&url, deadline, cap)))?;
    let resp: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Diagnostic::new(Code::E415, format!("{url}: the reply is not JSON: {e}")))?;
    resp["choices"][0]["message"]["content"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| Diagnostic::new(Code::E415, format!("{url}: no choices[0].message.content in the reply")))
}
