//! `dwim eval`: accuracy per question family (IoU for grounding), average steps, tool-error rate,
//! and the share of steps the checker rejected.

use super::{run_episode_with, EpisodeOptions, Policy};
use crate::data::Item;
use crate::diag::Diagnostic;
use crate::tools::bench::benchmark;
use crate::world::dataset::Dataset;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    /// family → (correct, questions)
    pub families: BTreeMap<String, (usize, usize)>,
    pub steps: usize,
    pub tool_errors: usize,
    pub rejected: usize,
    pub episodes: usize,
    /// One line per question (`dwim eval --episodes FILE`; `runs/*/episodes.jsonl` in an ablation).
    #[serde(skip)]
    pub details: Vec<EpisodeSummary>,
}

/// What one evaluated episode did: the steps as written, the answer, whether it was right.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeSummary {
    pub id: String,
    pub family: String,
    pub question: String,
    pub expected: String,
    pub answer: Option<String>,
    pub correct: bool,
    /// Each step's source, prefixed `!` when the checker rejected it.
    pub steps: Vec<String>,
}

impl EvalReport {
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

/// Evaluate on a split (`test` by default), at most `limit` questions (0 = all).
pub fn evaluate(policy: &Policy, data: &Path, split: &str, limit: usize, opts: &EpisodeOptions) -> Result<EvalReport, Diagnostic> {
    let ds = Dataset::load(data)?;
    ds.check_split(split)?;
    let tools = benchmark();
    let mut report = EvalReport::default();
    let items: Vec<&Item> = ds.questions.iter().filter(|q| split == "all" || q.split == split).collect();
    let items = if limit > 0 { &items[..limit.min(items.len())] } else { &items[..] };
    let mut images: BTreeMap<String, crate::value::Image> = BTreeMap::new();
    for item in items {
        let scene_id = item.scene.clone().unwrap_or_default();
        let image = match images.get(&scene_id) {
            Some(i) => i.clone(),
            None => {
                let img = match ds.scene(&scene_id) {
                    Some(s) => ds.image(s)?,
                    None => crate::value::Image::load(&data.join(&item.image), &crate::Limits::default())?,
                };
                images.insert(scene_id, img.clone());
                img
            }
        };
        let ep = run_episode_with(policy, &tools, image, &item.question, opts, None)?;
        let correct = ep.answer.as_ref().is_some_and(|a| item.is_correct(a));
        let e = report.families.entry(item.family.clone()).or_default();
        e.0 += usize::from(correct);
        e.1 += 1;
        report.episodes += 1;
        report.details.push(EpisodeSummary {
            id: item.id.clone(),
            family: item.family.clone(),
            question: item.question.clone(),
            expected: item.answer.as_text(),
            answer: ep.answer.as_ref().map(|a| a.describe()),
            correct,
            steps: ep.records.iter().map(|r| if r.kind == "rejected" { format!("!{}", r.source) } else { r.source.clone() }).collect(),
        });
        report.steps += ep.records.len();
        report.rejected += ep.records.iter().filter(|r| r.kind == "rejected").count();
        report.tool_errors += ep.records.iter().filter(|r| r.error.as_ref().is_some_and(|d| d.code.as_str().starts_with("E4"))).count();
    }
    Ok(report)
}
