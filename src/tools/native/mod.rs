//! Native model tools: neural networks run in-process with candle (CPU by default, CUDA with the
//! `cuda` feature).
//!
//! | file | holds |
//! |---|---|
//! | `device.rs` | device and precision choice |
//! | `loader.rs` | finding weight files: models dir, Hugging Face cache, hub download |
//! | `cache.rs` | models loaded once per process and shared |
//! | `pixels.rs` | region → tensor conversions |
//! | `minilm.rs` | [`TextEmbedder`]: all-MiniLM-L6-v2 sentence embeddings |
//! | `text_tools.rs` | `text_similarity`, `best_text_match` |
//! | `crnn.rs` | the easyocr `english_g2` CRNN recogniser (VGG + BiLSTM + CTC) |
//! | `ocr.rs` | `read_text`: line finding, recognition, decoding |
//! | `clip.rs` | CLIP from a Hugging Face checkpoint |
//! | `clip_tools.rs` | `classify`, `best_image_match` |
//! | `worker.rs` | a model on its own thread, concurrent calls batched |
//! | `depth.rs` | Depth-Anything-v2 (DPT head on DINOv2): depth maps per image |
//! | `depth_tool.rs` | `depth` |
//! | `paligemma.rs` | PaliGemma (SigLIP + Gemma): greedy generation with a KV cache |
//! | `locations.rs` | PaliGemma's `<locNNNN>` detection output → boxes |
//! | `vlm_tools.rs` | `vqa`, `detect` |
//! | `available.rs` | which models have weights; the tool set for `--native` |
//! | `wall.rs` | every native call on its own thread, ended at the run's wall limit (E306) |
//! | `fixtures.rs` (+ `depth_fixture.rs`, `paligemma_fixture.rs`) | small random-initialised checkpoints with real tensor names (tests, benches) |
//!
//! Tools load their model on first call, so registering them never needs the weights; a missing
//! weight file is a step error E411 that names the file.

pub mod available;
pub mod cache;
pub mod clip;
mod clip_tools;
pub mod crnn;
pub mod depth;
mod depth_fixture;
mod depth_tool;
pub mod device;
pub mod fixtures;
pub mod loader;
pub mod locations;
pub mod minilm;
pub mod ocr;
pub mod paligemma;
mod paligemma_fixture;
pub mod pixels;
mod text_tools;
mod vlm_tools;
mod wall;
pub mod worker;

pub use available::{available_models, native_tools_for, NativeModel, MODELS};
pub use clip::ClipScorer;
pub use depth::DepthEstimator;
pub use paligemma::PaliGemma;
pub use device::{DeviceChoice, Precision};
pub use loader::ModelSource;
pub use minilm::TextEmbedder;
pub use ocr::TextReader;

use crate::diag::{Code, Diagnostic};
use crate::tools::{Registry, Signature, Tool, ToolKind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// How native models are found and run.
#[derive(Debug, Clone)]
pub struct NativeConfig {
    /// Searched first, one folder per model (`all-MiniLM-L6-v2/`, `easyocr/`, `clip/`).
    pub models_dir: PathBuf,
    /// A model name → the exact folder holding its files (no cache or hub lookup then).
    pub overrides: BTreeMap<String, PathBuf>,
    pub device: DeviceChoice,
    pub precision: Precision,
    /// Download missing files from the Hugging Face hub.
    pub download: bool,
}

impl Default for NativeConfig {
    /// `$DWIM_MODELS` (or `~/.cache/dwim/models`), CPU, F32, downloads unless
    /// `HF_HUB_OFFLINE`/`DWIM_OFFLINE` is set.
    fn default() -> Self {
        NativeConfig {
            models_dir: loader::default_models_dir(),
            overrides: BTreeMap::new(),
            device: DeviceChoice::Cpu,
            precision: Precision::F32,
            download: !loader::offline_env(),
        }
    }
}

impl NativeConfig {
    /// Offline: only the models dir and the Hugging Face cache are searched.
    pub fn offline(mut self) -> Self {
        self.download = false;
        self
    }
    pub fn models_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.models_dir = dir.into();
        self
    }
    /// Load model `name` (a folder name of [`MODELS`]: `all-MiniLM-L6-v2`, `easyocr`, `clip`,
    /// `depth-anything-v2`, `dinov2`, `paligemma`) from exactly this folder.
    pub fn with_model_dir(mut self, name: &str, dir: impl Into<PathBuf>) -> Self {
        self.overrides.insert(name.to_string(), dir.into());
        self
    }

    /// The cache key part shared by every model: device and precision.
    fn key(&self, kind: &str, paths: &[PathBuf]) -> String {
        let p: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        format!("{kind}|{:?}|{:?}|{}", self.device, self.precision, p.join("|"))
    }
}

/// The native tools, sharing one configuration. Models load lazily on first call.
pub fn native_tools(cfg: &NativeConfig) -> Vec<Arc<dyn Tool>> {
    let mut v: Vec<Arc<dyn Tool>> = Vec::new();
    v.extend(text_tools::tools(cfg));
    v.push(Arc::new(ocr::ReadText::new(cfg.clone())));
    v.extend(clip_tools::tools(cfg));
    v.extend(depth_tool::tools(cfg));
    v.extend(vlm_tools::tools(cfg));
    wall::bound(v)
}

/// Add the native tools to `registry` (replacing tools of the same name).
pub fn add_native_tools(registry: &mut Registry, cfg: &NativeConfig) {
    for t in native_tools(cfg) {
        registry.add(t);
    }
}

/// A signature marked as a native tool.
pub(crate) fn native_sig(sig: Signature) -> Signature {
    Signature { kind: ToolKind::Native, ..sig }
}

/// A candle error as a tool failure.
pub(crate) fn model_err(what: &str) -> impl Fn(candle_core::Error) -> Diagnostic + '_ {
    move |e| Diagnostic::new(Code::E401, format!("{what}: {e}"))
}
