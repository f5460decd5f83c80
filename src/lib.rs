//! dwim: tool-aware visual reasoning agents.
//!
//! The pipeline, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | grammar (`grammar/workflow.pest`) → AST with byte spans | [`syntax`] |
//! | static checks: names, tool signatures, types | [`check`] |
//! | step-by-step execution under [`Limits`] | [`eval`] |
//! | one agent conversation as JSON requests and replies (`dwim session`, `dwim serve`, Python) | [`conversation`] |
//! | tool dispatch: built-in (and WASM plugins, native models, remote tools over HTTP) | [`tools`] |
//! | a tool set built from options (the CLI's tool flags, the Python package) | [`toolset`] |
//! | bounded HTTP exchanges with endpoints (chat servers, tool servers) | [`http`] |
//! | one JSON record per step | [`trace`] |
//! | the built-in benchmark: scenes, questions, reference workflows, tool scores | [`world`] |
//! | question sets: the benchmark's, GQA-style, RefCOCO-style | [`data`] |
//! | a trace as a standalone HTML visual rationale | [`report`] |
//!
//! Diagnostics ([`diag`]) are data with codes and spans, rendered for people or as JSON for models.

// Diagnostics travel by value through every stage; errors are the cold path, so their size is fine.
#![allow(clippy::result_large_err)]

#[cfg(feature = "train")]
pub mod agent;
pub mod alloc;
pub mod check;
pub mod conversation;
pub mod data;
pub mod diag;
pub mod eval;
pub mod fields;
pub mod fuzzing;
pub mod http;
pub mod io;
pub mod output;
pub mod pipeline;
pub mod limits;
pub mod report;
pub mod syntax;
pub mod tokenizer;
pub mod tools;
pub mod toolset;
pub mod trace;
pub mod types;
pub mod value;
pub mod world;

pub use diag::{Code, Diagnostic};
pub use eval::Session;
pub use limits::Limits;
pub use tools::Registry;
pub use value::Value;
#[cfg(feature = "train")]
pub mod train;
