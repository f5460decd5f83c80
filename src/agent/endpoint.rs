//! A policy behind any OpenAI-compatible chat endpoint (`--policy openai:URL[#MODEL]`): a frozen
//! LLM (the paper's few-shot baseline) or a model fine-tuned elsewhere and served by vLLM or
//! llama.cpp. It writes one step per turn in DWIM's step/result protocol: it is shown the run's
//! tool listing, worked examples, the question, each step's result, and for a rejected step the
//! checker's diagnostics as JSON. It is never shown the answer.

use super::Seen;
use crate::diag::Diagnostic;
use crate::pipeline::teacher::extract_step;
use crate::pipeline::teacher::openai::OpenAiTeacher;
use serde_json::json;

pub struct EndpointPolicy {
    pub client: OpenAiTeacher,
    /// Worked examples ([`super::shots`]); `shots_k` of them are shown, never one of the
    /// question being answered.
    pub shots: Vec<String>,
    pub shots_k: usize,
}

impl EndpointPolicy {
    /// `URL[#MODEL]`, e.g. `http://127.0.0.1:8080/v1#smollm2`; replies bounded by `limits`.
    pub fn new(spec: &str, limits: &crate::Limits) -> EndpointPolicy {
        let (base, model) = spec.rsplit_once('#').unwrap_or((spec, "default"));
        let mut client = OpenAiTeacher::new(base, model).with_limits(limits);
        client.temperature = 0.0;
        EndpointPolicy { client, shots: Vec::new(), shots_k: 0 }
    }

    pub fn name(&self) -> String {
        format!("openai:{}#{}", self.client.base, self.client.model)
    }

    /// The chat messages for the next step.
    pub fn messages(&self, tools: &str, question: &str, history: &[Seen]) -> Vec<serde_json::Value> {
        let rendered = super::shots::render_for(&self.shots, self.shots_k, question);
        let examples = if rendered.is_empty() { String::new() } else { format!("\n{rendered}\n") };
        let system = format!(
            "You write workflows in the dwim language to answer questions about an image, ONE step per reply: \
             `name = expr`, `think \"...\"`, or `answer expr` (the last step). The image is `image`. Use only \
             the tools below; each step's result is shown to you before the next.\n\nTools:\n{tools}{examples}"
        );
        let mut msgs = vec![json!({"role": "system", "content": system}), json!({"role": "user", "content": format!("Question: {question}\nStep 1:")})];
        let mut k = 1;
        for s in history {
            msgs.push(json!({"role": "assistant", "content": s.source}));
            match &s.diagnostics {
                Some(d) => msgs.push(json!({"role": "user", "content": format!("That step was rejected: {d}\nWrite step {k} again.")})),
                None => {
                    k += 1;
                    msgs.push(json!({"role": "user", "content": format!("Result {}: {}\nStep {k}:", k - 1, s.observation)}));
                }
            }
        }
        msgs
    }

    /// The next step: the reply at temperature 0, and if `accepts` refuses it, up to `tries - 1`
    /// more at 0.7; the first accepted wins, else the first (which the engine then rejects).
    pub fn next_step_checked(&self, tools: &str, question: &str, history: &[Seen], tries: usize, accepts: impl Fn(&str) -> bool) -> Result<String, Diagnostic> {
        let messages = self.messages(tools, question, history);
        let mut first = None;
        for attempt in 0..tries.max(1) {
            let mut client_msgs = messages.clone();
            if attempt > 0 {
                // A different sample: the same conversation at a higher temperature.
                client_msgs.push(json!({"role": "user", "content": "Write the step again, differently."}));
            }
            let temperature = if attempt == 0 { self.client.temperature } else { 0.7 };
            let reply = self.chat_at(client_msgs, temperature)?;
            let line = extract_step(&reply);
            if accepts(&line) {
                return Ok(line);
            }
            first.get_or_insert(line);
        }
        Ok(first.unwrap_or_default())
    }

    fn chat_at(&self, messages: Vec<serde_json::Value>, temperature: f64) -> Result<String, Diagnostic> {
        if temperature == self.client.temperature {
            return self.client.chat(messages, self.client.max_tokens).map_err(as_policy);
        }
        let mut c = OpenAiTeacher::new(&self.client.base, &self.client.model);
        c.api_key = self.client.api_key.clone();
        c.max_reply_bytes = self.client.max_reply_bytes;
        c.reply_deadline = self.client.reply_deadline;
        c.temperature = temperature;
        c.chat(messages, self.client.max_tokens).map_err(as_policy)
    }
}

/// An endpoint error, named as the policy's (the client names its errors `teacher`).
fn as_policy(mut d: Diagnostic) -> Diagnostic {
    d.tool = Some("policy".into());
    d
}
