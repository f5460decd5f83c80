//! dwim: tool-aware visual reasoning agents.
//!
//! The pipeline, one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | grammar (`grammar/workflow.pest`) → AST with byte spans | [`syntax`] |
//! | static checks: names, tool signatures, types | [`check`] |
//! | step-by-step execution under [`Limits`] | [`eval`] |
//! | tool dispatch: built-in (and WASM plugins, native models) | [`tools`] |
//! | one JSON record per step | [`trace`] |
//!
//! Diagnostics ([`diag`]) are data with codes and spans, rendered for people or as JSON for models.

pub mod check;
pub mod diag;
pub mod eval;
pub mod fields;
pub mod limits;
pub mod syntax;
pub mod tools;
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
