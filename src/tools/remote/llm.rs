//! `llm_query(prompt) -> text`: ViperGPT's and DWIM's knowledge tool, answered by an
//! OpenAI-compatible chat endpoint through the teacher's client ([`crate::http::chat`]).

use crate::diag::{Code, Diagnostic};
use crate::http::chat::{chat, ChatRequest};
use crate::tools::{Args, Param, Signature, Tool, ToolCtx, ToolKind};
use crate::types::Type;
use crate::value::Value;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Bytes of prompts and replies one tool keeps in its cache; past them new answers are not cached.
pub const CACHE_BYTES: usize = 64 << 20;
/// Tokens one reply may have.
pub const MAX_TOKENS: u32 = 256;

pub struct LlmQuery {
    sig: Signature,
    base: String,
    model: String,
    api_key: Option<String>,
    agent: ureq::Agent,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    answers: HashMap<String, Arc<str>>,
    bytes: usize,
    misses: u64,
}

/// E505 unless `spec` (the value of `flag`) is an endpoint `http://HOST[:PORT]/PATH[#MODEL]`.
pub fn check_endpoint(flag: &str, spec: &str) -> Result<(), Diagnostic> {
    let base = spec.split_once('#').map_or(spec, |(b, _)| b).trim_end_matches('/');
    if !base.starts_with("http://") || base.len() <= "http://".len() || base.chars().any(char::is_whitespace) {
        return Err(Diagnostic::new(Code::E505, format!("{flag} {spec}: expected an http:// URL, e.g. http://127.0.0.1:8080/v1#smollm2")));
    }
    Ok(())
}

impl LlmQuery {
    /// `spec` is `URL[#MODEL]`: the base URL of the chat endpoint (`http://host:port/v1`;
    /// `/chat/completions` is appended) and the model name sent (default `default`). The key in
    /// `OPENAI_API_KEY`, if set, is sent as a bearer token. E505 for a spec that is not an
    /// `http://` URL.
    pub fn new(spec: &str) -> Result<LlmQuery, Diagnostic> {
        check_endpoint("--llm", spec)?;
        let (base, model) = spec.split_once('#').unwrap_or((spec, "default"));
        let base = base.trim_end_matches('/');
        let doc = format!("ask a language model ({} at {base}) a question in words; returns its reply. Identical prompts are answered once", if model.is_empty() { "default" } else { model });
        let mut sig = Signature::new("llm_query", vec![Param::req("prompt", Type::Text)], Type::Text, &doc);
        sig.kind = ToolKind::Remote;
        Ok(LlmQuery {
            sig,
            base: base.to_string(),
            model: model.to_string(),
            api_key: std::env::var("OPENAI_API_KEY").ok(),
            agent: super::tool::agent(),
            cache: Mutex::new(Cache::default()),
        })
    }

    /// Prompts sent to the endpoint so far (cache misses).
    pub fn requests(&self) -> u64 {
        self.cache.lock().map(|c| c.misses).unwrap_or(0)
    }

    fn cached(&self, prompt: &str) -> Option<Arc<str>> {
        self.cache.lock().ok()?.answers.get(prompt).cloned()
    }

    fn remember(&self, prompt: &str, answer: &Arc<str>) {
        if let Ok(mut c) = self.cache.lock() {
            let size = prompt.len() + answer.len();
            if c.bytes + size <= CACHE_BYTES {
                c.bytes += size;
                c.answers.insert(prompt.to_string(), answer.clone());
            }
        }
    }
}

impl Tool for LlmQuery {
    fn signature(&self) -> &Signature {
        &self.sig
    }

    /// The reply's text, at most `Limits::max_text_len` bytes (E407 beyond). The exchange is
    /// bounded by `Limits::max_reply_bytes` (E415) and `Limits::reply_deadline` (E413), and never
    /// outlasts the run's wall limit (E306); codes as for the teacher (E412–E415).
    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let prompt = args.text(0)?;
        if let Some(a) = self.cached(prompt) {
            return Ok(Value::Text(a));
        }
        let limits = ctx.limits().clone();
        let deadline = ctx.call_deadline(limits.reply_deadline);
        let wall_bound = deadline < limits.reply_deadline;
        if let Ok(mut c) = self.cache.lock() {
            c.misses += 1;
        }
        let req = ChatRequest {
            base: &self.base,
            model: &self.model,
            api_key: self.api_key.as_deref(),
            temperature: 0.0,
            max_tokens: MAX_TOKENS,
            stop: &[],
            messages: vec![
                json!({"role": "system", "content": "Answer the question briefly and factually."}),
                json!({"role": "user", "content": prompt}),
            ],
        };
        let reply = chat(&self.agent, &req, deadline, limits.max_reply_bytes).map_err(|d| {
            if wall_bound && d.code == Code::E413 {
                Diagnostic::new(Code::E306, format!("the run reached its {:?} wall limit inside `llm_query` ({})", limits.max_wall, self.base))
            } else {
                Diagnostic { message: format!("llm_query: {}", d.message), ..d }
            }
        })?;
        let reply = reply.trim();
        if reply.len() > limits.max_text_len {
            return Err(Diagnostic::new(Code::E407, format!("llm_query ({}): a reply of {} bytes exceeds the text limit of {}", self.base, reply.len(), limits.max_text_len)));
        }
        let answer: Arc<str> = Arc::from(reply);
        self.remember(prompt, &answer);
        Ok(Value::Text(answer))
    }
}
