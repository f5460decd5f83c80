//! CLIP with a small random-initialised checkpoint written by the test (real tensor names and file
//! layout, scaled-down config): loading, shapes, determinism, and the tools end to end.
#![cfg(feature = "native")]

use dwim::tools::native::{add_native_tools, fixtures, ClipScorer, NativeConfig};
use dwim::value::{BBox, Image, Region};
use dwim::{Code, Limits, Registry, Session, Value};
use candle_core::{DType, Device};

fn scene() -> Image {
    let mut img = image::RgbImage::from_pixel(64, 48, image::Rgb([255, 255, 255]));
    for y in 8..40 {
        for x in 4..28 {
            img.put_pixel(x, y, image::Rgb([220, 20, 20]));
        }
        for x in 36..60 {
            img.put_pixel(x, y, image::Rgb([20, 20, 220]));
        }
    }
    Image::from_rgb(img)
}

fn tiny(seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_tiny_clip(dir.path(), seed).unwrap();
    dir
}

#[test]
fn tiny_checkpoint_loads_with_real_tensor_names() {
    let dir = tiny(7);
    let st = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    let header = String::from_utf8_lossy(&st[8..8 + u64::from_le_bytes(st[..8].try_into().unwrap()) as usize]).to_string();
    for name in [
        "text_model.embeddings.token_embedding.weight",
        "text_model.encoder.layers.1.self_attn.q_proj.weight",
        "vision_model.embeddings.patch_embedding.weight",
        "vision_model.embeddings.class_embedding",
        "vision_model.pre_layrnorm.weight",
        "visual_projection.weight",
        "text_projection.weight",
        "logit_scale",
    ] {
        assert!(header.contains(&format!("\"{name}\"")), "missing {name}");
    }
    let clip = ClipScorer::from_dir(dir.path(), &Device::Cpu, DType::F32).unwrap();
    let img = scene();
    let regions = [Region::whole(img.clone()), Region::new(img, BBox { x0: 4.0, y0: 8.0, x1: 28.0, y1: 40.0 })];
    let e = clip.image_embeddings(&regions).unwrap();
    assert_eq!((e.len(), e[0].len()), (2, 16));
    let logits = clip.logits(&regions, &["a red square", "a blue circle", "a photo of a dog"]).unwrap();
    assert_eq!((logits.len(), logits[0].len()), (2, 3));
    assert!(logits.iter().flatten().all(|x| x.is_finite()));
    let p = clip.probs(&regions[0], &["red", "blue"]).unwrap();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn same_seed_same_weights_same_outputs() {
    let (a, b, c) = (tiny(1), tiny(1), tiny(2));
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("model.safetensors")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    let r = [Region::whole(scene())];
    let la = ClipScorer::from_dir(a.path(), &Device::Cpu, DType::F32).unwrap().logits(&r, &["red square", "cat"]).unwrap();
    let lb = ClipScorer::from_dir(b.path(), &Device::Cpu, DType::F32).unwrap().logits(&r, &["red square", "cat"]).unwrap();
    assert_eq!(la, lb);
    let again = ClipScorer::from_dir(a.path(), &Device::Cpu, DType::F32).unwrap().logits(&r, &["red square", "cat"]).unwrap();
    assert_eq!(la, again, "a forward pass is deterministic");
}

#[test]
fn tools_run_in_a_session() {
    let dir = tiny(3);
    let cfg = NativeConfig::default().offline().with_model_dir("clip", dir.path());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let mut s = Session::new(&reg, Limits::default());
    s.bind("image", Value::Image(scene()));
    let out = s
        .feed(
            "label = classify(image, [\"cat\", \"dog\", \"red square\"])\n\
             a = box(image, 4, 8, 28, 40)\n\
             b = box(image, 36, 8, 60, 40)\n\
             best = best_image_match([a, b], \"a blue square\")\n\
             answer [label, area(best)]\n",
        )
        .unwrap();
    assert!(out.iter().all(|o| o.error().is_none()), "{:?}", out.iter().find_map(|o| o.error()));
    let Some(Value::List(l)) = s.answer() else { panic!("{:?}", s.answer()) };
    assert!(matches!(&l[0], Value::Text(t) if ["cat", "dog", "red square"].contains(&&**t)));
    assert!(matches!(&l[1], Value::Number(n) if *n == 768.0));
    // The model is loaded once and shared across sessions.
    let mut s2 = Session::new(&reg, Limits::default());
    s2.bind("image", Value::Image(scene()));
    let out = s2.feed("answer classify(image, [\"cat\", \"dog\", \"red square\"])\n").unwrap();
    assert!(out[0].error().is_none());
    assert!(s2.answer().unwrap().equals(&l[0]), "same input, same label");
}

#[test]
fn bad_inputs_are_diagnostics() {
    let dir = tiny(4);
    let cfg = NativeConfig::default().offline().with_model_dir("clip", dir.path());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let mut s = Session::new(&reg, Limits::default());
    s.bind("image", Value::Image(scene()));
    let out = s.feed("x = classify(image, [])\n").unwrap();
    assert_eq!(out[0].error().unwrap().code, Code::E402);
    let out = s.feed("y = best_image_match([], \"cat\")\n").unwrap();
    assert_eq!(out[0].error().unwrap().code, Code::E402);

    let empty = tempfile::tempdir().unwrap();
    let cfg = NativeConfig::default().offline().with_model_dir("clip", empty.path());
    let err = ClipScorer::shared(&cfg).err().unwrap();
    assert_eq!(err.code, Code::E411);
    assert!(err.message.contains("config.json"));
}
