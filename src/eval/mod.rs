//! Stage 3 of the pipeline: run checked steps, one at a time, under `Limits`.
//!
//! `Interp` evaluates expressions and dispatches tool calls; `Session` keeps the environment between
//! steps so a program can be fed incrementally (the agent loop and DW collection do that) and writes
//! one trace record per step.

mod interp;
mod ops;
mod session;

pub use interp::{CallRecord, Interp};
pub use session::{Session, StepOutcome};
