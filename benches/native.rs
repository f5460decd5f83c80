//! Native model tools on CPU: per-call latency and throughput for each tool, and MiniLM embedding
//! throughput against sentence-transformers/PyTorch on the same sentences in the same run.
//!
//!   cargo bench --features native --bench native
//!   DWIM_BENCH_PYTHON=/path/to/venv/bin/python cargo bench --features native --bench native
//!
//! Real weights come from scripts/fetch-models.sh; CLIP has none here, so it is measured with the
//! tiny random checkpoint through the tool, and at full ViT-B/32 size with random weights in memory.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::clip::{ClipConfig, ClipModel};
use dwim::tools::native::{add_native_tools, fixtures, NativeConfig, TextEmbedder, TextReader};
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

fn main() {
    println!("dwim native model tools, CPU, {} threads available", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let cfg = NativeConfig::default().offline();
    minilm(&cfg);
    ocr(&cfg);
    clip();
}
