//! Depth-Anything-v2 relative depth, on candle's `depth_anything_v2` (DPT head) and `dinov2`
//! (ViT backbone), with candle's tensor names.
//!
//! Files, in the `depth-anything-v2` model folder (or the Hugging Face cache / hub):
//! - `depth_anything_v2_vits.safetensors` (`vitb`/`vitl` likewise), as in
//!   `jeroenvlek/depth-anything-v2-safetensors`: `depth_head.*`, and usually the fine-tuned backbone
//!   as `pretrained.*` (then nothing else is needed);
//! - otherwise `dinov2_vits14.safetensors` (candle's `lmz/candle-dino-v2`), looked up in the same
//!   folder first, then as model `dinov2`;
//! - optionally `config.json`: `{"encoder": "vits"}` plus overrides of the preset's sizes
//!   (`embed_dim`, `depth`, `num_heads`, `features`, `out_channels`, `layer_ids`, `image_size`).
//!
//! The network sees the whole image resized to `image_size`² (518 for the released models, a
//! multiple of the 14-px patch), ImageNet-normalised. Its output is relative inverse depth; the
//! map is kept per image (by hash), so regions of one image share one forward pass. The model
//! runs on its own worker thread (its layers are not `Sync`); concurrent calls for different
//! images queue there and run one at a time, since candle's DINOv2 takes a batch of one.

use super::loader::{read_json, ModelSource};
use super::worker::BatchWorker;
use super::{cache, model_err, pixels, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::value::{Image, Region};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::depth_anything_v2::{DepthAnythingV2, DepthAnythingV2Config};
use candle_transformers::models::dinov2::DinoVisionTransformer;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const SOURCE: ModelSource = ModelSource {
    name: "depth-anything-v2",
    hub_repo: Some("jeroenvlek/depth-anything-v2-safetensors"),
    hint: "no registry package ships Depth-Anything-v2: put depth_anything_v2_vits.safetensors (Hugging Face \
           jeroenvlek/depth-anything-v2-safetensors) in $DWIM_MODELS/depth-anything-v2, or allow downloads",
};
/// The DINOv2 backbone, when the depth file does not carry it.
pub const DINO_SOURCE: ModelSource = ModelSource {
    name: "dinov2",
    hub_repo: Some("lmz/candle-dino-v2"),
    hint: "put dinov2_vits14.safetensors (Hugging Face lmz/candle-dino-v2) in $DWIM_MODELS/depth-anything-v2 \
           or $DWIM_MODELS/dinov2, or use a depth file that holds the `pretrained.*` backbone",
};
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];
const PATCH: usize = 14;
/// Depth maps kept per estimator (most recent images).
const KEEP_MAPS: usize = 16;
/// candle's DINOv2 prepends a `(1, 1, dim)` class token with `cat`, so it takes one image per
/// forward pass: queued calls run one after another on the worker.
const MAX_BATCH: usize = 1;

/// `config.json` of the depth folder; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DepthConfig {
    pub encoder: Option<String>,
    pub embed_dim: Option<usize>,
    pub depth: Option<usize>,
    pub num_heads: Option<usize>,
    pub features: Option<usize>,
    pub out_channels: Option<[usize; 4]>,
    pub layer_ids: Option<Vec<usize>>,
    pub image_size: Option<usize>,
}

/// The network's sizes, after presets and overrides.
#[derive(Debug, Clone)]
pub struct DepthShape {
    pub encoder: String,
    pub embed_dim: usize,
    pub depth: usize,
    pub num_heads: usize,
    pub features: usize,
    pub out_channels: [usize; 4],
    pub layer_ids: Vec<usize>,
    pub image_size: usize,
}

