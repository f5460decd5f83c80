//! `dwim eval`: accuracy per question family (IoU for grounding), average steps, tool-error rate,
//! and the share of steps the checker rejected.
//!
//! The report is a pure function of the per-question lines ([`EpisodeSummary`]), so a run split
//! into `--shard K/N` runs, each writing its lines to a store, merges into the same report as one
//! run ([`merge`]).

use super::{run_episode_images, EpisodeOptions, Policy};
use crate::data::{Dataset, Item};
use crate::diag::{Code, Diagnostic};
use crate::pipeline::store::{read_all, JsonlStore, Shard};
use crate::Registry;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    /// family → (correct, questions)
    pub families: BTreeMap<String, (usize, usize)>,
    pub steps: usize,
    pub tool_errors: usize,
    pub rejected: usize,
    pub episodes: usize,
    /// Episodes the policy's endpoint ended early (E413/E414/E415; counted wrong).
    pub policy_errors: usize,
    /// One line per question (`dwim eval --episodes FILE`; `runs/*/episodes.jsonl` in an ablation).
    #[serde(skip)]
    pub details: Vec<EpisodeSummary>,
}

/// What one evaluated episode did: the steps as written, the answer, whether it was right.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpisodeSummary {
    pub id: String,
    pub family: String,
    pub question: String,
    pub expected: String,
    pub answer: Option<String>,
    pub correct: bool,
    /// Each step's source, prefixed `!` when the checker rejected it.
    pub steps: Vec<String>,
    /// Steps that ended in a tool error (E4xx).
    #[serde(default)]
    pub tool_errors: usize,
    /// Why the policy stopped early (its endpoint refused this conversation: E413/E414/E415).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_error: Option<String>,
}

impl EvalReport {
    /// The report over these questions' lines (in this order).
    pub fn from_details(details: Vec<EpisodeSummary>) -> EvalReport {
        let mut r = EvalReport::default();
        for d in &details {
            let e = r.families.entry(d.family.clone()).or_default();
            e.0 += usize::from(d.correct);
            e.1 += 1;
            r.episodes += 1;
            r.steps += d.steps.len();
            r.rejected += d.steps.iter().filter(|s| s.starts_with('!')).count();
            r.tool_errors += d.tool_errors;
            r.policy_errors += usize::from(d.policy_error.is_some());
        }
        r.details = details;
        r
    }

    /// The per-question lines as JSONL.
    pub fn details_jsonl(&self) -> String {
        self.details.iter().filter_map(|d| serde_json::to_string(d).ok()).map(|l| l + "\n").collect()
    }
    pub fn accuracy(&self) -> f64 {
        let (c, n) = self.families.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if n == 0 { 0.0 } else { c as f64 / n as f64 }
    }
    pub fn avg_steps(&self) -> f64 {
        self.steps as f64 / self.episodes.max(1) as f64
    }
    pub fn tool_error_rate(&self) -> f64 {
        self.tool_errors as f64 / self.steps.max(1) as f64
    }
    pub fn rejected_share(&self) -> f64 {
        self.rejected as f64 / self.steps.max(1) as f64
    }
}

/// The questions an evaluation covers: the split's first `limit` (0 = all), then this shard's.
/// The limit comes before the shard, so the shards of a limited run cover the same questions.
pub fn eval_items<'a>(ds: &'a Dataset, split: &'a str, limit: usize, shard: Shard) -> Vec<&'a Item> {
    ds.items(split).take(if limit == 0 { usize::MAX } else { limit }).filter(|q| shard.owns(&q.id)).collect()
}

/// Evaluate on a split (`test` by default), at most `limit` questions (0 = all), with `tools`.
pub fn evaluate(policy: &Policy, ds: &Dataset, tools: &Registry, split: &str, limit: usize, opts: &EpisodeOptions) -> Result<EvalReport, Diagnostic> {
    ds.check_split(split)?;
    let mut details = Vec::new();
    for item in eval_items(ds, split, limit, Shard::ALL) {
        details.push(episode(policy, ds, tools, item, opts)?);
    }
    Ok(EvalReport::from_details(details))
}

/// One question, answered by the policy and scored.
pub fn episode(policy: &Policy, ds: &Dataset, tools: &Registry, item: &Item, opts: &EpisodeOptions) -> Result<EpisodeSummary, Diagnostic> {
    let images = ds.item_images(item)?;
    let ep = run_episode_images(policy, tools, images, &item.question, opts, None)?;
    let correct = ep.answer.as_ref().is_some_and(|a| item.is_correct(a));
    Ok(EpisodeSummary {
        id: item.id.clone(),
        family: item.family.clone(),
        question: item.question.clone(),
        expected: item.answer.as_text(),
        answer: ep.answer.as_ref().map(|a| a.describe()),
        correct,
        steps: ep.records.iter().map(|r| if r.kind == "rejected" { format!("!{}", r.source) } else { r.source.clone() }).collect(),
        tool_errors: ep.records.iter().filter(|r| r.error.as_ref().is_some_and(|d| d.code.as_str().starts_with("E4"))).count(),
        policy_error: ep.policy_error.map(|d| d.one_line(None)),
    })
}

/// The store file of one shard in an `--out` directory.
pub fn shard_file(dir: &Path, shard: Shard) -> PathBuf {
    dir.join(format!("episodes{}.jsonl", shard.suffix()))
}

/// Evaluate this shard's questions into `dir/episodes[-KofN].jsonl` (resumable: questions already
/// there are not run again); returns the report over that shard's file.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_into(policy: &Policy, ds: &Dataset, tools: &Registry, split: &str, limit: usize, shard: Shard, dir: &Path, opts: &EpisodeOptions) -> Result<EvalReport, Diagnostic> {
    ds.check_split(split)?;
    let path = shard_file(dir, shard);
    let (mut store, done): (JsonlStore, BTreeSet<String>) = JsonlStore::open(&path)?;
    for item in eval_items(ds, split, limit, shard).into_iter().filter(|q| !done.contains(&q.id)) {
        store.append(&episode(policy, ds, tools, item, opts)?)?;
    }
    drop(store);
    let prefix = format!("episodes{}.", shard.suffix());
    Ok(EvalReport::from_details(read_all(dir, &prefix, |d: &EpisodeSummary| &d.id)?))
}

/// Merge the episode files in these directories (the `--out` of shard runs) into one report;
/// a question found twice is E504 (two runs of the same shard, or shards of different splits).
pub fn merge(dirs: &[PathBuf]) -> Result<EvalReport, Diagnostic> {
    let mut all: Vec<EpisodeSummary> = Vec::new();
    for d in dirs {
        all.extend(read_all(d, "episodes", |d: &EpisodeSummary| &d.id)?);
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(w) = all.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Diagnostic::new(Code::E504, format!("question {} appears in more than one episode file", w[0].id))
            .help("merge the --out directories of one evaluation's shards, each shard once"));
    }
    if all.is_empty() {
        return Err(Diagnostic::new(Code::E501, "no episodes-*.jsonl in the directories given to --merge"));
    }
    Ok(EvalReport::from_details(all))
}
