//! Question sets: the built-in benchmark's and real ones (GQA-style, RefCOCO-style, plain JSON
//! Lines), as one item type and one [`Dataset`] type, so every command runs on all of them.
//!
//! | file | what it holds |
//! |---|---|
//! | `dataset.rs` | [`Dataset`]: items, optional annotations, image resolution, splits |
//! | `detect.rs` | [`DataFormat`] and telling the format from what is on disk |
//! | `paths.rs` | image paths kept inside the dataset directory (E509) |
//! | `bench_world.rs` | a `dwim bench-world generate` directory (scenes = annotations) |
//! | `gqa.rs` | GQA-style question files (question id → {imageId, question, answer}) + an image folder |
//! | `refcoco.rs` | RefCOCO-style referring expressions with boxes |
//! | `jsonl.rs` | the plain JSON Lines form: reading, and writing it (`dwim data convert`) |
//! | `inspect.rs` | what `dwim data inspect` reports |

pub mod bench_world;
pub mod dataset;
pub mod detect;
pub mod gqa;
pub mod inspect;
pub mod jsonl;
pub mod paths;
pub mod refcoco;

pub use dataset::{DataOptions, Dataset};
pub use detect::DataFormat;

use crate::tools::builtin::{normalize, plain};
use crate::value::{BBox, Value};
use serde::{Deserialize, Serialize};

/// A ground-truth answer: text (VQA, exact match after normalisation) or a box (grounding, IoU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// `[x0, y0, x1, y1]` in pixels.
    Box([f64; 4]),
    Text(String),
}

/// One question about one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    /// Image path, relative to the dataset directory (or absolute); bound to `image`.
    pub image: String,
    /// Several images for one question: variable name → path (as `image`). Each is bound under its
    /// name; `image` is also bound (to `image`, else the first of these).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub images: std::collections::BTreeMap<String, String>,
    pub question: String,
    pub answer: Answer,
    /// Question family (`count`, `grounding`, …); empty when the source does not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub family: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub split: String,
    /// The scene id, for the built-in benchmark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    /// A reference workflow (`.wf`) that answers correctly with perfect tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// IoU a box answer must exceed (0.5 as in RefCOCO; DWIM keeps workflows above 0.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iou: Option<f64>,
}

impl Answer {
    /// Is `v` a correct answer? Text: VQA normalisation, bools as yes/no, numbers without
    /// trailing zeros. Box: a region (or a one-region list) with IoU above `iou`.
    pub fn matches(&self, v: &Value, iou: f64) -> bool {
        match (self, v) {
            (Answer::Box(b), Value::Region(r)) => r.bbox.iou(&BBox { x0: b[0], y0: b[1], x1: b[2], y1: b[3] }) > iou,
            (Answer::Box(_), Value::List(l)) if l.len() == 1 => self.matches(&l[0], iou),
            (Answer::Text(t), Value::Bool(b)) => normalize(t) == if *b { "yes" } else { "no" },
            (Answer::Text(t), v) => normalize(t) == normalize(&plain(v)),
            _ => false,
        }
    }

    pub fn as_text(&self) -> String {
        match self {
            Answer::Text(t) => t.clone(),
            Answer::Box(b) => format!("[{}, {}, {}, {}]", b[0], b[1], b[2], b[3]),
        }
    }
}

impl Item {
    pub fn is_correct(&self, v: &Value) -> bool {
        self.answer.matches(v, self.iou.unwrap_or(0.5))
    }
}
