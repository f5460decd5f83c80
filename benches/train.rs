//! One masked-SFT training step of the tiny model (4 layers, d 256, 4 heads, vocab 2048, seq 128,
//! batch 16, 30% supervised tokens, AdamW) — the config of `shared/bench/torch_tiny_sft_step.py` — timed as
//! forward+loss, backward and optimizer; then greedy decoding speed. When `python3 -c "import torch"`
//! works, the PyTorch script runs right after with the same thread count and the ratio is printed (torch is optional:
//! `pip install torch`, a 2.8 GB download; set DWIM_TORCH_SCRIPT to point at the script elsewhere).
//!
//!   cargo bench --features train --bench train            # add `-- --json` for one JSON line

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use candle_core::{Device, Tensor};
use dwim::train::cpu_grad;
use dwim::train::data::Batch;
use dwim::train::loss::batch_loss;
use dwim::train::optim::{collect_grads, AdamW, AdamWParams};
use dwim::train::rng::Rng;
use dwim::train::{generate, Config, GenOptions, Model};
use std::path::PathBuf;
use std::time::Instant;

const B: usize = 16;
const S: usize = 128;
const V: usize = 2048;
const WARMUP: usize = 3;
const STEPS: usize = 20;

/// Timed steps: `DWIM_BENCH_STEPS` or 20.
fn steps() -> usize {
    std::env::var("DWIM_BENCH_STEPS").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(STEPS)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn batch(dev: &Device) -> Batch {
    let mut rng = Rng::new(0);
    let seqs: Vec<u32> = (0..B * (S + 1)).map(|_| rng.below(V) as u32).collect();
    let mut ids = Vec::with_capacity(B * S);
    let (mut rows, mut targets) = (Vec::new(), Vec::new());
    for i in 0..B {
        let row = &seqs[i * (S + 1)..(i + 1) * (S + 1)];
        ids.extend_from_slice(&row[..S]);
        let prompt = (0.7 * S as f64 * (0.8 + 0.4 * i as f64 / (B - 1) as f64)).round() as usize;
        for t in prompt..S {
            rows.push((i * S + t) as u32);
            targets.push(row[t + 1]);
        }
    }
    let n = rows.len();
    Batch {
        ids: Tensor::from_vec(ids, (B, S), dev).unwrap(),
        rows: Tensor::from_vec(rows, n, dev).unwrap(),
        targets: Tensor::from_vec(targets, n, dev).unwrap(),
        n_tokens: B * S,
        n_targets: n,
        batch: B,
        seq: S,
    }
}

/// Process CPU time (user + system) in ms, from /proc (Linux); None elsewhere.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0) // USER_HZ = 100 on Linux
}

fn torch_script() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DWIM_TORCH_SCRIPT") {
        return Some(PathBuf::from(p));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    ["shared/bench/torch_tiny_sft_step.py", "../shared/bench/torch_tiny_sft_step.py"].iter().map(|p| root.join(p)).find(|p| p.is_file())
}

