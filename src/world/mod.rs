//! Synthetic visual worlds: colours, shapes, the rasteriser, and the built-in benchmark.
//!
//! | file | what it holds |
//! |---|---|
//! | `demo.rs` | tiny demo scenes for `dwim scene`, the SplitMix generator |
//! | `scene.rs` | benchmark scene annotations and random layout |
//! | `render.rs` | drawing a scene: lighting, clutter, labels, noise, exact occlusion |
//! | `questions.rs`, `templates.rs` | question families with answers and reference workflows |
//! | `dataset.rs` | writing a dataset directory (reading it: `crate::data::Dataset`) |
//! | `score.rs` | measured precision/recall of the pixel tools, workflow accuracy |

pub mod dataset;
pub mod demo;
pub mod draw;
pub mod palette;
pub mod questions;
pub mod render;
pub mod scene;
pub mod score;
mod templates;
