//! Training data: JSONL with one sample per line, `{"input_ids": [u32…], "labels": [i64…]}` (plus optional
//! `id`, `mode`), labels −100 where a token is not a target and otherwise equal to the token — the
//! Hugging Face convention, shifted here: position t is trained to predict `labels[t+1]`.

use super::rng::Rng;
use crate::diag::{Code, Diagnostic};
use candle_core::{Device, Tensor};
use serde::Deserialize;
use std::path::Path;

/// The label value meaning "not a target".
pub const IGNORE: i64 = -100;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub input_ids: Vec<u32>,
    pub labels: Vec<i64>,
    pub id: Option<String>,
    pub mode: Option<String>,
    /// 1-based line in the source file (0 when built in memory).
    pub line: usize,
}

impl Sample {
    pub fn new(input_ids: Vec<u32>, labels: Vec<i64>) -> Sample {
        Sample { input_ids, labels, id: None, mode: None, line: 0 }
    }
    pub fn n_targets(&self) -> usize {
        self.labels.iter().skip(1).filter(|&&l| l != IGNORE).count()
    }
}

#[derive(Deserialize)]
struct Raw {
    input_ids: Vec<u32>,
    labels: Vec<i64>,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    mode: Option<String>,
}

fn bad(file: &str, line: usize, msg: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E504, format!("{file}:{line}: {msg}"))
        .help("each line must be {\"input_ids\": [u32...], \"labels\": [i64...]} with equal lengths, labels -100 or a token id")
}

/// Parse JSONL text; `file` names it in diagnostics. Blank lines are skipped.
pub fn parse_jsonl(file: &str, text: &str) -> Result<Vec<Sample>, Diagnostic> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let raw: Raw = serde_json::from_str(line).map_err(|e| bad(file, n, format!("not a training sample: {e}")))?;
        if raw.input_ids.len() != raw.labels.len() {
            return Err(bad(file, n, format!("{} input_ids but {} labels", raw.input_ids.len(), raw.labels.len())));
        }
        if raw.input_ids.is_empty() {
            return Err(bad(file, n, "empty input_ids"));
        }
        if let Some(l) = raw.labels.iter().find(|&&l| l != IGNORE && (l < 0 || l > u32::MAX as i64)) {
            return Err(bad(file, n, format!("label {l} is neither -100 nor a token id")));
        }
        let id = raw.id.map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        out.push(Sample { input_ids: raw.input_ids, labels: raw.labels, id, mode: raw.mode, line: n });
    }
    Ok(out)
}

pub fn load_jsonl(path: &Path) -> Result<Vec<Sample>, Diagnostic> {
    let name = path.display().to_string();
    let bytes = crate::io::read_bytes(path, crate::Limits::default().max_file_bytes)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| bad(&name, 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count(), "not UTF-8"))?;
    parse_jsonl(&name, text)
}

/// Check every id and label against the vocabulary size.
pub fn check_vocab(file: &str, samples: &[Sample], vocab: usize) -> Result<(), Diagnostic> {
    for s in samples {
        let over = s.input_ids.iter().map(|&t| t as i64).chain(s.labels.iter().copied()).find(|&t| t != IGNORE && t >= vocab as i64);
        if let Some(t) = over {
            return Err(bad(file, s.line, format!("token id {t} is outside the model's vocabulary of {vocab}")));
        }
    }
    Ok(())
}

/// Split off a validation set: a seeded shuffle, then the first `frac` (at least 1 sample when
/// `frac > 0` and there are at least 2 samples).
pub fn split(mut samples: Vec<Sample>, frac: f64, seed: u64) -> (Vec<Sample>, Vec<Sample>) {
    Rng::new(seed ^ 0x5EED).shuffle(&mut samples);
    let mut n_val = (samples.len() as f64 * frac).round() as usize;
    if frac > 0.0 && n_val == 0 && samples.len() >= 2 {
        n_val = 1;
    }
    let train = samples.split_off(n_val.min(samples.len()));
    (train, samples)
}

