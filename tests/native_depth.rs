//! Depth-Anything-v2 with a small random-initialised checkpoint written by the test (candle's
//! tensor names, scaled-down config): loading both file layouts, shapes, determinism, concurrent
//! calls on one shared model, and `depth` end to end in a workflow.
#![cfg(feature = "native")]

use candle_core::DType;
use dwim::tools::native::{add_native_tools, fixtures, DepthEstimator, DeviceChoice, NativeConfig};
use dwim::value::{BBox, Image, Region};
use dwim::{Code, Limits, Registry, Session, Value};
use std::path::Path;
use std::sync::Arc;

fn scene(seed: u8) -> Image {
    Image::from_rgb(image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8 ^ seed, (y * 4) as u8, if x > 40 { 200 } else { 30 }])
    }))
}

fn tiny(seed: u64, split: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_tiny_depth(dir.path(), seed, split).unwrap();
    dir
}

fn header(path: &Path) -> String {
    let st = std::fs::read(path).unwrap();
    String::from_utf8_lossy(&st[8..8 + u64::from_le_bytes(st[..8].try_into().unwrap()) as usize]).to_string()
}

fn load(dir: &Path) -> DepthEstimator {
    DepthEstimator::from_dir(dir, DeviceChoice::Cpu, DType::F32).unwrap()
}

#[test]
fn tiny_checkpoint_has_real_tensor_names_and_loads() {
    let dir = tiny(7, false);
    let h = header(&dir.path().join("depth_anything_v2_vits.safetensors"));
    for name in [
        "pretrained.cls_token",
        "pretrained.pos_embed",
        "pretrained.patch_embed.proj.weight",
        "pretrained.blocks.3.attn.qkv.weight",
        "pretrained.blocks.0.ls1.gamma",
        "pretrained.norm.weight",
        "depth_head.projects.0.weight",
        "depth_head.resize_layers.0.weight",
        "depth_head.resize_layers.3.weight",
        "depth_head.scratch.layer1_rn.weight",
        "depth_head.scratch.refinenet4.resConfUnit2.conv1.weight",
        "depth_head.scratch.output_conv2.2.weight",
    ] {
        assert!(h.contains(&format!("\"{name}\"")), "missing {name}");
    }
    assert!(!h.contains("pretrained.head."), "the released layout has no DINOv2 classifier head");
    let d = load(dir.path());
    assert_eq!(d.input_size(), 56);
    let m = d.map(&scene(0)).unwrap();
    assert_eq!((m.size, m.values.len()), (56, 56 * 56));
    assert!(m.values.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(m.values.iter().any(|v| *v > 0.0), "the tiny random model gives a non-flat map");
}

#[test]
fn split_layout_with_a_separate_dinov2_file_gives_the_same_depth() {
    let (one, two) = (tiny(3, false), tiny(3, true));
    let h = header(&two.path().join("dinov2_vits14.safetensors"));
    assert!(h.contains("\"blocks.0.attn.qkv.weight\"") && h.contains("\"head.weight\"") && !h.contains("pretrained."));
    assert!(!header(&two.path().join("depth_anything_v2_vits.safetensors")).contains("pretrained."));
    let img = scene(1);
    assert_eq!(load(one.path()).map(&img).unwrap(), load(two.path()).map(&img).unwrap());
}

#[test]
fn same_seed_same_weights_same_depth() {
    let (a, b, c) = (tiny(1, false), tiny(1, false), tiny(2, false));
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("depth_anything_v2_vits.safetensors")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    let img = scene(2);
    let (ea, eb) = (load(a.path()), load(b.path()));
    let region = Region::new(img.clone(), BBox { x0: 10.0, y0: 5.0, x1: 50.0, y1: 40.0 });
    assert_eq!(ea.depth(&region).unwrap(), eb.depth(&region).unwrap());
    assert_eq!(ea.map(&img).unwrap(), ea.map(&scene(2)).unwrap(), "same pixels, same (cached) map");
    assert_eq!(ea.batches().0, 1, "the map of one image is computed once");
}

#[test]
fn concurrent_calls_share_one_model_and_agree_with_single_calls() {
    let dir = tiny(5, false);
    let imgs: Vec<Image> = (0..6).map(|i| scene(i * 40)).collect();
    let single = load(dir.path());
    let want: Vec<Vec<f32>> = imgs.iter().map(|i| single.map(i).unwrap().values.clone()).collect();
    let shared = Arc::new(load(dir.path()));
    let barrier = Arc::new(std::sync::Barrier::new(imgs.len()));
    let handles: Vec<_> = imgs
        .iter()
        .cloned()
        .map(|img| {
            let (d, b) = (shared.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                d.map(&img).unwrap().values.clone()
            })
        })
        .collect();
    let got: Vec<Vec<f32>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (g, w) in got.iter().zip(&want) {
        let diff = g.iter().zip(w).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff < 1e-4, "batched and single results differ by {diff}");
    }
    // candle's DINOv2 takes one image per forward pass: calls queue on the model's worker.
    assert_eq!(shared.batches(), (6, 1));
}

