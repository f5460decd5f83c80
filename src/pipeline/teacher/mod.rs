//! Teachers propose workflow steps during data collection (DWIM's DW stage). One trait, several
//! implementations: any OpenAI-compatible chat endpoint (`openai`), the built-in programmatic
//! teacher for the built-in benchmark (`programmatic`), and the local candle policy.

pub mod openai;
pub mod programmatic;

use crate::diag::Diagnostic;

/// What happened at one earlier turn, as the teacher is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Turn {
    /// A step that ran: its source and the observation.
    Ran { source: String, observation: String },
    /// A reply that did not parse or check: the reply and the diagnostics as JSON.
    Rejected { source: String, diagnostics: String },
    /// The discrepancy judge's finding after the previous step (DW on only).
    Discrepancy { message: String },
}

/// Everything a teacher may see for the next step.
pub struct TeacherInput<'a> {
    pub question: &'a str,
    /// The ground-truth answer, shown as a target the workflow must reach (never to be copied).
    pub target: &'a str,
    /// Tool signatures and docs (`Registry::prompt`).
    pub tools: &'a str,
    pub history: &'a [Turn],
}

pub trait Teacher: Send {
    fn name(&self) -> String;
    /// The next step: one line of the workflow language.
    fn next_step(&mut self, input: &TeacherInput<'_>) -> Result<String, Diagnostic>;
}

/// Pull one step out of a model's reply: strip code fences, `Step k:` / `<code>` wrappers, and
/// take the first non-empty line.
pub fn extract_step(reply: &str) -> String {
    let mut text = reply.trim();
    for tag in ["<code>", "```wf", "```dwim", "```python", "```"] {
        if let Some(rest) = text.strip_prefix(tag) {
            text = rest;
        }
    }
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("```")).unwrap_or("");
    let line = line.strip_suffix("</code>").unwrap_or(line);
    let line = match line.split_once(':') {
        Some((head, rest)) if head.starts_with("Step ") && head[5..].trim().chars().all(|c| c.is_ascii_digit()) => rest.trim(),
        _ => line,
    };
    line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::extract_step;

    #[test]
    fn replies_are_reduced_to_one_step() {
        assert_eq!(extract_step("x = segment(image)"), "x = segment(image)");
        assert_eq!(extract_step("```wf\nx = 1\ny = 2\n```"), "x = 1");
        assert_eq!(extract_step("Step 3: answer count(x)\n"), "answer count(x)");
        assert_eq!(extract_step("<code>answer 1</code>"), "answer 1");
        assert_eq!(extract_step("\n\n  think \"a: b\"  "), "think \"a: b\"");
        assert_eq!(extract_step(""), "");
    }
}
