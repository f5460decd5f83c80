//! The built-in benchmark's tool sets. Both add the same perception tools to the built-in ones:
//!
//! ```text
//! detect(image: image|region, query: text) -> list[region]
//! color(image: image|region) -> text
//! shape(image: image|region) -> text
//! read_text(image: image|region) -> text
//! vqa(image: image|region, question: text) -> text
//! ```
//!
//! - `benchmark` ([`benchmark`]): pixel perception from the `dwim-perception` crate — a real
//!   detector, classifiers, template OCR and a tiny VQA that err the way perception does.
//! - `benchmark-wasm` (`wasm::benchmark_wasm`, feature `wasm`): the same perception code built
//!   into sandboxed WASM plugins; same signatures, same answers.
//! - `oracle` ([`oracle`]): perfect answers read from a scene's annotations, for checking
//!   reference workflows and for tests.

pub(crate) mod meter;
pub mod oracle;
pub mod pixels;
#[cfg(feature = "wasm")]
pub mod wasm;

use super::{Param, Signature, ToolKind};
use crate::types::Type;

pub use oracle::OracleWorld;

/// The five perception operations, in the order of [`signatures`].
#[derive(Clone, Copy)]
pub(crate) enum Op {
    Detect,
    Color,
    Shape,
    ReadText,
    Vqa,
}

pub(crate) fn signatures(kind: ToolKind, who: &str) -> [Signature; 5] {
    let vis = || Param::req("image", Type::Visual);
    let mut sigs = [
        Signature::new("detect", vec![vis(), Param::req("query", Type::Text).with_vocab(query_words())], Type::list(Type::Region),
            &format!("Objects matching `query` (\"red circle\", \"small square\", \"blue objects\", \"object\"), left to right, labelled \"<size> <colour> <shape>\" ({who}).")),
        Signature::new("color", vec![vis()], Type::Text,
            &format!("Colour name of the main object in the region: red, orange, yellow, green, blue, purple, pink, brown, gray ({who}).")),
        Signature::new("shape", vec![vis()], Type::Text, &format!("Shape of the main object in the region: circle, square, rectangle, triangle ({who}).")),
        Signature::new("read_text", vec![vis()], Type::Text, &format!("The label printed on the region, upper case; \"\" when there is none ({who}).")),
        Signature::new("vqa", vec![vis(), Param::req("question", Type::Text)], Type::Text,
            &format!("Answer a simple question about the region: its colour, shape, size or label, \"is there a …\", \"how many …\" ({who}).")),
    ];
    for s in &mut sigs {
        s.kind = kind;
    }
    sigs
}

/// Every word a perception query may use: sizes, colours, shapes (with their plurals and
/// synonyms), object nouns and filler words, from `dwim-perception` itself.
pub fn query_words() -> Vec<String> {
    let candidates = ["small", "tiny", "little", "medium", "mid", "large", "big", "huge", "grey", "gray", "circle", "circles", "ball", "balls", "disc", "discs", "square", "squares", "rectangle", "rectangles", "bar", "bars", "triangle", "triangles", "object", "objects", "thing", "things", "shape", "shapes", "item", "items"];
    let mut words: Vec<String> = candidates.iter().copied().chain(dwim_perception::palette::PALETTE.iter().map(|(n, _)| *n)).chain(dwim_perception::detect::FILLER.iter().copied()).filter(|w| dwim_perception::detect::unknown_words(w).is_empty()).map(|w| w.to_string()).collect();
    words.sort();
    words.dedup();
    words
}

/// The `benchmark` tool set: built-in tools plus pixel perception.
pub fn benchmark() -> super::Registry {
    let mut r = super::Registry::builtin();
    r.set_name = "benchmark".into();
    for t in pixels::tools() {
        r.add(t);
    }
    r
}

/// The `oracle` tool set: built-in tools plus perception answered from annotations.
pub fn oracle(world: std::sync::Arc<OracleWorld>) -> super::Registry {
    let mut r = super::Registry::builtin();
    r.set_name = "oracle".into();
    for t in oracle::tools(world) {
        r.add(t);
    }
    r
}
