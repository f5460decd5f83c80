//! Chat-format JSONL that Hugging Face TRL (`SFTTrainer` with `assistant_only_loss`) and axolotl
//! (`type: chat_template`) train on unchanged: `{"messages": [{"role", "content"}, ...]}`, where the
//! assistant messages are exactly the target segments.

use super::mask::Sample;
use serde_json::json;

pub fn chat_json(s: &Sample, system: &str) -> serde_json::Value {
    let mut messages = vec![json!({"role": "system", "content": system})];
    let mut user = String::new();
    for seg in &s.segments {
        let text = if messages.len() == 1 && user.is_empty() { seg.text.strip_prefix(system).unwrap_or(&seg.text).trim_start_matches('\n') } else { &seg.text };
        if seg.target {
            if !user.is_empty() {
                messages.push(json!({"role": "user", "content": std::mem::take(&mut user)}));
            }
            messages.push(json!({"role": "assistant", "content": seg.text.trim_end_matches('\n')}));
        } else {
            user.push_str(text);
        }
    }
    if !user.is_empty() {
        messages.push(json!({"role": "user", "content": user}));
    }
    json!({"id": s.id, "mode": s.mode.name(), "messages": messages})
}
