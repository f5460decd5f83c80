//! DW collection: a teacher writes each training question's workflow step by step; every step runs
//! under the strict limits, its observation goes back, and with DW on the discrepancy judge's
//! findings make the teacher rethink. Viable workflows (correct, not copied) become training data.

use super::flag::flag_steps;
use super::judge::{Judge, Judges, LlmJudge, OracleJudge};
use super::store::{read_all, JsonlStore, Shard};
use super::teacher::programmatic::{hoist_answer, Fallibility, ProgrammaticTeacher};
use super::teacher::{openai::OpenAiTeacher, Teacher, TeacherInput, Turn};
use super::workflow::{Workflow, WORKFLOW_SCHEMA};
use crate::data::Item;
use crate::diag::{diagnostics_json, Code, Diagnostic};
use crate::syntax::{parse_program, ExprKind, SourceFile};
use crate::data::Dataset;
use crate::tools::bench::{oracle, OracleWorld};
use crate::tools::builtin::normalize;
use crate::value::Image;
use crate::{Limits, Registry, Session, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What collection says, once, on a dataset without annotations.
pub const NO_ANNOTATIONS: &str = "no annotations: the rule judge is off; discrepancies come from the teacher's answer check and --llm-judge";

/// Which judge checks steps on `ds`: `rule` (annotations) or `answer-check` (ground truth only).
pub fn judge_name(ds: &Dataset) -> &'static str {
    if ds.annotated() { "rule" } else { "answer-check" }
}

/// Which teacher writes the workflows.
#[derive(Debug, Clone, PartialEq)]
pub enum TeacherSpec {
    Programmatic,
    /// OpenAI-compatible endpoint base URL (…/v1) and model name.
    OpenAi { base: String, model: String },
    /// A local candle policy directory (`dwim train --out`, `dwim ablate` runs).
    Local(PathBuf),
}

impl std::str::FromStr for TeacherSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "programmatic" {
            return Ok(TeacherSpec::Programmatic);
        }
        if let Some(rest) = s.strip_prefix("openai:") {
            let (base, model) = rest.rsplit_once('#').unwrap_or((rest, "default"));
            return Ok(TeacherSpec::OpenAi { base: base.to_string(), model: model.to_string() });
        }
        if let Some(dir) = s.strip_prefix("local:") {
            return Ok(TeacherSpec::Local(PathBuf::from(dir)));
        }
        Err(format!("unknown teacher `{s}`: use programmatic, openai:URL[#MODEL] or local:CKPT"))
    }
}

#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub teacher: TeacherSpec,
    pub dw: bool,
    pub split: String,
    pub shard: Shard,
    pub seed: u64,
    pub max_turns: usize,
    pub workers: usize,
    pub fallibility: Fallibility,
    /// At most this many questions (0 = all), in dataset order.
    pub limit: usize,
    /// Also ask an LLM judge at this OpenAI-compatible endpoint (`URL[#MODEL]`).
    pub llm_judge: Option<String>,
}

impl Default for CollectConfig {
    fn default() -> Self {
        CollectConfig {
            teacher: TeacherSpec::Programmatic,
            dw: true,
            split: "train".into(),
            shard: Shard::ALL,
            seed: 0,
            max_turns: 16,
            workers: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8),
            fallibility: Fallibility::default(),
            limit: 0,
            llm_judge: None,
        }
    }
}

/// Utilization per question family: questions with a viable workflow / questions.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Utilization {
    pub families: BTreeMap<String, (usize, usize)>,
    pub steps: usize,
    pub rethinks: usize,
    pub rejected: usize,
}

impl Utilization {
    pub fn of(workflows: &[Workflow]) -> Utilization {
        let mut u = Utilization::default();
        for w in workflows {
            let e = u.families.entry(w.family.clone()).or_default();
            e.1 += 1;
            e.0 += usize::from(w.viable);
            u.steps += w.steps.len();
            u.rethinks += w.steps.iter().filter(|r| r.kind == "rethink").count();
            u.rejected += w.steps.iter().filter(|r| r.kind == "rejected").count();
        }
        u
    }
    pub fn total(&self) -> (usize, usize) {
        self.families.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }
    pub fn rate(v: (usize, usize)) -> f64 {
        if v.1 == 0 { 0.0 } else { v.0 as f64 / v.1 as f64 }
    }
}

