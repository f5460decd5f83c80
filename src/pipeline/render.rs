//! The text a policy model reads and writes. One format for training samples and for the agent at
//! inference, so the two cannot drift:
//!
//! ```text
//! <system: the tool list>
//! Question: How many red objects are there?
//! Step 1: objs = segment(image)
//! Result 1: objs = [region(10, 10, 50, 50, "red square"), …]
//! Step 2: …
//! ```
//!
//! A model's action is one line (the step's source); generation stops at the newline.

use crate::trace::TraceRecord;

/// DWIM's placeholder for the masked action.
pub const PLACEHOLDER: &str = "[You need to fill this part]";

/// The one-line system text for models trained from scratch (`--prompt minimal`).
pub const MINIMAL_SYSTEM: &str = "Answer with a dwim workflow, one step per line.";

/// The system text: what the model is and which tools it has (from the registry's signatures).
pub fn system_prompt(tools: &str) -> String {
    format!(
        "You answer questions about an image by writing a workflow in the dwim language, one step per line. \
         Steps: `name = expr`, `think \"...\"`, `rethink \"...\"` when a result contradicts what you expected, \
         and `answer expr` last. The image is `image`. Tools:\n{tools}"
    )
}

pub fn question_line(question: &str) -> String {
    format!("Question: {question}\n")
}

/// `Step k: ` (k is 1-based).
pub fn step_prefix(k: usize) -> String {
    format!("Step {k}: ")
}

/// The action as the model writes it, newline included.
pub fn action(r: &TraceRecord) -> String {
    format!("{}\n", r.source.lines().collect::<Vec<_>>().join(" "))
}

/// `Result k: …` after a step (nothing after `answer`).
pub fn result_line(k: usize, r: &TraceRecord) -> String {
    if r.kind == "answer" && r.error.is_none() {
        return String::new();
    }
    format!("Result {k}: {}\n", r.observation)
}

/// DWIM's instruction ending an instruct-masked sample.
pub fn instruction(k: usize) -> String {
    format!("Your solution to Step {k}:")
}