impl DepthConfig {
    pub fn resolve(&self) -> Result<DepthShape, Diagnostic> {
        let enc = self.encoder.clone().unwrap_or_else(|| "vits".into());
        let (dim, depth, heads, feat, out, ids): (usize, usize, usize, usize, [usize; 4], Vec<usize>) = match enc.as_str() {
            "vits" => (384, 12, 6, 64, [48, 96, 192, 384], vec![2, 5, 8, 11]),
            "vitb" => (768, 12, 12, 128, [96, 192, 384, 768], vec![2, 5, 8, 11]),
            "vitl" => (1024, 24, 16, 256, [256, 512, 1024, 1024], vec![4, 11, 17, 23]),
            other => return Err(bad(format!("unknown encoder `{other}` (vits, vitb, vitl)"))),
        };
        let s = DepthShape {
            encoder: enc,
            embed_dim: self.embed_dim.unwrap_or(dim),
            depth: self.depth.unwrap_or(depth),
            num_heads: self.num_heads.unwrap_or(heads),
            features: self.features.unwrap_or(feat),
            out_channels: self.out_channels.unwrap_or(out),
            layer_ids: self.layer_ids.clone().unwrap_or(ids),
            image_size: self.image_size.unwrap_or(518),
        };
        if s.image_size < PATCH || !s.image_size.is_multiple_of(PATCH) {
            return Err(bad(format!("image_size {} is not a positive multiple of {PATCH}", s.image_size)));
        }
        if s.num_heads == 0 || !s.embed_dim.is_multiple_of(s.num_heads) || s.features < 2 {
            return Err(bad("embed_dim must be a multiple of num_heads, features at least 2".into()));
        }
        if s.layer_ids.len() != 4 || s.layer_ids.iter().any(|&i| i >= s.depth) {
            return Err(bad(format!("layer_ids must be 4 block indices below depth {}", s.depth)));
        }
        Ok(s)
    }
}

fn bad(msg: String) -> Diagnostic {
    Diagnostic::new(Code::E401, format!("Depth-Anything-v2 config: {msg}"))
}

impl DepthShape {
    pub fn head_file(&self) -> String {
        format!("depth_anything_v2_{}.safetensors", self.encoder)
    }
    pub fn dino_file(&self) -> String {
        format!("dinov2_{}14.safetensors", self.encoder)
    }
    pub(crate) fn candle(&self) -> DepthAnythingV2Config {
        DepthAnythingV2Config::new(self.out_channels, self.embed_dim, self.features, false, false, self.layer_ids.clone(), self.image_size, self.image_size / PATCH)
    }
}

/// The weight files one depth model needs, resolved.
pub struct DepthFiles {
    pub shape: DepthShape,
    pub head: PathBuf,
    /// `None` when the head file holds the backbone (`pretrained.*`).
    pub dino: Option<PathBuf>,
}

/// Find the config, the depth file and, if that lacks the backbone, the DINOv2 file.
pub fn resolve_files(cfg: &NativeConfig) -> Result<DepthFiles, Diagnostic> {
    let conf_path = SOURCE.local_dir(cfg).join("config.json");
    let conf: DepthConfig = if conf_path.is_file() { read_json(&conf_path)? } else { DepthConfig::default() };
    let shape = conf.resolve()?;
    let head = SOURCE.file(cfg, &shape.head_file())?;
    let dino = if has_backbone(&head)? {
        None
    } else {
        let beside = SOURCE.local_dir(cfg).join(shape.dino_file());
        Some(if beside.is_file() { beside } else { DINO_SOURCE.file(cfg, &shape.dino_file())? })
    };
    Ok(DepthFiles { shape, head, dino })
}

/// Whether a safetensors file holds `pretrained.cls_token` (reads the header only).
fn has_backbone(path: &Path) -> Result<bool, Diagnostic> {
    use std::io::Read;
    let unreadable = |e: String| Diagnostic::new(Code::E401, format!("{} is not a safetensors file: {e}", path.display()));
    let (mut f, _) = crate::io::open_regular(path).map_err(missing_is_e411)?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|e| unreadable(e.to_string()))?;
    let n = u64::from_le_bytes(len);
    if n > 100 << 20 {
        return Err(unreadable(format!("header of {n} bytes")));
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header).map_err(|e| unreadable(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_slice(&header).map_err(|e| unreadable(e.to_string()))?;
    Ok(json.get("pretrained.cls_token").is_some())
}

/// Relative depth of one image at the network's resolution: `size`² values in [0, 1], row-major,
/// 0 = the nearest point of the image, 1 = the farthest.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthMap {
    pub size: usize,
    pub values: Vec<f32>,
}

