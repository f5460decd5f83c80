//! Stage 1 of the pipeline: source text → AST with byte spans.
//!
//! `grammar/workflow.pest` is the grammar; `parser` builds the AST; `prescan` bounds hostile input;
//! `errors` words what parsing refuses.

pub mod ast;
mod errors;
pub mod fast;
pub mod parser;
pub mod prescan;
mod pretty;
pub mod span;

pub use ast::*;
pub use parser::{parse_bytes, parse_program, parse_text, parse_with_pest};
pub use fast::parse_fast;
pub use span::{SourceFile, Span};