/// The order samples are visited in: a fresh seeded permutation per epoch, so the k-th micro-batch of
/// a run depends only on (seed, k) — which makes `--resume` replay the same batches.
///
/// With `lengths` given, batches are bucketed: each run of `BUCKET` batches' worth of the permutation
/// is sorted by length before it is cut into batches, and the epoch's batches are then shuffled. A
/// batch is padded to its longest sample, so this cuts padding (about half the tokens of random
/// batches of workflow conversations) while every sample is still seen once per epoch.
#[derive(Debug, Clone)]
pub struct Order {
    pub n: usize,
    pub batch: usize,
    pub seed: u64,
    /// Sample lengths in tokens, for bucketing (empty: plain random batches).
    pub lengths: Vec<usize>,
}

/// Batches' worth of samples sorted together when bucketing.
const BUCKET: usize = 8;

impl Order {
    pub fn new(n: usize, batch: usize, seed: u64) -> Order {
        Order { n, batch, seed, lengths: Vec::new() }
    }

    /// Length-bucketed batches over `samples`.
    pub fn bucketed(samples: &[Sample], batch: usize, seed: u64) -> Order {
        Order { n: samples.len(), batch, seed, lengths: samples.iter().map(|s| s.input_ids.len()).collect() }
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.n.div_ceil(self.batch.max(1)).max(1)
    }

    /// Sample indices of global micro-batch `k`.
    pub fn batch_indices(&self, k: u64) -> Vec<usize> {
        let per = self.batches_per_epoch() as u64;
        let (epoch, j) = (k / per, (k % per) as usize);
        let b = self.batch.max(1);
        let mut perm: Vec<usize> = (0..self.n).collect();
        let mut rng = Rng::new(self.seed.wrapping_add(epoch.wrapping_mul(0x9E37)));
        rng.shuffle(&mut perm);
        if self.lengths.len() != self.n {
            let start = j * b;
            return perm[start.min(self.n)..(start + b).min(self.n)].to_vec();
        }
        let mut batches: Vec<Vec<usize>> = Vec::with_capacity(per as usize);
        for chunk in perm.chunks_mut(b * BUCKET) {
            chunk.sort_by_key(|&i| self.lengths[i]);
            batches.extend(chunk.chunks(b).map(<[usize]>::to_vec));
        }
        rng.shuffle(&mut batches);
        batches.swap_remove(j.min(batches.len().saturating_sub(1)))
    }
}

/// A padded batch on a device. Only supervised positions reach the LM head: `rows` indexes the
/// flattened (B·S) positions whose next token is a target, `targets` holds those tokens.
#[derive(Debug)]
pub struct Batch {
    pub ids: Tensor,
    pub rows: Tensor,
    pub targets: Tensor,
    pub n_tokens: usize,
    pub n_targets: usize,
    pub batch: usize,
    pub seq: usize,
}

/// Right-pad to the longest sample (pad id, never a target); samples longer than `max_seq` keep their
/// last `max_seq` tokens (targets sit at the end of instruct-masked samples).
pub fn make_batch(samples: &[&Sample], max_seq: usize, pad_id: u32, dev: &Device) -> candle_core::Result<Batch> {
    let seq = samples.iter().map(|s| s.input_ids.len().min(max_seq)).max().unwrap_or(1).max(1);
    let b = samples.len().max(1);
    let mut ids = vec![pad_id; b * seq];
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    let mut n_tokens = 0;
    for (i, s) in samples.iter().enumerate() {
        let cut = s.input_ids.len().saturating_sub(max_seq);
        let toks = &s.input_ids[cut..];
        let labs = &s.labels[cut..];
        n_tokens += toks.len();
        ids[i * seq..i * seq + toks.len()].copy_from_slice(toks);
        for t in 0..toks.len().saturating_sub(1) {
            if labs[t + 1] != IGNORE {
                rows.push((i * seq + t) as u32);
                targets.push(labs[t + 1] as u32);
            }
        }
    }
    let n_targets = rows.len();
    Ok(Batch {
        ids: Tensor::from_vec(ids, (b, seq), dev)?,
        rows: Tensor::from_vec(rows, n_targets, dev)?,
        targets: Tensor::from_vec(targets, n_targets, dev)?,
        n_tokens,
        n_targets,
        batch: b,
        seq,
    })
}