/// Does a step's whole value copy the ground-truth answer as a literal?
fn copies_answer(w: &Workflow, item: &Item) -> bool {
    let truth = normalize(&item.answer.as_text());
    w.steps.iter().filter(|r| r.kind != "rejected").any(|r| {
        let src = SourceFile::new("step", r.source.clone());
        let Ok(p) = parse_program(&src, &Limits::default()) else { return false };
        p.steps.iter().filter_map(|s| s.expr()).any(|e| match &e.kind {
            ExprKind::Text(t) => normalize(t) == truth && !normalize(&item.question).contains(&truth),
            ExprKind::Number(n) => normalize(&crate::value::fmt_number(*n)) == truth,
            _ => false,
        })
    })
}

/// Collects workflows for the questions of one dataset with one tool set.
pub struct Collector<'a> {
    pub dataset: &'a Dataset,
    world: Arc<OracleWorld>,
    tools: &'a Registry,
    oracle: Registry,
}

impl<'a> Collector<'a> {
    /// Workflows run with `tools`; the rule judge's oracle knows the dataset's annotated scenes.
    pub fn new(dataset: &'a Dataset, tools: &'a Registry) -> Collector<'a> {
        let world = OracleWorld::new();
        let oracle = oracle(world.clone());
        Collector { dataset, world, tools, oracle }
    }

    /// The tool set workflows run with.
    pub fn tools(&self) -> &Registry {
        self.tools
    }

    /// The question's images (`image` first) and, when it has annotations, its scene made known
    /// to the oracle.
    fn images(&self, item: &Item) -> Result<(Vec<(String, Image)>, bool), Diagnostic> {
        let images = self.dataset.item_images(item)?;
        let annotated = match self.dataset.scene_of(item) {
            Some(scene) => {
                self.world.add(&images[0].1, scene.clone());
                true
            }
            None if item.scene.is_some() && self.dataset.annotated() => {
                return Err(Diagnostic::new(Code::E504, format!("question {} names unknown scene {:?}", item.id, item.scene.as_deref().unwrap_or(""))));
            }
            None => false,
        };
        Ok((images, annotated))
    }

    fn teacher(&self, item: &Item, cfg: &CollectConfig) -> Result<Box<dyn Teacher>, Diagnostic> {
        Ok(match &cfg.teacher {
            TeacherSpec::Programmatic => Box::new(ProgrammaticTeacher::for_item(item, cfg.seed, cfg.fallibility.clone())?),
            TeacherSpec::OpenAi { base, model } => Box::new(OpenAiTeacher::new(base, model)),
            #[cfg(feature = "train")]
            TeacherSpec::Local(dir) => Box::new(crate::agent::PolicyTeacher(crate::agent::Policy::load(dir)?)),
            #[cfg(not(feature = "train"))]
            TeacherSpec::Local(_) => return Err(Diagnostic::new(Code::E505, "local teachers need a build with the `train` feature")),
        })
    }

    /// Collect one question's workflow.
    pub fn collect_one(&self, item: &Item, cfg: &CollectConfig) -> Result<Workflow, Diagnostic> {
        let (images, annotated) = self.images(item)?;
        let image = images[0].1.clone();
        let reference = item.program.as_deref().map(|p| hoist_answer(p).join("\n"));
        // The rule judge only where annotations say what is true; elsewhere it would call correct
        // steps wrong (it would replay them against an oracle that knows nothing of the image).
        let mut judges: Vec<Box<dyn Judge>> = Vec::new();
        if annotated {
            judges.push(Box::new(OracleJudge::new(self.oracle.clone(), image.clone(), reference.as_deref())));
        }
        if let Some(spec) = &cfg.llm_judge {
            let (base, model) = spec.rsplit_once('#').unwrap_or((spec.as_str(), "default"));
            let client = OpenAiTeacher::new(base, model);
            judges.push(Box::new(LlmJudge { client, question: item.question.clone(), target: item.answer.as_text() }));
        }
        let judge = Judges(judges);
        let mut teacher = self.teacher(item, cfg)?;
        let mut session = Session::new(self.tools, Limits::strict()).keep_records();
        for (name, img) in images {
            session.bind(&name, Value::Image(img));
        }
        let tools = self.tools.prompt();
        let target = item.answer.as_text();
        let mut history: Vec<Turn> = Vec::new();
        let mut triggers = Vec::new();
        let mut teacher_error = None;
        for _ in 0..cfg.max_turns {
            let input = TeacherInput { question: &item.question, target: &target, tools: &tools, history: &history };
            let step = match teacher.next_step(&input) {
                Ok(s) => s,
                // This conversation's reply failed (an overflowing context, say): end this
                // workflow, keep the run going. An unreachable endpoint (E412) ends the run.
                Err(d) if matches!(d.code, Code::E413 | Code::E414 | Code::E415) => {
                    teacher_error = Some(d.one_line(None));
                    break;
                }
                Err(d) => return Err(d),
            };
            if step.trim().is_empty() {
                break;
            }
            let ran = match session.feed(&step) {
                Err(diags) => {
                    history.push(Turn::Rejected { source: step, diagnostics: diagnostics_json(&diags, None).to_string() });
                    None
                }
                Ok(outcomes) => {
                    for o in &outcomes {
                        history.push(Turn::Ran { source: o.record.source.clone(), observation: o.record.observation.clone() });
                    }
                    outcomes.last().map(|o| o.record.clone())
                }
            };
            if session.answer().is_some() {
                break;
            }
            if let (true, Some(rec)) = (cfg.dw, ran) {
                if rec.kind != "rethink" && rec.kind != "think" {
                    if let Some(message) = judge.judge(&rec) {
                        triggers.push(rec.step);
                        history.push(Turn::Discrepancy { message });
                    }
                }
            }
        }
        let mut steps = session.take_records();
        flag_steps(&mut steps, Some(&triggers));
        let given = session.answer().cloned();
        let mut w = Workflow {
            schema: WORKFLOW_SCHEMA.into(),
            id: item.id.clone(),
            question: item.question.clone(),
            family: item.family.clone(),
            image: item.image.clone(),
            images: item.images.clone(),
            answer: serde_json::to_value(&item.answer).unwrap_or_default(),
            teacher: teacher.name(),
            dw: cfg.dw,
            viable: false,
            given: given.as_ref().map(|v| v.to_json()),
            discrepancy: None,
            teacher_error,
            steps,
        };
        let correct = given.as_ref().is_some_and(|v| item.is_correct(v));
        if cfg.dw && !annotated && !correct {
            // The ground-truth-conditioned check: with nothing to check steps against, a final
            // answer that misses the ground truth is the discrepancy.
            let what = given.as_ref().map(|v| format!("the final answer {} does not match the ground truth", v.describe()));
            w.discrepancy = Some(what.unwrap_or_else(|| "the workflow gave no answer".into()));
        }
        w.viable = correct && !copies_answer(&w, item);
        Ok(w)
    }

    /// The questions a run covers: the split, this shard.
    pub fn items(&self, cfg: &CollectConfig) -> Vec<&'a Item> {
        self.dataset
            .questions
            .iter()
            .filter(|q| cfg.split == "all" || q.split == cfg.split)
            .filter(|q| cfg.shard.owns(&q.id))
            .take(if cfg.limit == 0 { usize::MAX } else { cfg.limit })
            .collect()
    }
}