impl DepthMap {
    /// Median depth of the map cells whose centres fall in `region` (the cell nearest the
    /// region's centre when none does).
    pub fn median_in(&self, region: &Region) -> f32 {
        let (w, h) = (region.image.width().max(1) as f64, region.image.height().max(1) as f64);
        let (s, b) = (self.size as f64, region.bbox);
        let mut vals = Vec::new();
        for y in 0..self.size {
            let cy = (y as f64 + 0.5) * h / s;
            if cy < b.y0 || cy > b.y1 {
                continue;
            }
            for x in 0..self.size {
                let cx = (x as f64 + 0.5) * w / s;
                if cx >= b.x0 && cx <= b.x1 {
                    vals.push(self.values[y * self.size + x]);
                }
            }
        }
        if vals.is_empty() {
            let (cx, cy) = b.center();
            let x = ((cx / w * s) as usize).min(self.size - 1);
            let y = ((cy / h * s) as usize).min(self.size - 1);
            return self.values[y * self.size + x];
        }
        vals.sort_by(f32::total_cmp);
        let n = vals.len();
        if n % 2 == 1 { vals[n / 2] } else { (vals[n / 2 - 1] + vals[n / 2]) / 2.0 }
    }
}

/// A loaded Depth-Anything-v2 on its worker thread, with recent depth maps; shared and thread-safe.
pub struct DepthEstimator {
    worker: BatchWorker<Vec<f32>, Vec<f32>>,
    size: usize,
    maps: Mutex<VecDeque<(String, Arc<DepthMap>)>>,
}

impl DepthEstimator {
    pub fn shared(cfg: &NativeConfig) -> Result<Arc<DepthEstimator>, Diagnostic> {
        let files = resolve_files(cfg)?;
        let mut paths = vec![files.head.clone()];
        paths.extend(files.dino.clone());
        let key = cfg.key(&format!("depth:{:?}", files.shape), &paths);
        let (device, dtype) = (cfg.device, cfg.precision.dtype());
        cache::shared(&key, move || DepthEstimator::load(files, device, dtype))
    }

    /// Load from a folder laid out as described in the module docs (tests, benches).
    pub fn from_dir(dir: &Path, device: super::DeviceChoice, dtype: DType) -> Result<DepthEstimator, Diagnostic> {
        let cfg = NativeConfig::default().offline().with_model_dir(SOURCE.name, dir).with_model_dir(DINO_SOURCE.name, dir);
        DepthEstimator::load(resolve_files(&cfg)?, device, dtype)
    }

    fn load(files: DepthFiles, device: super::DeviceChoice, dtype: DType) -> Result<DepthEstimator, Diagnostic> {
        let size = files.shape.image_size;
        let worker = BatchWorker::spawn(
            "depth",
            MAX_BATCH,
            move || {
                let dev = device.device()?;
                let model = build(&files, &dev, dtype)?;
                Ok((model, dev, dtype, files.shape.image_size))
            },
            |(model, dev, dtype, size): &(DepthAnythingV2, Device, DType, usize), inputs: Vec<Vec<f32>>| {
                forward(model, dev, *dtype, *size, inputs).map_err(model_err("Depth-Anything-v2 forward"))
            },
        )?;
        Ok(DepthEstimator { worker, size, maps: Mutex::new(VecDeque::new()) })
    }

    /// The network's input side length.
    pub fn input_size(&self) -> usize {
        self.size
    }

    /// The depth map of `image`, computed once per image (by pixel hash) and kept.
    pub fn map(&self, image: &Image) -> Result<Arc<DepthMap>, Diagnostic> {
        let key = image.hash().to_string();
        if let Some(m) = self.lock().iter().find(|(k, _)| *k == key).map(|(_, m)| m.clone()) {
            return Ok(m);
        }
        let s = self.size as u32;
        let input = pixels::chw_normalised(&pixels::resize_rgb(image.pixels(), s, s), MEAN, STD);
        let map = Arc::new(normalise(self.worker.call(input)?, self.size));
        let mut maps = self.lock();
        maps.push_back((key, map.clone()));
        while maps.len() > KEEP_MAPS {
            maps.pop_front();
        }
        Ok(map)
    }

    /// Median relative depth of a region (see [`DepthMap`]).
    pub fn depth(&self, region: &Region) -> Result<f32, Diagnostic> {
        let b = region.bbox;
        if !(b.x1 > b.x0 && b.y1 > b.y0) {
            return Err(Diagnostic::new(Code::E402, "the region is empty"));
        }
        Ok(self.map(&region.image)?.median_in(region))
    }

