//! Built-in tools (pure Rust): what VisProg/ViperGPT-style programs need around the perception tools.

mod geometry;
mod lists;
mod pixels;
mod text;

use super::{FnTool, Tool};
use std::sync::Arc;

/// Every built-in tool.
pub fn all() -> Vec<Arc<dyn Tool>> {
    let mut v: Vec<FnTool> = Vec::new();
    v.extend(geometry::tools());
    v.extend(lists::tools());
    v.extend(text::tools());
    v.extend(pixels::tools());
    v.into_iter().map(|t| Arc::new(t) as Arc<dyn Tool>).collect()
}

pub use text::{normalize, plain_text as plain};
