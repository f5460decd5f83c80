//! `dwim ablate`: DWIM's ablation rows on a dataset with reference programs and a test split (the
//! built-in benchmark in the README), with a model trained from scratch and the tool set given.
//!
//! Collect with and without DW (programmatic teacher) → build samples per masking mode → one shared
//! tokenizer → for each row and seed, train the same model for the same number of updates → evaluate
//! on the test split. Rows: untrained baseline, SFT, IM, DW+SFT, DW+random masking,
//! DW+mask-with-rethink, DW+IM.
//!
//! By default samples use `Context::Packed` and the one-line system prompt: one conversation per
//! workflow, the rows differing only in which steps are targets, so every row trained on the same
//! data sees the same tokens for the same compute. Runs go `jobs` at a time, each on one thread.

use super::eval::{evaluate, EvalReport};
use super::{EpisodeOptions, Policy, PolicyMeta, PromptFormat};
use crate::data::Dataset;
use crate::diag::{Code, Diagnostic};
use crate::Registry;
use crate::pipeline::collect::{self, CollectConfig, Utilization};
use crate::pipeline::mask::{samples_with, Context, Mode};
use crate::pipeline::render::MINIMAL_SYSTEM;
use crate::pipeline::tokenize::encode;
use crate::pipeline::Workflow;
use crate::train::checkpoint::Hyper;
use crate::train::config::Config;
use crate::train::data::{split, Sample};
use crate::train::model::Model;
use crate::train::trainer::Trainer;
use candle_core::Device;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct AblateConfig {
    pub out: PathBuf,
    pub seeds: usize,
    pub steps: u64,
    pub model: String,
    pub lr: f64,
    pub batch: usize,
    pub vocab: usize,
    pub max_seq: usize,
    /// Test questions evaluated per run (0 = all).
    pub eval_limit: usize,
    pub max_steps: usize,
    /// How masked steps are shown (see [`Context`]).
    pub context: Context,
    /// Training runs at once (each single-threaded).
    pub jobs: usize,
    /// Lines decoded per agent turn until one passes the checker (1 = greedy only).
    pub tries: usize,
    /// A frozen policy behind an endpoint (`openai:URL[#MODEL]`): adds the paper's few-shot row,
    /// evaluated once (temperature 0) on the same test questions.
    pub frozen: Option<String>,
    /// Worked examples the frozen policy is shown per question.
    pub shots: usize,
}

impl Default for AblateConfig {
    fn default() -> Self {
        AblateConfig {
            out: PathBuf::from("ablate"),
            seeds: 3,
            steps: 1000,
            model: "small".into(),
            lr: 5e-3,
            batch: 8,
            vocab: 1024,
            max_seq: 512,
            eval_limit: 0,
            max_steps: 10,
            context: Context::Packed,
            jobs: 2,
            tries: 1,
            frozen: None,
            shots: 3,
        }
    }
}

/// A row to run: its name, its training workflows (and their label), its masking mode.
type RowSpec<'a> = (&'a str, Option<(&'a Vec<Workflow>, &'a str)>, Mode);

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub data: String,
    pub mode: String,
    pub accuracies: Vec<f64>,
    pub mean: f64,
    /// Half-width of a 95% interval (t distribution over seeds).
    pub interval: f64,
    pub avg_steps: f64,
    pub tool_error_rate: f64,
    pub rejected_share: f64,
    pub samples: usize,
}

/// A paired comparison of two rows: the per-seed differences of their accuracies (a seed gives both
/// rows the same initial weights), mean ± a 95% interval.
#[derive(Debug, Clone, Serialize)]
pub struct Paired {
    pub name: String,
    pub differences: Vec<f64>,
    pub mean: f64,
    pub interval: f64,
}

/// The comparisons DWIM's claims rest on: (row, minus row).
pub const COMPARISONS: [(&str, &str); 3] = [("DW + IM", "DW + SFT"), ("DW + SFT", "SFT"), ("DW + IM", "SFT")];

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub rows: Vec<Row>,
    pub paired: Vec<Paired>,
    pub utilization_dw: (usize, usize),
    pub utilization_no_dw: (usize, usize),
    pub utilization_by_family: Vec<(String, f64, f64)>,
}

fn t95(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 12.71,
        3 => 4.30,
        4 => 3.18,
        5 => 2.78,
        _ => 2.0,
    }
}

fn stats(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, t95(xs.len()) * (var / n).sqrt())
}

fn to_samples(workflows: &[Workflow], mode: Mode, context: Context, system: &str, tok: &tokenizers::Tokenizer, max_seq: usize, seed: u64) -> Result<Vec<Sample>, Diagnostic> {
    let mut out = Vec::new();
    for w in workflows {
        for s in samples_with(w, mode, context, system, seed) {
            if let Some(e) = encode(&s, tok, max_seq)? {
                out.push(Sample::new(e.input_ids, e.labels));
            }
        }
    }
    Ok(out)
}

