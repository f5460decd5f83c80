//! `dwim bench-world generate|score|run`: the built-in visual reasoning benchmark.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::tools::bench::{benchmark, oracle, OracleWorld};
use dwim::trace::TraceWriter;
use dwim::world::dataset::{generate, Dataset, GenConfig};
use dwim::world::score::{tool_metrics, workflow_accuracy, Ratio};
use dwim::{Limits, Registry, Session, Value};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BenchWorldArgs {
    #[command(subcommand)]
    pub cmd: BenchWorldCmd,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ToolSet {
    /// Pixel perception (imperfect, like real tools).
    Benchmark,
    /// Perfect answers from the annotations.
    Oracle,
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
    /// Measure the pixel tools against the annotations, and the reference workflows' accuracy.
    #[command(after_help = "Examples:\n  dwim bench-world score --data data/world --split test\n  dwim bench-world score --data data/world --tools oracle --format json")]
    Score {
        #[arg(long)]
        data: PathBuf,
        /// train, val, test or all.
        #[arg(long, default_value = "test")]
        split: String,
        /// The tool set the reference workflows run with.
        #[arg(long, value_enum, default_value_t = ToolSet::Benchmark)]
        tools: ToolSet,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run one question's reference workflow, optionally writing its trace.
    #[command(after_help = "Examples:\n  dwim bench-world run --data data/world --question scene_00003_count --trace t.jsonl")]
    Run {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        question: String,
        #[arg(long, value_enum, default_value_t = ToolSet::Benchmark)]
        tools: ToolSet,
        #[arg(long)]
        trace: Option<PathBuf>,
    },
}

fn registry(ds: &Dataset, tools: ToolSet) -> Result<Registry, Failure> {
    Ok(match tools {
        ToolSet::Benchmark => benchmark(),
        ToolSet::Oracle => {
            let world = OracleWorld::new();
            for s in &ds.scenes {
                world.add(&ds.image(s).map_err(|d| bad_input(&d))?, s.clone());
            }
            oracle(world)
        }
    })
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
        BenchWorldCmd::Score { data, split, tools, format } => {
            let ds = Dataset::load(&data).map_err(|d| bad_input(&d))?;
            ds.check_split(&split).map_err(|d| bad_input(&d))?;
            let m = tool_metrics(&ds, &split).map_err(|d| bad_input(&d))?;
            let reg = registry(&ds, tools)?;
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
        BenchWorldCmd::Run { data, question, tools, trace } => {
            let ds = Dataset::load(&data).map_err(|d| bad_input(&d))?;
            let q = ds.questions.iter().find(|q| q.id == question)
                .ok_or_else(|| bad_input(&dwim::Diagnostic::new(dwim::Code::E505, format!("--question {question:?}: no such question in {}", data.display()))))?;
            let reg = registry(&ds, tools)?;
            let img = dwim::value::Image::load(&data.join(&q.image), &dwim::Limits::default()).map_err(|d| bad_input(&d))?;
            let prog = q.program.clone().unwrap_or_default();
            let src = dwim::syntax::SourceFile::new(format!("{question}.wf"), prog);
            let p = dwim::syntax::parse_program(&src, &Limits::default()).map_err(|d| bad_input(&d))?;
            let mut s = Session::new(&reg, Limits::default());
            if let Some(t) = &trace {
                super::common::check_output_path("--trace", t)?;
                s = s.with_trace(TraceWriter::create(t).map_err(|d| bad_input(&d))?);
            }
            s.bind("image", Value::Image(img));
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