/// Collect into `out` (resumable): returns the canonical result over every shard file there.
/// Every question of the run must have a reference program for the programmatic teacher (E505
/// before any work when none or only some have one).
fn check_programs(items: &[&Item], ds: &Dataset, cfg: &CollectConfig) -> Result<(), Diagnostic> {
    if cfg.teacher != TeacherSpec::Programmatic {
        return Ok(());
    }
    let missing: Vec<&&Item> = items.iter().filter(|q| q.program.as_deref().is_none_or(|p| p.trim().is_empty())).collect();
    let Some(first) = missing.first() else { return Ok(()) };
    let what = if missing.len() == items.len() {
        format!("{} has no reference programs (no question has a `program`)", ds.dir.display())
    } else {
        format!("{} of {} questions in {} have no reference program (the first: {})", missing.len(), items.len(), ds.dir.display(), first.id)
    };
    Err(Diagnostic::new(Code::E505, format!("--teacher programmatic follows each question's reference program, but {what}"))
        .help("add a `program` field to each question (docs/datasets.md), or use --teacher openai:URL or local:DIR"))
}

/// Collect into `out` (resumable) with `tools`: returns the canonical result over every shard file there.
pub fn run(ds: &Dataset, tools: &Registry, out: &Path, cfg: &CollectConfig, progress: bool) -> Result<Vec<Workflow>, Diagnostic> {
    let collector = Collector::new(ds, tools);
    collector.dataset.check_split(&cfg.split)?;
    check_programs(&collector.items(cfg), ds, cfg)?;
    let path: PathBuf = out.join(format!("workflows{}.jsonl", cfg.shard.suffix()));
    refuse_other_tool_set(&path, tools)?;
    let (store, done) = JsonlStore::open(&path)?;
    let todo: Vec<&Item> = collector.items(cfg).into_iter().filter(|q| !done.contains(&q.id)).collect();
    let bar = if progress { indicatif::ProgressBar::new(todo.len() as u64) } else { indicatif::ProgressBar::hidden() };
    bar.set_style(
        indicatif::ProgressStyle::with_template("collect {bar:30} {pos}/{len} questions {per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let store = Mutex::new(store);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failure: Mutex<Option<Diagnostic>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..cfg.workers.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = todo.get(i) else { break };
                if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                    break;
                }
                let r = collector.collect_one(item, cfg).and_then(|w| store.lock().map_err(|_| Diagnostic::new(Code::E499, "store lock poisoned"))?.append(&w));
                if let Err(d) = r {
                    if let Ok(mut f) = failure.lock() {
                        f.get_or_insert(d.tool("collect"));
                    }
                    break;
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    if let Some(d) = failure.into_inner().ok().flatten() {
        return Err(d);
    }
    read_all::<Workflow>(out, "workflows", |w| &w.id)
}

/// The tool-set fingerprint a store's first workflow was collected with (its first step record
/// carries it), if the store has one.
fn recorded_tool_set(path: &Path) -> Option<(String, String)> {
    use std::io::{BufRead, Read};
    let (file, _) = crate::io::open_regular(path).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file.take(Limits::default().max_record_bytes as u64)).read_line(&mut line).ok()?;
    let v: serde_json::Value = serde_json::from_str(&line).ok()?;
    let set = &v["steps"][0]["tool_set"];
    Some((set["fingerprint"].as_str()?.to_string(), set["set"].as_str().unwrap_or("").to_string()))
}

/// E505 when resuming a store collected with another tool set: its workflows and this run's would
/// not be one dataset.
fn refuse_other_tool_set(path: &Path, tools: &Registry) -> Result<(), Diagnostic> {
    match recorded_tool_set(path) {
        Some((fp, set)) if fp != tools.fingerprint() => Err(Diagnostic::new(
            Code::E505,
            format!("{} was collected with tool set `{set}` (fingerprint {fp}); this run's is `{}` ({})", path.display(), tools.set_name, tools.fingerprint()),
        )
        .help("resume with the same --tools/--plugins/--native/--remote flags, or collect into another --out")),
        _ => Ok(()),
    }
}