/// Train one policy and save it (weights, tokenizer, policy.json) into `dir`.
#[allow(clippy::too_many_arguments)]
fn train_policy(cfg: &AblateConfig, train_set: Vec<Sample>, tok: &tokenizers::Tokenizer, format: PromptFormat, system: &str, seed: u64, dir: &Path) -> Result<Policy, Diagnostic> {
    let dev = Device::Cpu;
    let mut mcfg = Config::preset(&cfg.model, tok.get_vocab_size(true)).ok_or_else(|| Diagnostic::new(Code::E505, format!("unknown model preset {}", cfg.model)))?;
    mcfg.max_seq = cfg.max_seq;
    let model = Model::init(&mcfg, seed, &dev).map_err(crate::train::trainer::internal)?;
    let model = if train_set.is_empty() || cfg.steps == 0 {
        model
    } else {
        let (train, val) = split(train_set, 0.02, seed);
        let hyper = Hyper { steps: cfg.steps, batch: cfg.batch, lr: cfg.lr, warmup: cfg.steps / 20, seed, max_seq: cfg.max_seq, val_every: u64::MAX, ckpt_every: u64::MAX, ..Hyper::default() };
        let mut t = Trainer::new(model, train, val, hyper, &cfg.model);
        while t.step() < cfg.steps {
            t.train_step()?;
        }
        t.model
    };
    std::fs::create_dir_all(dir).map_err(|e| Diagnostic::new(Code::E503, format!("{}: {e}", dir.display())))?;
    crate::train::load::save_model(&model, dir)?;
    crate::tokenizer::save(tok, &dir.join("tokenizer.json"))?;
    let meta = PolicyMeta { format, system: system.to_string() };
    crate::output::write_bytes(&dir.join("policy.json"), serde_json::to_string_pretty(&meta).unwrap_or_default().as_bytes())?;
    Ok(Policy::new(model, tok.clone(), meta))
}

