//! A small random-initialised Depth-Anything-v2 with candle's tensor names (`pretrained.*`
//! DINOv2 backbone, `depth_head.*` DPT head), for tests and benches; its output is meaningless.

use super::depth::DepthConfig;
use super::fixtures::randomise;
use crate::diag::{Code, Diagnostic};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::depth_anything_v2::DepthAnythingV2;
use candle_transformers::models::dinov2::DinoVisionTransformer;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A scaled-down ViT-S layout: width 16, 4 blocks, 2 heads, 56 px input (4×4 patches).
pub fn tiny_depth_config() -> serde_json::Value {
    json!({"encoder": "vits", "embed_dim": 16, "depth": 4, "num_heads": 2, "features": 8,
           "out_channels": [4, 8, 8, 16], "layer_ids": [0, 1, 2, 3], "image_size": 56})
}

/// Write `config.json` and `depth_anything_v2_vits.safetensors` into `dir`. With `split`, the
/// backbone goes to `dinov2_vits14.safetensors` (candle's two-file layout, with DINOv2's
/// classifier head); otherwise it is in the depth file under `pretrained.` (the released layout).
/// The same seed always writes the same weights.
pub fn write_tiny_depth(dir: &Path, seed: u64, split: bool) -> Result<(), Diagnostic> {
    let io = |e: std::io::Error| Diagnostic::new(Code::E401, format!("cannot write fixture: {e}"));
    let err = |e: candle_core::Error| Diagnostic::new(Code::E401, format!("tiny Depth-Anything-v2: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let config = tiny_depth_config();
    std::fs::write(dir.join("config.json"), config.to_string()).map_err(io)?;
    let conf: DepthConfig = serde_json::from_value(config).map_err(|e| Diagnostic::new(Code::E401, e.to_string()))?;
    let shape = conf.resolve()?;
    let mut vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    let dino = DinoVisionTransformer::new(vb.pp("pretrained"), shape.depth, shape.embed_dim, shape.num_heads).map_err(err)?;
    DepthAnythingV2::new(Arc::new(dino), shape.candle(), vb).map_err(err)?;
    randomise(&vm, seed, |n| n.contains("norm")).map_err(err)?;
    // Positive biases before the head's two ReLUs, so that small random weights do not give an
    // all-zero (flat) map.
    for (name, n) in [("depth_head.scratch.output_conv2.0.bias", 32), ("depth_head.scratch.output_conv2.2.bias", 1)] {
        vm.set_one(name, Tensor::full(0.5f32, n, &Device::Cpu).map_err(err)?).map_err(err)?;
    }
    let all: HashMap<String, Tensor> = {
        let data = vm.data().lock().map_err(|_| Diagnostic::new(Code::E499, "var map lock poisoned"))?;
        data.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect()
    };
    let (head, dino): (HashMap<_, _>, HashMap<_, _>) = all.into_iter().partition(|(k, _)| k.starts_with("depth_head."));
    let save = |m: &HashMap<String, Tensor>, f: String| candle_core::safetensors::save(m, dir.join(f)).map_err(err);
    if split {
        let dino: HashMap<String, Tensor> = dino.into_iter().map(|(k, v)| (k["pretrained.".len()..].to_string(), v)).collect();
        save(&head, shape.head_file())?;
        save(&dino, shape.dino_file())
    } else {
        let mut both = head;
        both.extend(dino.into_iter().filter(|(k, _)| !k.starts_with("pretrained.head.")));
        save(&both, shape.head_file())
    }
}

