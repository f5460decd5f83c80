//! Native model tools on CPU: per-call latency and throughput for each tool, and MiniLM embedding
//! throughput against sentence-transformers/PyTorch on the same sentences in the same run.
//!
//!   cargo bench --features native --bench native
//!   DWIM_BENCH_PYTHON=/path/to/venv/bin/python cargo bench --features native --bench native
//!
//! Real weights come from scripts/fetch-models.sh; CLIP, Depth-Anything-v2 and PaliGemma have none
//! here, so they are measured with the tiny random checkpoints through the tools (labelled "tiny
//! random": tool overhead, preprocessing and decoding loop, not model cost), and CLIP and
//! Depth-Anything-v2 also at full size with random weights in memory.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::clip::{ClipConfig, ClipModel};
use candle_core::Module;
use candle_transformers::models::depth_anything_v2::{DepthAnythingV2, DepthAnythingV2Config};
use candle_transformers::models::dinov2;
use dwim::tools::native::{add_native_tools, fixtures, DepthEstimator, DeviceChoice, NativeConfig, PaliGemma, TextEmbedder, TextReader};
use dwim::value::{Image, Region};
use dwim::{Limits, Registry, Session, Value};
use std::time::{Duration, Instant};

#[path = "../tests/native_common/mod.rs"]
mod native_common;

const THREADS: usize = 2;
const BATCH: usize = 32;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn time<T>(n: usize, mut f: impl FnMut() -> T) -> f64 {
    f();
    median((0..n).map(|_| { let t = Instant::now(); f(); t.elapsed() }).collect())
}

fn sentences() -> Vec<String> {
    let subjects = ["A man", "The red car", "Two dogs", "A woman in a blue coat", "The old bridge", "A child", "The black shoe", "Three birds"];
    let verbs = ["is standing next to", "is parked behind", "is running towards", "is looking at", "is far from", "is painted like"];
    let objects = ["the river.", "a tall building with many windows.", "a small wooden table.", "the sign that says STOP.", "an empty street at night.", "a bowl of fruit."];
    let mut v = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        for (j, vb) in verbs.iter().enumerate() {
            for (k, o) in objects.iter().enumerate() {
                if (i + j + k) % 2 == 0 {
                    v.push(format!("{s} {vb} {o}"));
                }
            }
        }
    }
    v
}

fn minilm(cfg: &NativeConfig) {
    let t = Instant::now();
    let Ok(e) = TextEmbedder::shared(cfg) else {
        println!("minilm: skipped (no weights; run scripts/fetch-models.sh)");
        return;
    };
    let load = t.elapsed().as_secs_f64();
    let s = sentences();
    let refs: Vec<&str> = s.iter().map(String::as_str).collect();
    let single = time(20, || e.embed(&[refs[3]]).unwrap());
    let t = Instant::now();
    for chunk in refs.chunks(BATCH) {
        e.embed(chunk).unwrap();
    }
    let sps = refs.len() as f64 / t.elapsed().as_secs_f64();
    let cos = e.similarity("A man is eating food.", "A man is eating a piece of bread.").unwrap();
    println!("minilm (candle): load {load:.2} s, one sentence {single:.1} ms, {} sentences in batches of {BATCH}: {sps:.0} sentences/s, cos(known pair) {cos:.4}", refs.len());

    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, cfg);
    let tool = time(20, || run(&reg, "answer text_similarity(\"a red car\", \"a crimson automobile\")\n", None));
    let best = time(10, || run(&reg, "answer best_text_match(\"a feline\", [\"dog\", \"cat\", \"car\", \"tree\", \"bridge\", \"shoe\", \"sign\", \"bird\"])\n", None));
    println!("tool text_similarity: {tool:.1} ms/call; best_text_match (8 candidates): {best:.1} ms/call");
    torch_baseline(cfg, &s);
}

