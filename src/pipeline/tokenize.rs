//! Samples → input ids + labels (−100 on every token that is not a target), the Hugging Face
//! convention every trainer understands. Segments are encoded separately and concatenated, so the
//! label mask follows segment boundaries exactly and decoding the labels gives back the targets.

use super::mask::Sample;
use crate::diag::Diagnostic;
use crate::tokenizer;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

pub const IGNORE: i64 = -100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoded {
    pub id: String,
    pub mode: String,
    pub input_ids: Vec<u32>,
    pub labels: Vec<i64>,
}

/// Encode a sample; if it is longer than `max_len`, context tokens are dropped from the start
/// (targets are kept). Returns None if even the targets do not fit.
pub fn encode(sample: &Sample, tok: &Tokenizer, max_len: usize) -> Result<Option<Encoded>, Diagnostic> {
    let mut ids = Vec::new();
    let mut labels = Vec::new();
    for s in &sample.segments {
        let part = tokenizer::encode(tok, &s.text)?;
        labels.extend(part.iter().map(|&t| if s.target { t as i64 } else { IGNORE }));
        ids.extend(part);
    }
    if ids.len() > max_len {
        let cut = ids.len() - max_len;
        if labels[..cut].iter().any(|&l| l != IGNORE) {
            return Ok(None);
        }
        ids.drain(..cut);
        labels.drain(..cut);
    }
    Ok(Some(Encoded { id: sample.id.clone(), mode: sample.mode.name().into(), input_ids: ids, labels }))
}

/// The text of the supervised tokens, target segments joined (for checking masks).
pub fn decode_targets(e: &Encoded, tok: &Tokenizer) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    for &l in e.labels.iter().chain(std::iter::once(&IGNORE)) {
        if l == IGNORE {
            if !run.is_empty() {
                out.push(tokenizer::decode(tok, &run)?);
                run.clear();
            }
        } else {
            run.push(l as u32);
        }
    }
    Ok(out)
}
