//! `dwim bench-world generate|score|run`: the built-in visual reasoning benchmark.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::data::Dataset;
use dwim::tools::bench::{oracle, OracleWorld};
use dwim::trace::TraceWriter;
use dwim::world::dataset::{generate, GenConfig};
use dwim::world::score::{tool_metrics, workflow_accuracy, Ratio};
use dwim::{Limits, Registry, Session, Value};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BenchWorldArgs {
    #[command(subcommand)]
    pub cmd: BenchWorldCmd,
}

#[derive(clap::Subcommand)]
pub enum BenchWorldCmd {
    /// Render scenes with exact annotations, questions and reference workflows.
    #[command(after_help = "Examples:\n  dwim bench-world generate --out data/world --n 500 --seed 1")]
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 100)]
        n: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 320)]
        width: u32,
        #[arg(long, default_value_t = 240)]
        height: u32,
        /// At most one question per family per scene.
        #[arg(long, default_value_t = 8)]
        questions_per_scene: usize,
    },
    /// Measure the pixel tools against the annotations, and the reference workflows' accuracy
    /// with a tool set (any dataset with `program` fields; tool metrics need annotations).
    #[command(mut_arg("tools", |a| a.default_value("benchmark")))]
    #[command(after_help = "Tool set: --tools defaults to `benchmark` here; --oracle replaces it with perfect answers from the annotations.\n\nExamples:\n  dwim bench-world score --data data/world --split test\n  dwim bench-world score --data data/world --oracle --format json\n  dwim bench-world score --data data/world --tools benchmark-wasm")]
    Score {
        #[command(flatten)]
        data: super::data::DataArgs,
        /// train, val, test or all.
        #[arg(long, default_value = "test")]
        split: String,
        #[command(flatten)]
        tools: super::common::ToolArgs,
        /// Run the reference workflows with the `oracle` set: perception answered from the annotations.
        #[arg(long)]
        oracle: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run one question's reference workflow, optionally writing its trace.
    #[command(mut_arg("tools", |a| a.default_value("benchmark")))]
    #[command(after_help = "Examples:\n  dwim bench-world run --data data/world --question scene_00003_count --trace t.jsonl\n  dwim bench-world run --data data/world --question scene_00003_count --oracle")]
    Run {
        #[command(flatten)]
        data: super::data::DataArgs,
        #[arg(long)]
        question: String,
        #[command(flatten)]
        tools: super::common::ToolArgs,
        /// Use the `oracle` set: perception answered from the annotations.
        #[arg(long)]
        oracle: bool,
        #[arg(long)]
        trace: Option<PathBuf>,
    },
}

/// The `--tools` registry, or with `--oracle` the oracle over the dataset's annotations.
fn registry(ds: &Dataset, tools: &super::common::ToolArgs, use_oracle: bool) -> Result<Registry, Failure> {
    if !use_oracle {
        return super::common::registry(tools);
    }
    if !ds.annotated() {
        return Err(super::common::coded(dwim::Code::E505, format!("--oracle: {} has no annotations (only bench-world datasets have scenes)", ds.dir.display())));
    }
    let world = OracleWorld::new();
    for s in &ds.scenes {
        world.add(&ds.image(s).map_err(|d| bad_input(&d))?, s.clone());
    }
    Ok(oracle(world))
}

fn pct(r: &Ratio) -> String {
    format!("{:5.1}%  ({}/{})", 100.0 * r.rate(), r.hits, r.total)
}

pub fn run(a: BenchWorldArgs) -> Result<Exit, Failure> {
    match a.cmd {
        BenchWorldCmd::Generate { out, n, seed, width, height, questions_per_scene } => {
            let cfg = GenConfig { seed, n, width, height, questions_per_scene };
            let t0 = std::time::Instant::now();
            super::common::check_output_dir("--out", &out)?;
            let nq = generate(&out, &cfg).map_err(|d| bad_input(&d))?;
            let secs = t0.elapsed().as_secs_f64();
            println!("wrote {n} scenes and {nq} questions to {} in {secs:.2} s ({:.0} scenes/s)", out.display(), n as f64 / secs.max(1e-9));
            Ok(Exit::Ok)
        }
        BenchWorldCmd::Score { data, split, tools, oracle, format } => {
            let ds = data.load()?;
            ds.check_split(&split).map_err(|d| bad_input(&d))?;
            let m = tool_metrics(&ds, &split).map_err(|d| bad_input(&d))?;
            let reg = registry(&ds, &tools, oracle)?;
            let acc = workflow_accuracy(&ds, &split, &reg).map_err(|d| bad_input(&d))?;
            match format {
                Format::Json => println!("{}", serde_json::json!({"split": split, "tools": reg.set_name, "tool_metrics": m, "workflow_accuracy": acc})),
                Format::Human => {
                    println!("pixel tools on {} {split} scenes (annotated boxes for classifiers and OCR):", m.scenes);
                    let v = serde_json::to_value(&m).unwrap_or_default();
                    for (k, r) in v.as_object().into_iter().flatten() {
                        if let Ok(r) = serde_json::from_value::<RatioIn>(r.clone()) {
                            println!("  {k:<24} {}", pct(&Ratio { hits: r.hits, total: r.total }));
                        }
                    }
                    println!("reference workflows with the `{}` tools:", reg.set_name);
                    for (fam, r) in &acc {
                        println!("  {fam:<24} {}", pct(r));
                    }
                }
            }
            Ok(Exit::Ok)
        }
        BenchWorldCmd::Run { data, question, tools, oracle, trace } => {
            let ds = data.load()?;
            let q = ds.find(&question)
                .ok_or_else(|| bad_input(&dwim::Diagnostic::new(dwim::Code::E505, format!("--question {question:?}: no such question in {}", data.data.display()))))?;
            let reg = registry(&ds, &tools, oracle)?;
            let images = ds.item_images(q).map_err(|d| bad_input(&d))?;
            let prog = q.program.clone().unwrap_or_default();
            let src = dwim::syntax::SourceFile::new(format!("{question}.wf"), prog);
            let p = dwim::syntax::parse_program(&src, &Limits::default()).map_err(|d| bad_input(&d))?;
            let mut s = Session::new(&reg, Limits::default());
            if let Some(t) = &trace {
                super::common::check_output_path("--trace", t)?;
                s = s.with_trace(TraceWriter::create(t).map_err(|d| bad_input(&d))?);
            }
            for (name, img) in images {
                s.bind(&name, Value::Image(img));
            }
            println!("{}  ({})\n{}", q.question, q.image, src.text.trim_end());
            let out = s.run_program(&src, &p.steps);
            for o in &out {
                println!("[{}] {}", o.record.step + 1, o.record.observation);
            }
            let ok = s.answer().is_some_and(|v| q.is_correct(v));
            println!("truth: {}  → {}", q.answer.as_text(), if ok { "correct" } else { "wrong" });
            if let Some(e) = s.trace_error() {
                eprintln!("dwim: {}", dwim::Diagnostic::new(dwim::Code::E503, format!("could not write the trace: {e}")).one_line(None));
                return Ok(Exit::BadInput);
            }
            Ok(if ok { Exit::Ok } else { Exit::ProgramError })
        }
    }
}

#[derive(serde::Deserialize)]
struct RatioIn {
    hits: usize,
    total: usize,
}
