//! PaliGemma (`vqa`, `detect`) with a small random-initialised checkpoint and word-level
//! tokenizer written by the test (real tensor names, scaled-down config): loading a single file
//! and a sharded checkpoint, greedy generation, determinism, concurrency, the tools end to end.
//! Random weights write garbage; the parsing of `<locNNNN>` output into boxes is unit-tested in
//! `tools::native::locations` on hand-written strings.
#![cfg(feature = "native")]

use candle_core::{DType, Device, Tensor};
use dwim::tools::native::{add_native_tools, fixtures, NativeConfig, PaliGemma};
use dwim::value::{BBox, Image, Region};
use dwim::{Code, Limits, Registry, Session, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

fn scene() -> Image {
    Image::from_rgb(image::RgbImage::from_fn(64, 48, |x, y| {
        if (8..28).contains(&x) && (10..40).contains(&y) { image::Rgb([220, 20, 20]) } else { image::Rgb([240, 240, 240]) }
    }))
}

fn tiny(seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixtures::write_tiny_paligemma(dir.path(), seed).unwrap();
    dir
}

fn load(dir: &Path) -> PaliGemma {
    PaliGemma::from_dir(dir, &Device::Cpu, DType::F32).unwrap()
}

#[test]
fn tiny_checkpoint_has_real_tensor_names_and_generates() {
    let dir = tiny(7);
    let st = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    let header = String::from_utf8_lossy(&st[8..8 + u64::from_le_bytes(st[..8].try_into().unwrap()) as usize]).to_string();
    for name in [
        "vision_tower.vision_model.embeddings.patch_embedding.weight",
        "vision_tower.vision_model.embeddings.position_embedding.weight",
        "vision_tower.vision_model.encoder.layers.1.self_attn.q_proj.weight",
        "vision_tower.vision_model.post_layernorm.weight",
        "multi_modal_projector.linear.weight",
        "language_model.model.embed_tokens.weight",
        "language_model.model.layers.1.self_attn.k_proj.weight",
        "language_model.model.layers.0.mlp.gate_proj.weight",
        "language_model.model.norm.weight",
    ] {
        assert!(header.contains(&format!("\"{name}\"")), "missing {name}");
    }
    let vlm = load(dir.path());
    let g = vlm.generate(&Region::whole(scene()), "answer en what color is the car?", 8).unwrap();
    eprintln!("tiny random PaliGemma answered {:?} (ids {:?})", g.raw, g.ids);
    assert!(g.ids.len() <= 8);
    assert!(!g.ids.contains(&1), "the end-of-sequence token ends generation and is not kept");
    assert_eq!(g.ids.is_empty(), g.raw.trim().is_empty());
    let again = vlm.generate(&Region::whole(scene()), "answer en what color is the car?", 8).unwrap();
    assert_eq!(g, again, "greedy decoding is deterministic");
    let short = vlm.generate(&Region::whole(scene()), "answer en what color is the car?", 3).unwrap();
    assert_eq!(short.ids[..], g.ids[..short.ids.len()], "a shorter budget gives a prefix of the same answer");
}

#[test]
fn same_seed_same_weights_same_answers() {
    let (a, b, c) = (tiny(1), tiny(1), tiny(2));
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("model.safetensors")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    let r = Region::whole(scene());
    let ga = load(a.path()).generate(&r, "detect car", 12).unwrap();
    let gb = load(b.path()).generate(&r, "detect car", 12).unwrap();
    assert_eq!(ga, gb);
}

#[test]
fn a_sharded_checkpoint_loads_through_its_index() {
    let dir = tiny(4);
    let want = load(dir.path()).generate(&Region::whole(scene()), "caption en", 10).unwrap();
    let all = candle_core::safetensors::load(dir.path().join("model.safetensors"), &Device::Cpu).unwrap();
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let (vision, text): (HashMap<String, Tensor>, HashMap<String, Tensor>) = all.into_iter().partition(|(k, _)| !k.starts_with("language_model."));
    let names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
    let mut map = serde_json::Map::new();
    for (part, file) in [(&vision, names[0]), (&text, names[1])] {
        candle_core::safetensors::save(part, dir.path().join(file)).unwrap();
        for k in part.keys() {
            map.insert(k.clone(), file.into());
        }
    }
    let index = serde_json::json!({"metadata": {}, "weight_map": map});
    std::fs::write(dir.path().join("model.safetensors.index.json"), index.to_string()).unwrap();
    assert_eq!(load(dir.path()).generate(&Region::whole(scene()), "caption en", 10).unwrap(), want);

    std::fs::remove_file(dir.path().join(names[1])).unwrap();
    let e = PaliGemma::from_dir(dir.path(), &Device::Cpu, DType::F32).err().unwrap();
    assert_eq!(e.code, Code::E411);
    assert!(e.message.contains(names[1]), "{}", e.message);
}

#[test]
fn vqa_and_detect_run_in_a_workflow() {
    let dir = tiny(3);
    let cfg = NativeConfig::default().offline().with_model_dir("paligemma", dir.path());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let program = "obj = box(image, 8, 10, 28, 40)\n\
                   a = vqa(obj, \"what color is the square?\")\n\
                   found = detect(image, \"red square\")\n\
                   answer [a, len(found), vqa(image, \"how many cars are there?\")]\n";
    let run = || {
        let mut s = Session::new(&reg, Limits::default());
        s.bind("image", Value::Image(scene()));
        let out = s.feed(program).unwrap();
        assert!(out.iter().all(|o| o.error().is_none()), "{:?}", out.iter().find_map(|o| o.error()));
        s.answer().cloned().unwrap()
    };
    let a = run();
    let Value::List(l) = &a else { panic!("{a:?}") };
    assert!(matches!(&l[0], Value::Text(_)) && matches!(&l[2], Value::Text(_)));
    assert!(matches!(l[1], Value::Number(n) if n >= 0.0));
    assert!(run().equals(&a), "a second session gets the same answers from the shared model");
}

#[test]
fn concurrent_calls_agree_with_single_calls() {
    let dir = tiny(5);
    let vlm = Arc::new(load(dir.path()));
    let img = scene();
    let questions = ["what color is the car?", "how many dogs are there?", "is the cat left?", "what shape is the sign?"];
    let want: Vec<_> = questions.iter().map(|q| vlm.generate(&Region::whole(img.clone()), &format!("answer en {q}"), 6).unwrap()).collect();
    let handles: Vec<_> = questions
        .iter()
        .map(|q| {
            let (v, img, q) = (vlm.clone(), img.clone(), q.to_string());
            std::thread::spawn(move || v.generate(&Region::whole(img), &format!("answer en {q}"), 6).unwrap())
        })
        .collect();
    let got: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(got, want);
}

#[test]
fn bad_inputs_and_missing_files_are_diagnostics() {
    let dir = tiny(6);
    let cfg = NativeConfig::default().offline().with_model_dir("paligemma", dir.path());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let mut s = Session::new(&reg, Limits::default());
    s.bind("image", Value::Image(scene()));
    for (line, code) in [
        ("a = vqa(image, \"  \")\n", Code::E402),
        ("b = detect(image, \"\")\n", Code::E402),
        (&format!("c = vqa(image, \"{}\")\n", "what is the color ".repeat(30)), Code::E402),
    ] {
        let out = s.feed(line).unwrap();
        let e = out[0].error().unwrap_or_else(|| panic!("{line} should fail"));
        assert_eq!(e.code, code, "{line}: {}", e.message);
        assert_eq!(e.tool.as_deref(), Some(if line.contains("vqa") { "vqa" } else { "detect" }));
    }
    let region = Region::new(scene(), BBox { x0: 10.0, y0: 10.0, x1: 10.0, y1: 30.0 });
    assert_eq!(load(dir.path()).generate(&region, "caption en", 2).err().unwrap().code, Code::E402);

    let empty = tempfile::tempdir().unwrap();
    let e = PaliGemma::from_dir(empty.path(), &Device::Cpu, DType::F32).err().unwrap();
    assert_eq!(e.code, Code::E411);
    assert!(e.message.contains("config.json"), "{}", e.message);
    std::fs::copy(dir.path().join("config.json"), empty.path().join("config.json")).unwrap();
    std::fs::copy(dir.path().join("tokenizer.json"), empty.path().join("tokenizer.json")).unwrap();
    let e = PaliGemma::from_dir(empty.path(), &Device::Cpu, DType::F32).err().unwrap();
    assert_eq!(e.code, Code::E411);
    assert!(e.message.contains("model.safetensors"), "{}", e.message);
}