#[test]
fn depth_runs_in_a_workflow_and_the_model_is_shared() {
    let dir = tiny(9, false);
    let cfg = NativeConfig::default().offline().with_model_dir("depth-anything-v2", dir.path());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let program = "left = box(image, 0, 0, 40, 60)\n\
                   right = box(image, 40, 0, 80, 60)\n\
                   near = min_by([left, right], r -> depth(r))\n\
                   answer [depth(image), depth(left), depth(right), area(near)]\n";
    let run = || {
        let mut s = Session::new(&reg, Limits::default());
        s.bind("image", Value::Image(scene(3)));
        let out = s.feed(program).unwrap();
        assert!(out.iter().all(|o| o.error().is_none()), "{:?}", out.iter().find_map(|o| o.error()));
        s.answer().cloned().unwrap()
    };
    let a = run();
    let Value::List(l) = &a else { panic!("{a:?}") };
    for v in &l[..3] {
        assert!(matches!(v, Value::Number(n) if (0.0..=1.0).contains(n)), "{v:?}");
    }
    assert!(matches!(l[3], Value::Number(n) if n == 2400.0));
    assert!(run().equals(&a), "a second session gets the same answer from the shared model");
}

#[test]
fn missing_or_bad_files_are_diagnostics() {
    let empty = tempfile::tempdir().unwrap();
    let e = DepthEstimator::from_dir(empty.path(), DeviceChoice::Cpu, DType::F32).err().unwrap();
    assert_eq!(e.code, Code::E411);
    assert!(e.message.contains("depth_anything_v2_vits.safetensors"), "{}", e.message);

    let split = tiny(1, true);
    std::fs::remove_file(split.path().join("dinov2_vits14.safetensors")).unwrap();
    let e = DepthEstimator::from_dir(split.path(), DeviceChoice::Cpu, DType::F32).err().unwrap();
    assert_eq!(e.code, Code::E411);
    assert!(e.message.contains("dinov2_vits14.safetensors"), "{}", e.message);

    let bad = tiny(1, false);
    std::fs::write(bad.path().join("config.json"), r#"{"encoder": "vits", "image_size": 50}"#).unwrap();
    assert_eq!(DepthEstimator::from_dir(bad.path(), DeviceChoice::Cpu, DType::F32).err().unwrap().code, Code::E401);
    std::fs::write(bad.path().join("config.json"), r#"{"encoder": "vits", "embed_dim": 24}"#).unwrap();
    let e = DepthEstimator::from_dir(bad.path(), DeviceChoice::Cpu, DType::F32).err().unwrap();
    assert_eq!(e.code, Code::E401, "shape mismatch against the weights: {}", e.message);
    std::fs::write(bad.path().join("depth_anything_v2_vits.safetensors"), b"not safetensors").unwrap();
    std::fs::write(bad.path().join("config.json"), tiny_config()).unwrap();
    assert!(DepthEstimator::from_dir(bad.path(), DeviceChoice::Cpu, DType::F32).is_err());

    let cfg = NativeConfig::default().offline().with_model_dir("depth-anything-v2", empty.path());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let mut s = Session::new(&reg, Limits::default());
    s.bind("image", Value::Image(scene(0)));
    let out = s.feed("d = depth(image)\n").unwrap();
    assert_eq!(out[0].error().unwrap().code, Code::E411);
}

fn tiny_config() -> String {
    fixtures::tiny_depth_config().to_string()
}