fn torch_baseline(cfg: &NativeConfig, s: &[String]) {
    let py = std::env::var("DWIM_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let file = std::env::temp_dir().join(format!("dwim-bench-sentences-{}.txt", std::process::id()));
    std::fs::write(&file, s.join("\n")).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench_minilm_torch.py");
    let dir = cfg.models_dir.join("all-MiniLM-L6-v2");
    let out = std::process::Command::new(&py)
        .args([script, &dir.display().to_string(), &file.display().to_string(), &THREADS.to_string(), &BATCH.to_string()])
        .output();
    let _ = std::fs::remove_file(&file);
    match out {
        Ok(o) if o.status.success() => println!("minilm (sentence-transformers, {THREADS} threads): {}", String::from_utf8_lossy(&o.stdout).trim()),
        Ok(o) => println!(
            "minilm (sentence-transformers): skipped ({py} failed: {}); set DWIM_BENCH_PYTHON to a python with sentence-transformers",
            String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")
        ),
        Err(e) => println!("minilm (sentence-transformers): skipped ({py}: {e})"),
    }
}

fn run(reg: &Registry, program: &str, image: Option<&Image>) -> Value {
    let mut s = Session::new(reg, Limits::default());
    if let Some(img) = image {
        s.bind("image", Value::Image(img.clone()));
    }
    let out = s.feed(program).unwrap();
    if let Some(e) = out.iter().find_map(|o| o.error()) {
        panic!("{}", e.one_line(None));
    }
    s.answer().cloned().unwrap_or(Value::None)
}

fn ocr(cfg: &NativeConfig) {
    let t = Instant::now();
    let Ok(r) = TextReader::shared(cfg) else {
        println!("ocr: skipped (no weights; run scripts/fetch-models.sh)");
        return;
    };
    let load = t.elapsed().as_secs_f64();
    let Some(font) = native_common::font() else { return };
    let words = ["Hello", "STOP", "Exit 42", "Main Street", "Room 101", "Nike shoes", "dwim", "OPEN 24 HOURS"];
    let imgs: Vec<Image> = words.iter().map(|w| native_common::render(&font, &[w], 32.0, [20, 20, 20], [245, 245, 240])).collect();
    let mut ok = 0;
    let t = Instant::now();
    for (w, img) in words.iter().zip(&imgs) {
        ok += usize::from(r.read(&Region::whole(img.clone())).unwrap() == *w);
    }
    let per = t.elapsed().as_secs_f64() * 1e3 / words.len() as f64;
    let chars: usize = words.iter().map(|w| w.len()).sum();
    let two = native_common::render(&font, &["Main Street", "Parking"], 32.0, [0, 0, 0], [255, 255, 255]);
    let two_ms = time(5, || r.read(&Region::whole(two.clone())).unwrap());
    println!("read_text (easyocr english_g2 CRNN): load {load:.2} s, {per:.1} ms per one-line word image (32 px text), {:.0} chars/s, {ok}/{} read exactly; two-line region {two_ms:.1} ms", chars as f64 / (per * words.len() as f64 / 1e3), words.len());
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, cfg);
    let tool = time(10, || run(&reg, "answer read_text(image)\n", Some(&imgs[0])));
    println!("tool read_text through a session: {tool:.1} ms/call");
}

fn clip() {
    let dir = std::env::temp_dir().join(format!("dwim-bench-clip-{}", std::process::id()));
    fixtures::write_tiny_clip(&dir, 1).unwrap();
    let cfg = NativeConfig::default().offline().with_model_dir("clip", &dir);
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let img = Image::from_rgb(image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])));
    let c = time(20, || run(&reg, "answer classify(image, [\"cat\", \"dog\", \"car\"])\n", Some(&img)));
    println!("tool classify (tiny random CLIP, 3 labels): {c:.2} ms/call (tool overhead + preprocessing, not model cost)");
    let _ = std::fs::remove_dir_all(&dir);

    let vm = VarMap::new();
    let cfgc = ClipConfig::vit_base_patch32();
    let model = ClipModel::new(VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu), &cfgc).unwrap();
    let px = Tensor::zeros((1, 3, 224, 224), DType::F32, &Device::Cpu).unwrap();
    let px8 = Tensor::zeros((8, 3, 224, 224), DType::F32, &Device::Cpu).unwrap();
    let ids = Tensor::new(&[[49406u32, 320, 1125, 539, 320, 2368, 49407]], &Device::Cpu).unwrap();
    let img1 = time(5, || model.get_image_features(&px).unwrap());
    let img8 = time(3, || model.get_image_features(&px8).unwrap());
    let txt = time(5, || model.get_text_features(&ids).unwrap());
    println!("CLIP ViT-B/32 (full size, random weights): image {img1:.0} ms, batch of 8 images {img8:.0} ms ({:.1} images/s), one 7-token text {txt:.0} ms", 8e3 / img8);
}

