//! Stages 5–6 of the pipeline: turn collected workflows (traces) into training data.
//!
//! `workflow` is the collected-workflow record; `flag` assigns DWIM's κ to each step; `mask` builds
//! instruct-masked (and SFT / random / rethink-variant) samples; `render` is the text format a
//! model reads and writes; `tokenize` turns samples into input ids + labels; `export` writes
//! chat-format JSONL for Hugging Face TRL / axolotl.

pub mod flag;
pub mod judge;
pub mod collect;
pub mod export;
pub mod mask;
pub mod render;
pub mod store;
pub mod teacher;
pub mod tokenize;
pub mod workflow;

pub use workflow::Workflow;
