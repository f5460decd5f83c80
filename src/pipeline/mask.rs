//! Instruct masking (DWIM's IM) and the ablation variants, as text segments marked target or not.
//!
//! - `im`: one sample per *effective* step k of a viable workflow. The whole workflow with all
//!   observations is shown, step k's action replaced by the placeholder, ending with
//!   `Your solution to Step k:`; the target is step k's action. Ineffective steps stay as context.
//! - `sft`: the plain conversation; every action is a target (standard fine-tuning).
//! - `random`: IM-style samples for a random subset of steps (as many as there are effective
//!   steps), ignoring κ — the paper's "random masking" ablation.
//! - `rethink`: IM targets plus the steps a rethink reacted to — the "mask with rethink" ablation.
//!
//! How a masked step's sample shows the rest of the workflow is the [`Context`]: DWIM's whole
//! workflow (`full`), only the steps before it (`prefix`), or the prefix form `packed` into one
//! conversation per workflow whose chosen steps are the targets (the same supervision as `prefix` —
//! a causal model sees exactly the earlier steps at each target — for a third of the tokens).

use super::render::*;
use super::workflow::Workflow;
use crate::world::demo::SplitMix;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Im,
    Sft,
    Random,
    Rethink,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Im => "im",
            Mode::Sft => "sft",
            Mode::Random => "random",
            Mode::Rethink => "rethink",
        }
    }
}

/// What an instruct-masked sample shows around the masked step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// DWIM's form: the whole workflow with every observation, the masked step's result included.
    #[default]
    Full,
    /// Only the steps before the masked one — exactly what the agent sees at inference, which small
    /// models trained from scratch need (with `full` they learn to rely on later steps).
    Prefix,
    /// The prefix form packed into one conversation per workflow: every step is shown as the agent
    /// sees it, and only the chosen steps are targets. The policy is prompted with `Step k: `.
    Packed,
}

impl Context {
    /// How a policy trained on these samples is prompted.
    pub fn conversation(self, mode: Mode) -> bool {
        mode == Mode::Sft || self == Context::Packed
    }
}

/// A piece of sample text; `target` pieces are what the model learns to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub target: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub id: String,
    pub mode: Mode,
    /// 1-based step the sample teaches (None for `sft`, which teaches them all).
    pub step: Option<usize>,
    pub segments: Vec<Segment>,
}

impl Sample {
    pub fn targets(&self) -> Vec<&str> {
        self.segments.iter().filter(|s| s.target).map(|s| s.text.as_str()).collect()
    }
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

fn seg(text: String, target: bool) -> Segment {
    Segment { text, target }
}

/// Check a workflow is one masking can afford: at most `limits.max_steps` actions and at most
/// `limits.max_record_bytes` of rendered steps and results (E311 naming the workflow). A masked
/// step's sample in the `full` and `prefix` forms repeats the workflow, so the samples of one
/// workflow cost up to (steps × its text); with both bounded, masking is linear in its input.
/// (Collection runs under `Limits::strict()`, so a collected workflow has at most its 32 steps.)
pub fn check_workflow(wf: &Workflow, limits: &crate::Limits) -> Result<(), crate::diag::Diagnostic> {
    use crate::diag::{Code, Diagnostic};
    let n = wf.actions().count();
    if n > limits.max_steps {
        return Err(Diagnostic::new(Code::E311, format!("workflow {:?} has {n} steps; masking takes at most {} (the step limit programs run under)", wf.id, limits.max_steps)));
    }
    let mut bytes = wf.question.len();
    for (i, (_, r)) in wf.actions().enumerate() {
        bytes += action(r).len() + result_line(i + 1, r).len();
        if bytes > limits.max_record_bytes {
            return Err(Diagnostic::new(Code::E311, format!("workflow {:?} renders to over {} bytes, the limit for one record", wf.id, limits.max_record_bytes)));
        }
    }
    Ok(())
}

/// Samples for one workflow. Non-viable workflows give none; flags must be set (`flag_steps`).
pub fn samples(wf: &Workflow, mode: Mode, system: &str, seed: u64) -> Vec<Sample> {
    samples_with(wf, mode, Context::Full, system, seed)
}

/// Samples with the given context form for masked steps.
pub fn samples_with(wf: &Workflow, mode: Mode, context: Context, system: &str, seed: u64) -> Vec<Sample> {
    if !wf.viable {
        return Vec::new();
    }
    let actions: Vec<_> = wf.actions().map(|(_, r)| r).collect();
    if mode == Mode::Sft {
        return vec![conversation(wf, &actions, &(0..actions.len()).collect::<Vec<_>>(), mode, system)];
    }
    let effective = |i: usize| actions[i].flag.as_ref().is_none_or(|f| f.effective);
    let chosen: Vec<usize> = match mode {
        Mode::Im => (0..actions.len()).filter(|&i| effective(i)).collect(),
        Mode::Rethink => (0..actions.len())
            .filter(|&i| effective(i) || actions[i].flag.as_ref().and_then(|f| f.reason.as_deref()) == Some("tool_failure"))
            .collect(),
        Mode::Random => {
            let want = (0..actions.len()).filter(|&i| effective(i)).count();
            let mut idx: Vec<usize> = (0..actions.len()).collect();
            let mut rng = SplitMix(seed ^ fxhash(&wf.id));
            for i in (1..idx.len()).rev() {
                idx.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut c: Vec<usize> = idx.into_iter().take(want).collect();
            c.sort();
            c
        }
        Mode::Sft => unreachable!("handled above"),
    };
    if context == Context::Packed {
        return if chosen.is_empty() { Vec::new() } else { vec![conversation(wf, &actions, &chosen, mode, system)] };
    }
    chosen
        .into_iter()
        .map(|k| {
            let mut ctx = format!("{system}\n{}", question_line(&wf.question));
            for (i, r) in actions.iter().enumerate() {
                ctx.push_str(&step_prefix(i + 1));
                if i == k {
                    ctx.push_str(PLACEHOLDER);
                    ctx.push('\n');
                    if context == Context::Prefix {
                        break;
                    }
                } else {
                    ctx.push_str(&action(r));
                }
                ctx.push_str(&result_line(i + 1, r));
            }
            ctx.push_str(&instruction(k + 1));
            ctx.push(' ');
            Sample {
                id: format!("{}#{}{}", wf.id, mode.name(), k + 1),
                mode,
                step: Some(k + 1),
                segments: vec![seg(ctx, false), seg(action(actions[k]), true)],
            }
        })
        .collect()
}

/// The workflow as one conversation; the actions at `chosen` (sorted) are the targets.
fn conversation(wf: &Workflow, actions: &[&crate::trace::TraceRecord], chosen: &[usize], mode: Mode, system: &str) -> Sample {
    let mut segs = vec![seg(format!("{system}\n{}", question_line(&wf.question)), false)];
    for (i, r) in actions.iter().enumerate() {
        segs.push(seg(step_prefix(i + 1), false));
        segs.push(seg(action(r), chosen.binary_search(&i).is_ok()));
        let res = result_line(i + 1, r);
        if !res.is_empty() {
            segs.push(seg(res, false));
        }
    }
    Sample { id: format!("{}#{}", wf.id, mode.name()), mode, step: None, segments: segs }
}

/// A stable 64-bit hash of a string (FNV-1a), for per-workflow seeds.
pub fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}