    /// Forward passes run and the largest batch, for tests and benches.
    pub fn batches(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.worker.stats().batches.load(Relaxed), self.worker.stats().max_batch.load(Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, Arc<DepthMap>)>> {
        self.maps.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Build the network from the resolved files: backbone tensors under `pretrained.`, a zero
/// classifier head for candle's DINOv2 (Depth-Anything never uses it), the DPT head.
fn build(files: &DepthFiles, dev: &Device, dtype: DType) -> Result<DepthAnythingV2, Diagnostic> {
    let read = |p: &Path| {
        crate::io::check_regular(p)?;
        candle_core::safetensors::load(p, &Device::Cpu)
            .map_err(|e| Diagnostic::new(Code::E411, format!("cannot read {}: {e}", p.display())))
    };
    let mut map: HashMap<String, Tensor> = read(&files.head)?;
    if let Some(d) = &files.dino {
        for (k, v) in read(d)? {
            map.insert(format!("pretrained.{k}"), v);
        }
    }
    let s = &files.shape;
    let err = model_err("loading Depth-Anything-v2");
    if !map.contains_key("pretrained.head.weight") {
        map.insert("pretrained.head.weight".into(), Tensor::zeros((1000, 2 * s.embed_dim), DType::F32, &Device::Cpu).map_err(&err)?);
        map.insert("pretrained.head.bias".into(), Tensor::zeros(1000, DType::F32, &Device::Cpu).map_err(&err)?);
    }
    let vb = VarBuilder::from_tensors(map, dtype, dev);
    let dino = DinoVisionTransformer::new(vb.pp("pretrained"), s.depth, s.embed_dim, s.num_heads).map_err(&err)?;
    DepthAnythingV2::new(Arc::new(dino), s.candle(), vb).map_err(err)
}

fn forward(model: &DepthAnythingV2, dev: &Device, dtype: DType, size: usize, inputs: Vec<Vec<f32>>) -> candle_core::Result<Vec<Vec<f32>>> {
    let n = inputs.len();
    let flat: Vec<f32> = inputs.into_iter().flatten().collect();
    let x = Tensor::from_vec(flat, (n, 3, size, size), dev)?.to_dtype(dtype)?;
    let mut y = model.forward(&x)?;
    // candle's last 1×1 convolution pads by one pixel: a constant ring around the map.
    let (_, _, h, w) = y.dims4()?;
    if h == size + 2 && w == size + 2 {
        y = y.narrow(2, 1, size)?.narrow(3, 1, size)?;
    }
    y.to_dtype(DType::F32)?.reshape((n, size * size))?.to_vec2::<f32>()
}

/// Inverse depth → [0, 1] depth (0 nearest). A flat map (no depth cue) is all zeros.
fn normalise(disparity: Vec<f32>, size: usize) -> DepthMap {
    let finite = disparity.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    let span = hi - lo;
    let values = disparity
        .iter()
        .map(|&v| if span > 0.0 && v.is_finite() { (hi - v) / span } else { 0.0 })
        .collect();
    DepthMap { size, values }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::BBox;

    #[test]
    fn median_and_normalisation() {
        let m = normalise(vec![4.0, 3.0, 2.0, 0.0], 2);
        assert_eq!(m.values, vec![0.0, 0.25, 0.5, 1.0]);
        let img = Image::from_rgb(image::RgbImage::new(20, 20));
        let top = Region::new(img.clone(), BBox { x0: 0.0, y0: 0.0, x1: 20.0, y1: 9.0 });
        assert_eq!(m.median_in(&top), 0.125);
        let tiny = Region::new(img, BBox { x0: 14.0, y0: 14.0, x1: 14.5, y1: 14.5 });
        assert_eq!(m.median_in(&tiny), 1.0);
        assert_eq!(normalise(vec![1.0; 4], 2).values, vec![0.0; 4]);
    }

    #[test]
    fn config_presets_and_checks() {
        let s = DepthConfig::default().resolve().unwrap();
        assert_eq!((s.embed_dim, s.image_size, s.head_file().as_str()), (384, 518, "depth_anything_v2_vits.safetensors"));
        let c = DepthConfig { image_size: Some(500), ..Default::default() };
        assert_eq!(c.resolve().unwrap_err().code, Code::E401);
        let c = DepthConfig { encoder: Some("vitx".into()), ..Default::default() };
        assert!(c.resolve().unwrap_err().message.contains("vitx"));
    }
}

/// A weights file that is not there is E411 (model weights not available); a FIFO or device stays E502.
fn missing_is_e411(d: Diagnostic) -> Diagnostic {
    if d.code == Code::E501 { Diagnostic { code: Code::E411, ..d } } else { d }
}
