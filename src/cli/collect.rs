//! `dwim collect`: DW workflow collection with a teacher, resumable and shardable.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::pipeline::collect::{judge_name, run, CollectConfig, TeacherSpec, Utilization, NO_ANNOTATIONS};
use dwim::pipeline::store::Shard;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(mut_arg("tools", |a| a.default_value("benchmark")))]
#[command(after_help = "Tool set: --tools defaults to `benchmark` here (built-in + the benchmark's perception tools); the\nteacher is shown that registry's tool list, and every step runs and is checked against it.\nJudges: the rule judge runs on questions with annotations (bench-world scenes); elsewhere it is off, and a\nfinal answer that misses the ground truth is the workflow's discrepancy (plus --llm-judge per step).\n\nExamples:\n  dwim collect --data bench --teacher programmatic --out dw\n  dwim collect --data questions.jsonl --split all --out dw   # any dataset with `program` fields (docs/datasets.md)\n  dwim collect --data bench --tools benchmark-wasm --plugins my-tools/ --out dw\n  dwim collect --data bench --teacher programmatic --no-dw --out nodw\n  dwim collect --data bench --teacher openai:http://127.0.0.1:8080/v1 --out llm\n  dwim collect --data bench --shard 3/8 --out dw     # one of 8 SLURM array tasks; rerun after a crash resumes")]
pub struct Args {
    #[command(flatten)]
    pub data: super::data::DataArgs,
    #[command(flatten)]
    pub tools: super::common::ToolArgs,
    /// `programmatic`, `openai:URL[#MODEL]` for any OpenAI-compatible chat endpoint, or
    /// `local:DIR` for a trained candle policy.
    #[arg(long, default_value = "programmatic")]
    pub teacher: TeacherSpec,
    /// Turn discrepancy-aware generation off (no rethink on discrepancies).
    #[arg(long)]
    pub no_dw: bool,
    /// Which questions: train, val, test or all.
    #[arg(long, default_value = "train")]
    pub split: String,
    /// Handle the questions whose id hashes to K of N (0-based).
    #[arg(long, default_value = "0/1")]
    pub shard: Shard,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: the number of cores, at most 8).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Also ask an LLM judge at this OpenAI-compatible endpoint (`URL[#MODEL]`) for discrepancies.
    #[arg(long)]
    pub llm_judge: Option<String>,
    /// At most this many questions (0 = all).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    /// Teacher turns per question.
    #[arg(long, default_value_t = 16)]
    pub max_turns: usize,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run_cli(a: Args) -> Result<Exit, Failure> {
    super::common::check_output_dir("--out", &a.out)?;
    if let Some(j) = &a.llm_judge {
        dwim::tools::remote::llm::check_endpoint("--llm-judge", j).map_err(|d| super::common::bad_input(&d))?;
    }
    let mut cfg = CollectConfig { teacher: a.teacher, dw: !a.no_dw, split: a.split, shard: a.shard, seed: a.seed, limit: a.limit, max_turns: a.max_turns.max(1), llm_judge: a.llm_judge, ..CollectConfig::default() };
    if let Some(w) = a.workers {
        cfg.workers = w.max(1);
    }
    let ds = a.data.load()?;
    let tools = super::common::registry(&a.tools)?;
    let judge = judge_name(&ds);
    if judge != "rule" {
        eprintln!("note: {NO_ANNOTATIONS}");
    }
    let t0 = std::time::Instant::now();
    let workflows = run(&ds, &tools, &a.out, &cfg, a.format == Format::Human).map_err(|d| bad_input(&d))?;
    let secs = t0.elapsed().as_secs_f64();
    let u = Utilization::of(&workflows);
    let discrepancies = workflows.iter().filter(|w| w.discrepancy.is_some()).count();
    match a.format {
        Format::Json => println!("{}", serde_json::json!({"dw": cfg.dw, "workflows": workflows.len(), "utilization": u, "seconds": secs,
            "tools": tools.set_name, "judge": judge, "answer_discrepancies": discrepancies})),
        Format::Human => {
            print_table(&u, cfg.dw, secs);
            if judge != "rule" {
                println!("  {NO_ANNOTATIONS}; {discrepancies} final answers missed the ground truth");
            }
        }
    }
    let failed: Vec<&str> = workflows.iter().filter_map(|w| w.teacher_error.as_deref()).collect();
    super::common::endpoint_failures(failed.len(), workflows.len(), failed.first().copied(), "workflow")?;
    Ok(Exit::Ok)
}

pub fn print_table(u: &Utilization, dw: bool, secs: f64) {
    println!("data utilization ({}): questions with a viable workflow", if dw { "with DW" } else { "without DW" });
    println!("  {:<12} {:>9} {:>7} {:>8}", "family", "questions", "viable", "util.");
    for (f, v) in &u.families {
        println!("  {:<12} {:>9} {:>7} {:>7.1}%", f, v.1, v.0, 100.0 * Utilization::rate(*v));
    }
    let t = u.total();
    println!("  {:<12} {:>9} {:>7} {:>7.1}%", "all", t.1, t.0, 100.0 * Utilization::rate(t));
    println!("  {} steps, {} rethinks, {} rejected by the checker; {:.1} s", u.steps, u.rethinks, u.rejected, secs);
}
