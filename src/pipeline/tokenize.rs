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
    encode_within(sample, tok, max_len, usize::MAX)
}

/// Bytes of text that surely hold more than `max_len` tokens of `tok` (no token stands for more
/// bytes than its longest vocabulary entry takes), doubled for slack: text further than this from
/// a sample's end cannot reach its last `max_len` tokens.
pub fn window_bytes(tok: &Tokenizer, max_len: usize) -> usize {
    let longest = tok.get_vocab(true).keys().map(|t| t.len()).max().unwrap_or(1).max(1);
    max_len.saturating_mul(longest).saturating_mul(2)
}

/// [`encode`], tokenizing at most the last `window` bytes of the sample ([`window_bytes`]): what
/// lies before cannot be kept, so a sample whose targets reach back further is None at once,
/// and a context that starts further back is tokenized from there. Tokenizing (BPE on a long
/// word is superlinear) is bounded per sample, whatever a workflow's size.
pub fn encode_within(sample: &Sample, tok: &Tokenizer, max_len: usize, window: usize) -> Result<Option<Encoded>, Diagnostic> {
    let segs = &sample.segments;
    let (mut from, mut after, mut head) = (segs.len(), 0usize, None);
    for (i, s) in segs.iter().enumerate().rev() {
        if after.saturating_add(s.text.len()) <= window {
            after += s.text.len();
            from = i;
            continue;
        }
        if segs[..=i].iter().any(|s| s.target) {
            return Ok(None);
        }
        let mut cut = s.text.len() - (window - after);
        while !s.text.is_char_boundary(cut) {
            cut += 1;
        }
        head = Some(&s.text[cut..]);
        break;
    }
    let mut ids = Vec::new();
    let mut labels = Vec::new();
    let parts = head.map(|t| (t, false)).into_iter().chain(segs[from..].iter().map(|s| (s.text.as_str(), s.target)));
    for (text, target) in parts {
        let part = tokenizer::encode(tok, text)?;
        labels.extend(part.iter().map(|&t| if target { t as i64 } else { IGNORE }));
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