/// Run every row for every seed on `ds` with `tools` (collection and evaluation alike); `progress`
/// is told each finished run.
pub fn ablate(cfg: &AblateConfig, ds: &Dataset, tools: &Registry, mut progress: impl FnMut(&str, u64, &EvalReport) + Send) -> Result<Table, Diagnostic> {
    let collect_cfg = |dw: bool| CollectConfig { dw, ..CollectConfig::default() };
    let dw = collect::run(ds, tools, &cfg.out.join("collect-dw"), &collect_cfg(true), false)?;
    let nodw = collect::run(ds, tools, &cfg.out.join("collect-nodw"), &collect_cfg(false), false)?;
    let system = MINIMAL_SYSTEM;

    // One tokenizer for every row, trained on every variant's text.
    let corpus = cfg.out.join("corpus.txt");
    let mut text = String::new();
    for wfs in [&dw, &nodw] {
        for m in [Mode::Sft, Mode::Im] {
            for w in wfs.iter() {
                for s in samples_with(w, m, cfg.context, system, 0) {
                    text.push_str(&s.text());
                    text.push('\n');
                }
            }
        }
    }
    std::fs::write(&corpus, text).map_err(|e| Diagnostic::new(Code::E503, format!("{}: {e}", corpus.display())))?;
    let tok = crate::tokenizer::train_bpe(&[corpus.as_path()], cfg.vocab)?;

    let rows: [RowSpec<'_>; 7] = [
        ("untrained baseline", None, Mode::Im),
        ("SFT", Some((&nodw, "no DW")), Mode::Sft),
        ("IM", Some((&nodw, "no DW")), Mode::Im),
        ("DW + SFT", Some((&dw, "DW")), Mode::Sft),
        ("DW + random masking", Some((&dw, "DW")), Mode::Random),
        ("DW + mask with rethink", Some((&dw, "DW")), Mode::Rethink),
        ("DW + IM", Some((&dw, "DW")), Mode::Im),
    ];
    // Every (row, seed) run, `jobs` at a time; each trains and evaluates on its own thread.
    let runs: Vec<(usize, u64)> = (0..rows.len()).flat_map(|r| (0..cfg.seeds as u64).map(move |s| (r, s))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: std::sync::Mutex<Vec<(usize, u64, EvalReport, usize)>> = std::sync::Mutex::new(Vec::new());
    let progress = std::sync::Mutex::new(&mut progress);
    let first_err: std::sync::Mutex<Option<Diagnostic>> = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..cfg.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= runs.len() || first_err.lock().map(|e| e.is_some()).unwrap_or(true) {
                    return;
                }
                let (r, seed) = runs[i];
                let (name, data, mode) = rows[r];
                let result = (|| {
                    let train_set = match data {
                        Some((wfs, _)) => to_samples(wfs, mode, cfg.context, system, &tok, cfg.max_seq, seed)?,
                        None => Vec::new(),
                    };
                    let n = train_set.len();
                    let format = if cfg.context.conversation(mode) { PromptFormat::Sft } else { PromptFormat::Im };
                    let dir = cfg.out.join("runs").join(format!("{}-seed{seed}", name.replace([' ', '+'], "").to_lowercase()));
                    let policy = train_policy(cfg, train_set, &tok, format, system, seed, &dir)?;
                    let report = evaluate(&policy, ds, tools, "test", cfg.eval_limit, &EpisodeOptions { max_steps: cfg.max_steps, tries: cfg.tries })?;
                    let log = dir.join("episodes.jsonl");
                    crate::output::write_bytes(&log, report.details_jsonl().as_bytes())?;
                    Ok::<_, Diagnostic>((report, n))
                })();
                match result {
                    Ok((report, n)) => {
                        if let Ok(mut p) = progress.lock() {
                            (*p)(name, seed, &report);
                        }
                        if let Ok(mut d) = done.lock() {
                            d.push((r, seed, report, n));
                        }
                    }
                    Err(e) => {
                        if let Ok(mut f) = first_err.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_err.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut done = done.into_inner().map_err(|_| Diagnostic::new(Code::E499, "an ablation worker panicked"))?;
    done.sort_by_key(|d| (d.0, d.1));
    let mut table_rows = Vec::new();
    for (r, (name, data, mode)) in rows.iter().enumerate() {
        let mut accs = Vec::new();
        let mut agg = EvalReport::default();
        let mut n_samples = 0;
        for (_, _, report, n) in done.iter().filter(|d| d.0 == r) {
            accs.push(report.accuracy());
            agg.steps += report.steps;
            agg.episodes += report.episodes;
            agg.tool_errors += report.tool_errors;
            agg.rejected += report.rejected;
            n_samples = *n;
        }
        let (mean, interval) = stats(&accs);
        table_rows.push(Row {
            name: name.to_string(),
            data: data.map(|d| d.1.to_string()).unwrap_or_else(|| "—".into()),
            mode: if data.is_some() { mode.name().into() } else { "—".into() },
            accuracies: accs,
            mean,
            interval,
            avg_steps: agg.avg_steps(),
            tool_error_rate: agg.tool_error_rate(),
            rejected_share: agg.rejected_share(),
            samples: n_samples,
        });
    }
    if let Some(spec) = &cfg.frozen {
        table_rows.insert(1, frozen_row(cfg, spec, ds, tools)?);
    }
    let paired = COMPARISONS
        .iter()
        .filter_map(|(a, b)| {
            let find = |n: &str| table_rows.iter().find(|r| r.name == n);
            let (ra, rb) = (find(a)?, find(b)?);
            let differences: Vec<f64> = ra.accuracies.iter().zip(&rb.accuracies).map(|(x, y)| x - y).collect();
            let (mean, interval) = stats(&differences);
            Some(Paired { name: format!("{a} − {b}"), differences, mean, interval })
        })
        .collect();
    let (ud, un) = (Utilization::of(&dw), Utilization::of(&nodw));
    let by_family = ud
        .families
        .iter()
        .map(|(f, v)| (f.clone(), Utilization::rate(*v), un.families.get(f).map(|x| Utilization::rate(*x)).unwrap_or(0.0)))
        .collect();
    Ok(Table { rows: table_rows, paired, utilization_dw: ud.total(), utilization_no_dw: un.total(), utilization_by_family: by_family })
}

/// The frozen few-shot row: an endpoint policy shown `cfg.shots` worked examples from the
/// dataset's reference programs (never the question it answers), evaluated once at temperature 0.
fn frozen_row(cfg: &AblateConfig, spec: &str, ds: &Dataset, tools: &Registry) -> Result<Row, Diagnostic> {
    let mut policy = Policy::open(spec, &crate::Limits::strict())?;
    if !policy.is_endpoint() {
        return Err(Diagnostic::new(Code::E505, format!("--policy {spec}: the frozen row needs an endpoint policy (openai:URL[#MODEL])")));
    }
    policy.set_shots(super::shots::from_dataset(ds, cfg.shots.saturating_mul(4).max(cfg.shots + 1), tools), cfg.shots);
    let report = evaluate(&policy, ds, tools, "test", cfg.eval_limit, &EpisodeOptions { max_steps: cfg.max_steps, tries: cfg.tries })?;
    let dir = cfg.out.join("runs").join("frozen-fewshot");
    std::fs::create_dir_all(&dir).map_err(|e| Diagnostic::new(Code::E503, format!("{}: {e}", dir.display())))?;
    let log = dir.join("episodes.jsonl");
    crate::output::write_bytes(&log, report.details_jsonl().as_bytes())?;
    Ok(Row {
        name: format!("frozen {}-shot", cfg.shots),
        data: "—".into(),
        mode: "—".into(),
        accuracies: vec![report.accuracy()],
        mean: report.accuracy(),
        interval: 0.0,
        avg_steps: report.avg_steps(),
        tool_error_rate: report.tool_error_rate(),
        rejected_share: report.rejected_share(),
        samples: 0,
    })
}
