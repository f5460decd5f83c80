//! `dwim agent`, `dwim eval`, `dwim ablate`: the trained policy at work.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::agent::ablate::{ablate, AblateConfig, Table};
use dwim::agent::eval::{evaluate, evaluate_into, merge, EvalReport};
use dwim::agent::{run_episode_images, EpisodeOptions, Policy};
use dwim::pipeline::store::Shard;
use dwim::pipeline::mask::Context;
use dwim::trace::TraceWriter;
use dwim::value::Image;
use std::path::PathBuf;

/// A usage error with E505.
fn usage(msg: impl Into<String>) -> Failure {
    super::common::coded(dwim::Code::E505, msg)
}

#[derive(clap::Args)]
#[command(mut_arg("tools", |a| a.default_value("benchmark")))]
#[command(after_help = "Tool set: --tools defaults to `benchmark` here; the policy's steps are checked and run against it.\n\nExamples:\n  dwim agent --policy runs/dwim --image scene.png \"How many red circles are there?\" --trace run.jsonl\n  dwim agent --policy runs/dwim --data bench --question-id scene_00003_count   # a dataset question, scored")]
pub struct AgentArgs {
    /// Who writes the steps: a checkpoint directory (`dwim train --out`, a run of `dwim ablate`),
    /// a base model used frozen (`smollm2`, a `.gguf` file, `hf:OWNER/NAME`), or any
    /// OpenAI-compatible chat endpoint: `openai:http://HOST:PORT/v1[#MODEL]`.
    #[arg(long)]
    pub policy: String,
    #[command(flatten)]
    pub shots: ShotArgs,
    /// The image (with a QUESTION); or use --data and --question-id.
    #[arg(long)]
    pub image: Option<PathBuf>,
    pub question: Option<String>,
    /// A dataset to take the question from (with --question-id); its images and ground truth are used.
    #[arg(long, value_name = "PATH", requires = "question_id")]
    pub data: Option<PathBuf>,
    /// The id of a question in --data.
    #[arg(long, value_name = "ID", requires = "data")]
    pub question_id: Option<String>,
    #[command(flatten)]
    pub read: super::data::ReadArgs,
    #[command(flatten)]
    pub tools: super::common::ToolArgs,
    #[arg(long, default_value_t = 10)]
    pub max_steps: usize,
    /// Decode up to N lines per turn until one passes the checker (checker-constrained decoding;
    /// 1 = plain greedy decoding).
    #[arg(long, default_value_t = 1)]
    pub tries: usize,
    /// Where the run's trace goes (one JSON record per step, the policy's rejected lines included).
    #[arg(long, default_value = "agent-trace.jsonl")]
    pub trace: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn agent(a: AgentArgs) -> Result<Exit, Failure> {
    super::common::check_output_path("--trace", &a.trace)?;
    let tools = super::common::registry(&a.tools)?;
    let mut dataset = None;
    let (images, question, item) = match (&a.data, &a.question_id, &a.image, &a.question) {
        (Some(data), Some(id), None, None) => {
            let ds = a.read.load(data)?;
            let item = ds.find(id).cloned().ok_or_else(|| usage(format!("--question-id {id:?}: no such question in {}", data.display())))?;
            let found = (ds.item_images(&item).map_err(|d| bad_input(&d))?, item.question.clone(), Some(item));
            dataset = Some(ds);
            found
        }
        (Some(_), _, _, _) => return Err(usage("--data/--question-id take the image and the question from the dataset: give neither --image nor a QUESTION")),
        (None, _, Some(image), Some(q)) => (vec![("image".to_string(), Image::load(image, &dwim::Limits::default()).map_err(|d| bad_input(&d))?)], q.clone(), None),
        (None, _, _, _) => return Err(usage("give --image IMAGE and a QUESTION, or --data PATH --question-id ID")),
    };
    let mut policy = open_policy(&a.policy, &a.tools)?;
    a.shots.give(&mut policy, dataset.as_ref(), &tools)?;
    let trace = Some(TraceWriter::create(&a.trace).map_err(|d| bad_input(&d))?);
    let ep = run_episode_images(&policy, &tools, images, &question, &EpisodeOptions { max_steps: a.max_steps, tries: a.tries }, trace).map_err(|d| bad_input(&d))?;
    let correct = item.as_ref().map(|it| ep.answer.as_ref().is_some_and(|v| it.is_correct(v)));
    match a.format {
        Format::Json => println!("{}", serde_json::json!({"answer": ep.answer.as_ref().map(|v| v.to_json()), "steps": ep.records,
            "expected": item.as_ref().map(|it| it.answer.as_text()), "correct": correct})),
        Format::Human => {
            for r in &ep.records {
                println!("[{}] {}\n      → {}", r.step + 1, r.source, r.observation);
            }
            match &ep.answer {
                Some(v) => println!("answer: {}", dwim::tools::builtin::plain(v)),
                None => println!("no answer within {} steps", a.max_steps),
            }
            if let (Some(it), Some(ok)) = (&item, correct) {
                println!("truth: {}  → {}", it.answer.as_text(), if ok { "correct" } else { "wrong" });
            }
            println!("trace: {}", a.trace.display());
        }
    }
    if let Some(e) = &ep.trace_error {
        eprintln!("dwim: {}", dwim::Diagnostic::new(dwim::Code::E503, format!("could not write the trace {}: {e}", a.trace.display())).one_line(None));
        return Ok(Exit::BadInput);
    }
    Ok(if ep.answer.is_some() { Exit::Ok } else { Exit::ProgramError })
}

#[derive(clap::Args)]
#[command(mut_arg("tools", |a| a.default_value("benchmark")))]
#[command(after_help = "Tool set: --tools defaults to `benchmark` here.\nShards: `--shard K/N --out DIR` evaluates the questions whose id hashes to K of N (after --limit) into\nDIR/episodes-KofN.jsonl (rerunning resumes); `dwim eval --merge DIR...` reads every episodes*.jsonl there and\nprints the report one run over all of them would print.\n\nExamples:\n  dwim eval --policy runs/dwim --data bench --split test\n  dwim eval --policy runs/dwim --data questions.jsonl --split all --tools benchmark-wasm\n  dwim eval --policy runs/dwim --data bench --shard 0/2 --out ev   # and --shard 1/2 elsewhere\n  dwim eval --merge ev")]
pub struct EvalArgs {
    /// A checkpoint directory, a base model (`smollm2`, `.gguf`, `hf:`), or
    /// `openai:http://HOST:PORT/v1[#MODEL]` (see `dwim agent --help`).
    #[arg(long, required_unless_present = "merge")]
    pub policy: Option<String>,
    #[command(flatten)]
    pub shots: ShotArgs,
    /// The dataset (see `dwim data inspect`; formats in docs/datasets.md).
    #[arg(long, value_name = "PATH", required_unless_present = "merge")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub read: super::data::ReadArgs,
    #[command(flatten)]
    pub tools: super::common::ToolArgs,
    /// Evaluate the questions whose id hashes to K of N (0-based); with --out.
    #[arg(long, default_value = "0/1", requires = "out")]
    pub shard: Shard,
    /// Write each question's line to DIR/episodes[-KofN].jsonl as it is done (resumable).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Merge the --out directories of shard runs into one report (no policy or data needed).
    #[arg(long, value_name = "DIR", num_args = 1.., conflicts_with_all = ["policy", "data", "out"])]
    pub merge: Vec<PathBuf>,
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Evaluate at most this many questions (0 = all).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    #[arg(long, default_value_t = 10)]
    pub max_steps: usize,
    /// Decode up to N lines per turn until one passes the checker (checker-constrained decoding;
    /// 1 = plain greedy decoding).
    #[arg(long, default_value_t = 1)]
    pub tries: usize,
    /// Write one JSON line per question here: the steps the policy wrote, its answer, the expected one.
    #[arg(long)]
    pub episodes: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn print_eval(r: &EvalReport) {
    println!("  {:<12} {:>9} {:>8}", "family", "questions", "accuracy");
    for (f, (c, n)) in &r.families {
        println!("  {:<12} {:>9} {:>7.1}%", f, n, 100.0 * *c as f64 / (*n).max(1) as f64);
    }
    println!("  {:<12} {:>9} {:>7.1}%", "all", r.episodes, 100.0 * r.accuracy());
    println!("  {:.2} steps per question, tool-error rate {:.1}%, rejected by the checker {:.1}%",
        r.avg_steps(), 100.0 * r.tool_error_rate(), 100.0 * r.rejected_share());
    if r.policy_errors > 0 {
        let first = r.details.iter().find_map(|d| d.policy_error.as_deref()).unwrap_or("");
        println!("  {} episode(s) ended early by the policy's endpoint, counted wrong; the first: {first}", r.policy_errors);
    }
}

pub fn eval(a: EvalArgs) -> Result<Exit, Failure> {
    let r = if !a.merge.is_empty() {
        merge(&a.merge).map_err(|d| bad_input(&d))?
    } else {
        let (Some(policy), Some(data)) = (&a.policy, &a.data) else { return Err(usage("give --policy and --data, or --merge DIR...")) };
        if let Some(out) = &a.out {
            super::common::check_output_dir("--out", out)?;
        }
        let ds = a.read.load(data)?;
        let tools = super::common::registry(&a.tools)?;
        let mut policy = open_policy(policy, &a.tools)?;
        a.shots.give(&mut policy, Some(&ds), &tools)?;
        let opts = EpisodeOptions { max_steps: a.max_steps, tries: a.tries };
        match &a.out {
            Some(out) => evaluate_into(&policy, &ds, &tools, &a.split, a.limit, a.shard, out, &opts),
            None => evaluate(&policy, &ds, &tools, &a.split, a.limit, &opts),
        }
        .map_err(|d| bad_input(&d))?
    };
    if let Some(path) = &a.episodes {
        super::common::write_file(path, r.details_jsonl().as_bytes())?;
    }
    match a.format {
        Format::Json => println!("{}", serde_json::json!({"accuracy": r.accuracy(), "avg_steps": r.avg_steps(),
            "tool_error_rate": r.tool_error_rate(), "rejected_share": r.rejected_share(), "report": r})),
        Format::Human => print_eval(&r),
    }
    let first = r.details.iter().find_map(|d| d.policy_error.as_deref());
    super::common::endpoint_failures(r.policy_errors, r.episodes, first, "episode")?;
    Ok(Exit::Ok)
}

#[derive(clap::Args)]
#[command(mut_arg("tools", |a| a.default_value("benchmark")))]
#[command(after_help = "Needs a dataset whose questions have reference programs (the programmatic teacher follows them) and a\n`train` and a `test` split. --tools (default `benchmark`) is used for collection and evaluation alike.\n\nExamples:\n  dwim ablate --data bench --seeds 3 --out ablate\n  dwim ablate --data bench --seeds 1 --steps 100 --eval-limit 50   # a quick look")]
pub struct AblateArgs {
    #[command(flatten)]
    pub data: super::data::DataArgs,
    #[command(flatten)]
    pub tools: super::common::ToolArgs,
    #[arg(long, default_value = "ablate")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Optimizer updates per training run (the same for every row).
    #[arg(long, default_value_t = 1000)]
    pub steps: u64,
    /// Samples (workflows, with `--context packed`) per update.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// `small` (0.9M parameters, the default), `micro` (fast, weak) or `tiny` (4.2M, slow on 2 cores).
    #[arg(long, default_value = "small")]
    pub model: String,
    #[arg(long, default_value_t = 5e-3)]
    pub lr: f64,
    /// Test questions per evaluation (0 = the whole test split).
    #[arg(long, default_value_t = 0)]
    pub eval_limit: usize,
    /// How masked steps are shown: `packed` (one conversation per workflow, the default), `prefix`
    /// (one sample per step) or `full` (DWIM's whole-workflow form).
    #[arg(long, value_enum, default_value = "packed")]
    pub context: Context,
    /// Training runs at once, each on one thread (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Checker-constrained decoding at evaluation: lines decoded per turn until one checks.
    #[arg(long, default_value_t = 1)]
    pub tries: usize,
    /// Steps an agent may take per test question, in every row's evaluation.
    #[arg(long, default_value_t = 10)]
    pub max_steps: usize,
    /// Add the frozen few-shot row: this endpoint policy (`openai:URL[#MODEL]`), shown `--shots`
    /// worked examples from the dataset's reference programs, on the same test questions.
    #[arg(long, value_name = "openai:URL[#MODEL]")]
    pub policy: Option<String>,
    /// Worked examples the frozen policy is shown per question.
    #[arg(long, default_value_t = 3)]
    pub shots: usize,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Worked examples for an endpoint policy (a local one learned its format in training).
#[derive(clap::Args, Debug, Clone)]
pub struct ShotArgs {
    /// Worked examples an endpoint policy is shown per question (never the question it answers).
    #[arg(long = "shots", default_value_t = 3)]
    pub shots: usize,
    /// Take them from this folder of `.wf` files (a `# question` first line and a `# scene:`
    /// header, as in programs/) instead of the dataset's reference programs.
    #[arg(long = "shots-from", value_name = "DIR")]
    pub from: Option<PathBuf>,
}

impl ShotArgs {
    /// Give `policy` its examples: from `--shots-from`, else the dataset's reference programs,
    /// else `programs/` when it is there. Each is run for real with `tools`.
    fn give(&self, policy: &mut Policy, ds: Option<&dwim::data::Dataset>, tools: &dwim::Registry) -> Result<(), Failure> {
        if !policy.is_endpoint() || self.shots == 0 {
            return Ok(());
        }
        let want = self.shots.saturating_mul(4).max(self.shots + 1);
        let examples = match (&self.from, ds) {
            (Some(dir), _) => dwim::agent::shots::from_programs(dir, want, tools, "").map_err(|d| bad_input(&d))?,
            (None, Some(ds)) => dwim::agent::shots::from_dataset(ds, want, tools),
            (None, None) if std::path::Path::new("programs").is_dir() => dwim::agent::shots::from_programs(std::path::Path::new("programs"), want, tools, "").map_err(|d| bad_input(&d))?,
            (None, None) => Vec::new(),
        };
        if examples.is_empty() {
            eprintln!("note: no worked examples for the policy (no reference programs ran with this tool set); it is shown the tool listing only");
        }
        policy.set_shots(examples, self.shots);
        Ok(())
    }
}

/// `--policy` with the tool flags' `--device` for a local model.
fn open_policy(spec: &str, tools: &super::common::ToolArgs) -> Result<Policy, Failure> {
    if spec.starts_with("openai:") {
        return Policy::open(spec, &dwim::Limits::strict()).map_err(|d| bad_input(&d));
    }
    let device = match tools.device.as_str() {
        "cpu" => candle_core::Device::Cpu,
        other => return Err(usage(format!("--device {other}: a local policy runs on the CPU in this build"))),
    };
    Policy::open_local(spec.strip_prefix("local:").unwrap_or(spec), &device).map_err(|d| bad_input(&d))
}

pub fn print_table(t: &Table) {
    println!("{:<24} {:<6} {:<8} {:>16} {:>7} {:>9} {:>9}", "row", "data", "masking", "accuracy (95% CI)", "steps", "tool err", "rejected");
    for r in &t.rows {
        println!("{:<24} {:<6} {:<8} {:>8.1} ± {:>5.1}% {:>7.2} {:>8.1}% {:>8.1}%", r.name, r.data, r.mode, 100.0 * r.mean, 100.0 * r.interval,
            r.avg_steps, 100.0 * r.tool_error_rate, 100.0 * r.rejected_share);
    }
    for p in &t.paired {
        let seeds: Vec<String> = p.differences.iter().map(|d| format!("{:+.1}", 100.0 * d)).collect();
        println!("paired, same seeds: {:<20} {:>+6.1} ± {:>4.1} points (per seed {})", p.name, 100.0 * p.mean, 100.0 * p.interval, seeds.join(", "));
    }
    let rate = |v: (usize, usize)| 100.0 * v.0 as f64 / v.1.max(1) as f64;
    println!("data utilization: {:.1}% with DW, {:.1}% without ({} / {} training questions)",
        rate(t.utilization_dw), rate(t.utilization_no_dw), t.utilization_dw.1, t.utilization_no_dw.1);
}

pub fn run_ablate(a: AblateArgs) -> Result<Exit, Failure> {
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    if jobs > 1 && std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // Before any candle work: each run's matrix products then stay on its own thread.
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    super::common::check_output_dir("--out", &a.out)?;
    for (flag, v) in [("--seeds", a.seeds), ("--batch", a.batch), ("--tries", a.tries), ("--max-steps", a.max_steps)] {
        if v == 0 {
            return Err(super::common::coded(dwim::Code::E505, format!("{flag} 0: at least 1")));
        }
    }
    let ds = a.data.load()?;
    ds.check_split("test").map_err(|d| bad_input(&d))?;
    if !ds.annotated() {
        eprintln!("note: {}", dwim::pipeline::collect::NO_ANNOTATIONS);
    }
    let tools = super::common::registry(&a.tools)?;
    let cfg = AblateConfig { out: a.out, seeds: a.seeds.max(1), steps: a.steps, batch: a.batch.max(1), model: a.model, lr: a.lr, eval_limit: a.eval_limit,
        context: a.context, jobs, tries: a.tries.max(1), max_steps: a.max_steps, frozen: a.policy, shots: a.shots, ..AblateConfig::default() };
    let human = a.format == Format::Human;
    let t0 = std::time::Instant::now();
    let table = ablate(&cfg, &ds, &tools, |row, seed, r| {
        if human {
            eprintln!("  {row} (seed {seed}): {:.1}% [{:.0} s]", 100.0 * r.accuracy(), t0.elapsed().as_secs_f64());
        }
    })
    .map_err(|d| bad_input(&d))?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string(&table).unwrap_or_default()),
        Format::Human => print_table(&table),
    }
    Ok(Exit::Ok)
}
