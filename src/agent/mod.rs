//! Stage 8–9 of the pipeline: the trained policy writes a workflow one step at a time, the engine
//! checks and runs each step under the strict limits, and the observation goes back into the prompt.
//! `eval` measures it on a dataset split; `ablate` runs DWIM's ablation rows.

pub mod ablate;
pub mod endpoint;
pub mod eval;
pub mod shots;

use crate::diag::{Code, Diagnostic};
use crate::pipeline::render::{instruction, question_line, step_prefix, PLACEHOLDER};
use crate::trace::{TraceRecord, TraceWriter};
use crate::train::generate::{generate, GenOptions};
use crate::train::model::Model;
use crate::value::Image;
use crate::{Limits, Registry, Session, Value};
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tokenizers::Tokenizer;

/// How a policy's prompt ends, matching how it was trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptFormat {
    /// Instruct-masked training: `Step k: [You need to fill this part]` … `Your solution to Step k:`.
    Im,
    /// Conversation training (`sft`, and any masking with `--context packed`): `Step k: `.
    Sft,
}

/// What `policy.json` beside a checkpoint records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyMeta {
    pub format: PromptFormat,
    /// The system text samples were built with.
    pub system: String,
}

/// Who writes the next step: a local candle checkpoint or an OpenAI-compatible endpoint.
pub enum Policy {
    Local(LocalPolicy),
    Endpoint(endpoint::EndpointPolicy),
}

/// A checkpoint `dwim train` wrote, decoded with candle on the CPU.
pub struct LocalPolicy {
    pub model: Model,
    pub tok: Tokenizer,
    pub meta: PolicyMeta,
    stop_ids: Vec<u32>,
    pub max_new: usize,
}

/// One step of an episode as the policy sees it.
pub struct Seen {
    pub source: String,
    pub observation: String,
    pub answered: bool,
    /// For a rejected step, the checker's diagnostics as JSON (what an endpoint policy is shown).
    pub diagnostics: Option<String>,
}

impl Policy {
    pub fn new(model: Model, tok: Tokenizer, meta: PolicyMeta) -> Policy {
        Policy::Local(LocalPolicy::new(model, tok, meta))
    }

    /// A checkpoint directory (`dwim train --out`).
    pub fn load(dir: &Path) -> Result<Policy, Diagnostic> {
        LocalPolicy::load(dir).map(Policy::Local)
    }

    /// `openai:URL[#MODEL]` for an OpenAI-compatible chat endpoint, `local:DIR` or a plain
    /// directory for a checkpoint. Endpoint replies are bounded by `limits`.
    pub fn open(spec: &str, limits: &Limits) -> Result<Policy, Diagnostic> {
        if let Some(rest) = spec.strip_prefix("openai:") {
            if !(rest.starts_with("http://") || rest.starts_with("https://")) {
                return Err(Diagnostic::new(Code::E505, format!("--policy {spec}: expected openai:http://HOST:PORT/v1[#MODEL]")));
            }
            return Ok(Policy::Endpoint(endpoint::EndpointPolicy::new(rest, limits)));
        }
        Policy::open_local(spec.strip_prefix("local:").unwrap_or(spec), &Device::Cpu)
    }

    /// A local policy on `device`: a checkpoint directory `dwim train` wrote, or a base model
    /// (`smollm2`, a `.gguf` file, `hf:OWNER/NAME`) used frozen with its own tokenizer and the
    /// conversation prompt format.
    pub fn open_local(spec: &str, device: &Device) -> Result<Policy, Diagnostic> {
        let is_base = spec == "smollm2" || spec.starts_with("hf:") || spec.ends_with(".gguf");
        if !is_base {
            return LocalPolicy::load_on(Path::new(spec), device).map(Policy::Local);
        }
        let (cfg, weights, tok) = crate::train::load::load_spec(spec, device)?;
        let tok = tok.ok_or_else(|| Diagnostic::new(Code::E411, format!("--policy {spec}: the model carries no tokenizer")))?;
        let model = Model::from_weights(&cfg, weights, None, device).map_err(|e| Diagnostic::new(Code::E411, format!("--policy {spec}: {e}")))?;
        let meta = PolicyMeta { format: PromptFormat::Sft, system: crate::pipeline::render::system_prompt("(see `dwim tools`)") };
        Ok(Policy::Local(LocalPolicy::new(model, tok, meta)))
    }

    /// `local` or `openai:URL#MODEL`, for reports.
    pub fn name(&self) -> String {
        match self {
            Policy::Local(_) => "local".into(),
            Policy::Endpoint(e) => e.name(),
        }
    }

    /// Give an endpoint policy worked examples, `k` shown per question and never one of the
    /// question being answered (a local policy learned its format in training).
    pub fn set_shots(&mut self, examples: Vec<String>, k: usize) {
        if let Policy::Endpoint(e) = self {
            e.shots = examples;
            e.shots_k = k;
        }
    }

