//! Checkpoints: one safetensors file holding the weights (`model.*`), the AdamW moments (`adam.m.*`,
//! `adam.v.*`) and, in the header metadata, the [`TrainState`] as JSON (step, config, hyper-parameters,
//! loss history). Written to a temporary file, synced, then renamed over the old one, so a `kill -9` at
//! any moment leaves either the previous or the new checkpoint, never a torn one.

use super::config::Config;
use super::lora::LoraConfig;
use super::optim::{AdamWParams, Schedule};
use crate::diag::{Code, Diagnostic};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Everything except tensors that a resumed run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Optimizer updates done.
    pub step: u64,
    pub config: Config,
    pub lora: Option<LoraConfig>,
    /// How the base model was given (`tiny`, `micro`, a path): a LoRA checkpoint of a model loaded from a
    /// path stores only the adapters and reloads the base from here.
    pub base: String,
    /// Whether the base weights are in the file.
    pub has_base: bool,
    pub hyper: Hyper,
    pub adamw: AdamWParams,
    pub schedule: Schedule,
    /// (step, mean training loss) per update.
    pub train_loss: Vec<(u64, f64)>,
    /// (step, validation loss).
    pub val_loss: Vec<(u64, f64)>,
    pub tokens_seen: u64,
    /// AdamW's update count (bias correction).
    pub adam_t: u64,
}

/// Training hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    pub steps: u64,
    pub batch: usize,
    pub accum: usize,
    pub lr: f64,
    /// Final learning rate as a fraction of `lr`.
    pub min_lr_frac: f64,
    pub warmup: u64,
    pub clip: f64,
    pub seed: u64,
    pub val_frac: f64,
    pub val_every: u64,
    pub ckpt_every: u64,
    pub max_seq: usize,
    pub pad_id: u32,
}

impl Default for Hyper {
    fn default() -> Self {
        Hyper {
            steps: 200,
            batch: 16,
            accum: 1,
            lr: 3e-4,
            min_lr_frac: 0.1,
            warmup: 20,
            clip: 1.0,
            seed: 0,
            val_frac: 0.05,
            val_every: 50,
            ckpt_every: 50,
            max_seq: 512,
            pad_id: 0,
        }
    }
}

const META_KEY: &str = "dwim.train_state";

fn io_err(path: &Path, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E504, format!("checkpoint {}: {e}", path.display()))
}

/// Write tensors + state atomically to `path`.
pub fn save(path: &Path, tensors: &BTreeMap<String, Tensor>, state: &TrainState) -> Result<(), Diagnostic> {
    let meta = serde_json::to_string(state).map_err(|e| io_err(path, e))?;
    let info = HashMap::from([(META_KEY.to_string(), meta)]);
    let bytes = safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(info)).map_err(|e| io_err(path, e))?;
    write_atomic(path, &bytes)
}

/// Write a file by writing `<path>.tmp`, syncing it, renaming it over `path` and syncing the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    crate::output::write_bytes(path, bytes)
}

/// Read a checkpoint: its tensors and its state.
pub fn load(path: &Path, dev: &Device) -> Result<(BTreeMap<String, Tensor>, TrainState), Diagnostic> {
    let bytes = crate::io::read_bytes(path, crate::Limits::default().max_file_bytes)?;
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| io_err(path, e))?;
    let json = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| io_err(path, "not a dwim training checkpoint (no train state in the header)"))?;
    let state: TrainState = serde_json::from_str(json).map_err(|e| io_err(path, e))?;
    let tensors = candle_core::safetensors::load_buffer(&bytes, dev).map_err(|e| io_err(path, e))?;
    Ok((tensors.into_iter().collect(), state))
}