fn photo(i: u32) -> Image {
    Image::from_rgb(image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([((x + i) % 256) as u8, (y % 256) as u8, (i * 37 % 256) as u8])))
}

fn depth() {
    let dir = std::env::temp_dir().join(format!("dwim-bench-depth-{}", std::process::id()));
    fixtures::write_tiny_depth(&dir, 1, false).unwrap();
    let t = Instant::now();
    let est = DepthEstimator::from_dir(&dir, DeviceChoice::Cpu, DType::F32).unwrap();
    let load = t.elapsed().as_secs_f64() * 1e3;
    let n = 20;
    let imgs: Vec<Image> = (0..n).map(photo).collect();
    let t = Instant::now();
    for img in &imgs {
        est.map(img).unwrap();
    }
    let per = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    println!("depth map (tiny random Depth-Anything-v2, 56 px input): load {load:.1} ms, {per:.2} ms per new image ({:.0} images/s)", 1e3 / per);

    let cfg = NativeConfig::default().offline().with_model_dir("depth-anything-v2", &dir);
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let img = photo(0);
    let cached = time(20, || run(&reg, "answer depth(box(image, 10, 10, 200, 120))\n", Some(&img)));
    let mut k = 1000;
    let fresh = time(10, || { k += 1; run(&reg, "answer depth(image)\n", Some(&photo(k))) });
    println!("tool depth (tiny random) through a session: {fresh:.2} ms/call on a new image, {cached:.2} ms/call on an image already seen (map cached)");
    let _ = std::fs::remove_dir_all(&dir);

    let vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    let dino = std::sync::Arc::new(dinov2::vit_small(vb.pp("pretrained")).unwrap());
    let model = DepthAnythingV2::new(dino.clone(), DepthAnythingV2Config::vit_small(), vb).unwrap();
    let px = Tensor::zeros((1, 3, 518, 518), DType::F32, &Device::Cpu).unwrap();
    let full = time(2, || model.forward(&px).unwrap());
    let backbone = time(2, || dino.get_intermediate_layers(&px, &[2, 5, 8, 11], false, false, true).unwrap());
    println!(
        "Depth-Anything-v2 ViT-S full size (518 px, random weights): {full:.0} ms per image ({:.2} images/s), of which the DINOv2 backbone {backbone:.0} ms and the DPT head {:.0} ms",
        1e3 / full,
        full - backbone
    );
}

fn vlm() {
    let dir = std::env::temp_dir().join(format!("dwim-bench-vlm-{}", std::process::id()));
    fixtures::write_tiny_paligemma(&dir, 1).unwrap();
    let t = Instant::now();
    let m = PaliGemma::from_dir(&dir, &Device::Cpu, DType::F32).unwrap();
    let load = t.elapsed().as_secs_f64() * 1e3;
    let r = Region::whole(photo(0));
    let mut toks = 0;
    let gen = time(20, || { toks = m.generate(&r, "answer en what color is the car?", 24).unwrap().ids.len(); });
    println!("PaliGemma (tiny random, width 32, 2+2 layers, 4 image tokens): load {load:.1} ms, {toks} greedy tokens in {gen:.2} ms ({:.0} tokens/s)", toks as f64 * 1e3 / gen);

    let cfg = NativeConfig::default().offline().with_model_dir("paligemma", &dir);
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let img = photo(1);
    let vqa = time(20, || run(&reg, "answer vqa(image, \"what color is the car?\")\n", Some(&img)));
    let det = time(20, || run(&reg, "answer detect(image, \"car\")\n", Some(&img)));
    println!("tool vqa (tiny random, up to 24 tokens): {vqa:.2} ms/call; tool detect (tiny random, up to 64 tokens): {det:.2} ms/call");
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    println!("dwim native model tools, CPU, {} threads available", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let cfg = NativeConfig::default().offline();
    minilm(&cfg);
    ocr(&cfg);
    clip();
    depth();
    vlm();
}