    /// Is this a policy behind an endpoint (which needs worked examples)?
    pub fn is_endpoint(&self) -> bool {
        matches!(self, Policy::Endpoint(_))
    }

    /// The next step, with checker-constrained retries (see [`LocalPolicy::next_step_checked`]).
    pub fn next_step_checked(&self, tools: &Registry, question: &str, history: &[Seen], tries: usize, accepts: impl Fn(&str) -> bool) -> Result<String, Diagnostic> {
        match self {
            Policy::Local(p) => p.next_step_checked(question, history, tries, accepts),
            Policy::Endpoint(e) => e.next_step_checked(&tools.prompt(), question, history, tries, accepts),
        }
    }
}

impl LocalPolicy {
    pub fn new(model: Model, tok: Tokenizer, meta: PolicyMeta) -> LocalPolicy {
        let stop_ids = (0..tok.get_vocab_size(true) as u32)
            .filter(|&i| tok.decode(&[i], false).map(|s| s.contains('\n')).unwrap_or(false))
            .collect();
        LocalPolicy { model, tok, meta, stop_ids, max_new: 96 }
    }

    /// Load `model.safetensors` + `config.json` + `tokenizer.json` + `policy.json` from a directory.
    pub fn load(dir: &Path) -> Result<LocalPolicy, Diagnostic> {
        LocalPolicy::load_on(dir, &Device::Cpu)
    }

    /// [`LocalPolicy::load`] onto `device`.
    pub fn load_on(dir: &Path, device: &Device) -> Result<LocalPolicy, Diagnostic> {
        let model = crate::train::load::load_model(dir, device)?;
        let tok = crate::tokenizer::load(&dir.join("tokenizer.json"))?;
        let meta_path = dir.join("policy.json");
        let meta = match crate::io::read_text(&meta_path, crate::Limits::default().max_record_bytes as u64) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| Diagnostic::new(Code::E504, format!("{}:{}:{}: {e}", meta_path.display(), e.line(), e.column())))?,
            Err(d) if d.code == Code::E501 && !meta_path.exists() => PolicyMeta { format: PromptFormat::Im, system: crate::pipeline::render::system_prompt("(see `dwim tools`)") },
            Err(d) => return Err(d),
        };
        Ok(LocalPolicy::new(model, tok, meta))
    }

    pub fn prompt(&self, question: &str, history: &[Seen]) -> String {
        let mut p = format!("{}\n{}", self.meta.system, question_line(question));
        for (i, s) in history.iter().enumerate() {
            p.push_str(&step_prefix(i + 1));
            p.push_str(&s.source);
            p.push('\n');
            if !s.answered {
                p.push_str(&format!("Result {}: {}\n", i + 1, s.observation));
            }
        }
        let k = history.len() + 1;
        match self.meta.format {
            PromptFormat::Im => format!("{p}{}{PLACEHOLDER}\n{} ", step_prefix(k), instruction(k)),
            PromptFormat::Sft => format!("{p}{}", step_prefix(k)),
        }
    }

    /// The policy's next step (one line), decoded greedily.
    pub fn next_step(&self, question: &str, history: &[Seen]) -> Result<String, Diagnostic> {
        self.next_step_checked(question, history, 1, |_| true)
    }

    /// Checker-constrained decoding: the greedy line, and if `accepts` refuses it, up to `tries - 1`
    /// lines sampled at temperature 0.7 (seeded, so reproducible); the first accepted line wins,
    /// else the greedy one (which the engine then rejects, as a turn).
    pub fn next_step_checked(&self, question: &str, history: &[Seen], tries: usize, accepts: impl Fn(&str) -> bool) -> Result<String, Diagnostic> {
        let prompt = self.prompt(question, history);
        let ids = crate::tokenizer::encode(&self.tok, &prompt)?;
        let mut first = None;
        for attempt in 0..tries.max(1) {
            let temperature = if attempt == 0 { 0.0 } else { 0.7 };
            let opts = GenOptions { max_new: self.max_new, temperature, stop_ids: self.stop_ids.clone(), seed: attempt as u64 };
            let out = generate(&self.model, &ids, &opts).map_err(|e| Diagnostic::new(Code::E401, format!("decoding: {e}")).tool("policy"))?;
            let text = crate::tokenizer::decode(&self.tok, &out)?;
            let line = text.lines().next().unwrap_or("").trim().to_string();
            if accepts(&line) {
                return Ok(line);
            }
            first.get_or_insert(line);
        }
        Ok(first.unwrap_or_default())
    }
}

/// The result of one episode.
pub struct Episode {
    pub answer: Option<Value>,
    pub records: Vec<TraceRecord>,
    /// The first error writing the trace, if one was given and a write failed (E503 for the caller).
    pub trace_error: Option<String>,
    /// Why the policy stopped writing early: its endpoint refused or garbled this conversation's
    /// reply (E413/E414/E415 — a context overflow, say). The episode ends unanswered; an endpoint
    /// that cannot be reached at all (E412) is an error of the whole run instead.
    pub policy_error: Option<Diagnostic>,
}

