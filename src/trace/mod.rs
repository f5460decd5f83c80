//! Stage 4 of the pipeline: traces. One JSON Lines record per step; later stages (DW filtering,
//! action flagging, masks, reports) read traces and never re-parse logs.

mod record;
mod writer;

pub use record::{Flag, Loc, ResultSummary, TraceRecord, SCHEMA};
pub use writer::{for_each_record, read_trace, TraceWriter};