fn torch_ms(threads: usize) -> Option<(f64, serde_json::Value)> {
    let ok = std::process::Command::new("python3").args(["-c", "import torch"]).output().ok()?.status.success();
    if !ok {
        println!("torch: not installed (optional: `pip install torch`); no ratio");
        return None;
    }
    let script = torch_script()?;
    let out = std::process::Command::new("python3").arg(&script).args(["--json", "--threads", &threads.to_string()]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{'))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some((v["step_ms_median"].as_f64()?, v))
}

/// Per-step timings (ms) of one way of computing the gradients.
struct Timing {
    /// Forward+loss and backward, or the whole hand-written pass in `fwd` with `bwd` empty.
    fwd: Vec<f64>,
    bwd: Vec<f64>,
    adam: Vec<f64>,
    step: Vec<f64>,
    losses: Vec<f32>,
    cpu_per_step: Option<f64>,
}

/// Train a fresh tiny model for WARMUP + `n_steps` steps on the one batch; `hand` picks the
/// hand-written pass (`dwim::train::cpu_grad`, what `dwim train` runs on CPU) over candle's autograd.
fn run(hand: bool, n_steps: usize) -> Timing {
    let dev = Device::Cpu;
    let cfg = Config { max_seq: S, ..Config::tiny(V) };
    let model = Model::init(&cfg, 0, &dev).unwrap();
    let vars = model.trainable();
    let mut opt = AdamW::new(vars.clone(), AdamWParams::default());
    let b = batch(&dev);
    let mut t = Timing { fwd: vec![], bwd: vec![], adam: vec![], step: vec![], losses: vec![], cpu_per_step: None };
    let mut cpu0 = None;
    for i in 0..WARMUP + n_steps {
        if i == WARMUP {
            cpu0 = cpu_ms();
        }
        let t0 = Instant::now();
        let (l, grads, t1) = if hand {
            let (l, g) = cpu_grad::loss_and_grads(&model, &b, b.n_targets as f64, &vars).unwrap();
            (l, g, None)
        } else {
            let loss = batch_loss(&model, &b, b.n_targets as f64).unwrap();
            let l = loss.to_scalar::<f32>().unwrap();
            let t1 = Instant::now();
            (l, collect_grads(&loss.backward().unwrap(), &vars), Some(t1))
        };
        let t2 = Instant::now();
        opt.step(&grads, 3e-4).unwrap();
        let t3 = Instant::now();
        t.losses.push(l);
        if i >= WARMUP {
            let t1 = t1.unwrap_or(t2);
            t.fwd.push((t1 - t0).as_secs_f64() * 1e3);
            if !hand {
                t.bwd.push((t2 - t1).as_secs_f64() * 1e3);
            }
            t.adam.push((t3 - t2).as_secs_f64() * 1e3);
            t.step.push((t3 - t0).as_secs_f64() * 1e3);
        }
    }
    t.cpu_per_step = cpu0.zip(cpu_ms()).map(|(a, b)| (b - a) / n_steps as f64);
    t
}

fn report(name: &str, t: &Timing) -> f64 {
    let ms = median(t.step.clone());
    let phases = if t.bwd.is_empty() {
        format!("loss+gradients {:.1}", median(t.fwd.clone()))
    } else {
        format!("fwd+loss {:.1}, backward {:.1}", median(t.fwd.clone()), median(t.bwd.clone()))
    };
    println!(
        "  {name}: step median {ms:.1} ms (min {:.1}) — {phases}, AdamW {:.1}; {:.0} tokens/s; loss {:.4} -> {:.4}",
        t.step.iter().cloned().fold(f64::INFINITY, f64::min),
        median(t.adam.clone()),
        (B * S) as f64 / (ms / 1e3),
        t.losses[0],
        t.losses[t.losses.len() - 1]
    );
    if let Some(c) = t.cpu_per_step {
        println!("    CPU time per step {c:.0} ms (all threads; the wall figure on a busy machine is not comparable)");
    }
    ms
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    dwim::train::tune_allocator();
    let dev = Device::Cpu;
    let cfg = Config { max_seq: S, ..Config::tiny(V) };
    let n_steps = steps();
    let threads = candle_core::utils::get_num_threads();
    println!("candle tiny SFT step: params {}, batch {B} x seq {S}, {} supervised, threads {threads}", cfg.n_params(), batch(&dev).n_targets);
    let auto = run(false, n_steps);
    let auto_ms = report("candle autograd", &auto);
    let hand = run(true, n_steps);
    let ms = report("hand-written pass (what `dwim train` runs on CPU)", &hand);
    println!("  hand-written / autograd time: {:.2}x", ms / auto_ms);

    let prompt: Vec<u32> = (0..16).map(|i| (i * 37 % V) as u32).collect();
    let dec_model = Model::init(&Config { max_seq: 512, ..Config::tiny(V) }, 1, &dev).unwrap();
    let t0 = Instant::now();
    let out = generate(&dec_model, &prompt, &GenOptions { max_new: 128, ..Default::default() }).unwrap();
    let dec_tps = out.len() as f64 / t0.elapsed().as_secs_f64();
    println!("  greedy decoding (KV cache): {dec_tps:.0} tokens/s over {} tokens", out.len());

    let torch = torch_ms(threads);
    if let Some((tms, v)) = &torch {
        println!(
            "torch {} step median {tms:.1} ms (fwd+loss {:.1}, backward {:.1}, AdamW {:.1}); candle/torch time ratio {:.2}x (autograd {:.2}x)",
            v["torch"].as_str().unwrap_or("?"),
            v["fwd_loss_ms_median"].as_f64().unwrap_or(0.0),
            v["bwd_ms_median"].as_f64().unwrap_or(0.0),
            v["adamw_ms_median"].as_f64().unwrap_or(0.0),
            ms / tms,
            auto_ms / tms
        );
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "candle_step_ms_median": ms, "autograd_step_ms_median": auto_ms, "autograd_fwd_loss_ms": median(auto.fwd.clone()),
                "autograd_bwd_ms": median(auto.bwd.clone()), "adamw_ms": median(hand.adam.clone()),
                "tokens_per_s": (B * S) as f64 / (ms / 1e3), "cpu_ms_per_step": hand.cpu_per_step, "decode_tokens_per_s": dec_tps, "threads": threads,
                "torch_step_ms_median": torch.as_ref().map(|t| t.0), "ratio": torch.as_ref().map(|t| ms / t.0), "autograd_ratio": torch.as_ref().map(|t| auto_ms / t.0),
            })
        );
    }
}