/// Let the policy answer `question` about `image`: at most `max_steps` turns; a step that does
/// not parse or check gets its diagnostic back and counts as a turn.
pub fn run_episode(policy: &Policy, tools: &Registry, image: Image, question: &str, max_steps: usize, trace: Option<TraceWriter>) -> Result<Episode, Diagnostic> {
    run_episode_with(policy, tools, image, question, &EpisodeOptions { max_steps, tries: 1 }, trace)
}

/// How an episode is run.
#[derive(Debug, Clone, Copy)]
pub struct EpisodeOptions {
    pub max_steps: usize,
    /// Lines decoded per turn until one passes the checker (1 = plain greedy decoding).
    pub tries: usize,
}

/// [`run_episode`] with checker-constrained decoding when `opts.tries > 1`.
pub fn run_episode_with(policy: &Policy, tools: &Registry, image: Image, question: &str, opts: &EpisodeOptions, trace: Option<TraceWriter>) -> Result<Episode, Diagnostic> {
    run_episode_images(policy, tools, vec![("image".to_string(), image)], question, opts, trace)
}

/// The question as a policy is shown it: with several input images (an NLVR2-style pair bound to
/// `left` and `right`, say) it names them, since the policy must refer to them by name.
pub fn question_with_inputs(question: &str, names: &[&str]) -> String {
    if names == ["image"] {
        question.to_string()
    } else {
        format!("{question} (images: {})", names.join(", "))
    }
}

/// [`run_episode_with`] on several named input images, each bound to its variable.
pub fn run_episode_images(policy: &Policy, tools: &Registry, images: Vec<(String, Image)>, question: &str, opts: &EpisodeOptions, trace: Option<TraceWriter>) -> Result<Episode, Diagnostic> {
    let max_steps = opts.max_steps;
    let mut session = Session::new(tools, Limits::strict()).keep_records();
    if let Some(t) = trace {
        session = session.with_trace(t);
    }
    let names: Vec<&str> = images.iter().map(|(n, _)| n.as_str()).collect();
    let question = &question_with_inputs(question, &names);
    for (name, image) in images {
        session.bind(&name, Value::Image(image));
    }
    let mut seen: Vec<Seen> = Vec::new();
    let mut policy_error = None;
    for _ in 0..max_steps {
        let step = match policy.next_step_checked(tools, question, &seen, opts.tries, |line| !line.is_empty() && session.check(line).is_ok()) {
            Ok(s) => s,
            Err(d) if matches!(d.code, Code::E413 | Code::E414 | Code::E415) => {
                policy_error = Some(d);
                break;
            }
            Err(d) => return Err(d),
        };
        match session.feed(&step) {
            Err(diags) => {
                let obs = format!("rejected: {}", diags[0].one_line(None));
                let json = crate::diag::diagnostics_json(&diags[..], None).to_string();
                seen.push(Seen { source: step, observation: obs, answered: false, diagnostics: Some(json) });
            }
            Ok(outcomes) => {
                for o in outcomes {
                    let answered = o.record.kind == "answer" && o.record.error.is_none();
                    seen.push(Seen { source: o.record.source.clone(), observation: o.record.observation.clone(), answered, diagnostics: None });
                }
            }
        }
        if session.answer().is_some() {
            break;
        }
    }
    let trace_error = session.trace_error().map(String::from);
    Ok(Episode { answer: session.answer().cloned(), records: session.take_records(), trace_error, policy_error })
}

/// A trained policy as a DW teacher (`dwim collect --teacher local:DIR`): it is shown the question and
/// the observations (not the target) and writes the next step.
pub struct PolicyTeacher(pub Policy);

impl crate::pipeline::teacher::Teacher for PolicyTeacher {
    fn name(&self) -> String {
        "local".into()
    }
    fn next_step(&mut self, input: &crate::pipeline::teacher::TeacherInput<'_>) -> Result<String, Diagnostic> {
        use crate::pipeline::teacher::Turn;
        let seen: Vec<Seen> = input
            .history
            .iter()
            .filter_map(|t| match t {
                Turn::Ran { source, observation } => Some(Seen { source: source.clone(), observation: observation.clone(), answered: false, diagnostics: None }),
                Turn::Rejected { source, diagnostics } => Some(Seen { source: source.clone(), observation: format!("rejected: {diagnostics}"), answered: false, diagnostics: Some(diagnostics.clone()) }),
                Turn::Discrepancy { .. } => None,
            })
            .collect();
        match &self.0 {
            Policy::Local(p) => p.next_step(input.question, &seen),
            Policy::Endpoint(e) => e.next_step_checked(input.tools, input.question, &seen, 1, |_| true),
        }
    }
}
