//! The built-in programmatic teacher, for any dataset whose questions carry reference programs
//! (the built-in benchmark's all do). It behaves like a fallible LLM
//! that roughly knows how to solve the question: it follows the question's reference workflow, but
//! with seeded probabilities it writes a wrong detector query, calls the wrong tool, makes a typo,
//! or adds a step that does not help — and the pixel tools fail on their own. With DW on, when the
//! judge reports a discrepancy it writes `rethink "…"` and tries an alternative for that step;
//! with DW off it carries on. Everything is reproducible for a seed and a question id.
//!
//! Some of its errors are *habits*, as with an LLM teacher at low temperature, which makes the same
//! mistake whenever it sees the same kind of input: for a seed, a fixed share of the object colours and
//! of the shape words (`Fallibility::habits`) are always mistaken at the first attempt ("purple" → "blue").
//! Random per-question slips alone are averaged away by a student decoding greedily; habits are what
//! a student trained on every teacher step (SFT) learns to repeat, and what instruct masking is for.

use super::{Teacher, TeacherInput, Turn};
use crate::diag::Diagnostic;
use crate::pipeline::mask::fxhash;
use crate::world::demo::SplitMix;
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct Fallibility {
    /// A detector query made wrong (confusable colour, wrong shape, extra size word).
    pub wrong_query: f64,
    /// A perception tool swapped for a plausible wrong one.
    pub wrong_tool: f64,
    /// A typo that the checker rejects (fixed at the next turn, as an LLM reading the error would).
    pub typo: f64,
    /// An extra step whose result is never used.
    pub useless: f64,
    /// Share of the object colours and of the shape words this teacher always mistakes at first
    /// (which ones depends on the collection seed; 0.25 gives 2 of 9 colours and 1 of 4 shapes).
    pub habits: f64,
    /// Alternatives tried per step after discrepancies.
    pub max_rethinks: usize,
}

impl Default for Fallibility {
    fn default() -> Self {
        Fallibility { wrong_query: 0.2, wrong_tool: 0.15, typo: 0.08, useless: 0.12, habits: 0.25, max_rethinks: 2 }
    }
}

#[derive(Debug, Clone)]
struct Planned {
    /// What the teacher writes first.
    first: String,
    /// Fixes to try after a discrepancy, best first.
    alternatives: VecDeque<String>,
}

pub struct ProgrammaticTeacher {
    plan: VecDeque<Planned>,
    queue: VecDeque<String>,
    /// The step last sent and what to resend if it is rejected.
    last_fix: Option<String>,
    current: Option<Planned>,
    rethinks: usize,
    cfg: Fallibility,
}

const PERCEPTION: &[&str] = &["detect(", "color(", "shape(", "read_text(", "vqa("];

/// Hoist perception calls out of `answer`, so a discrepancy in them can still be rethought:
/// `answer color(o)` → `result = color(o)` + `answer result`.
pub fn hoist_answer(program: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in program.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        match line.strip_prefix("answer ") {
            Some(expr) if PERCEPTION.iter().any(|p| expr.contains(p)) => {
                out.push(format!("result = {expr}"));
                out.push("answer result".to_string());
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

const COLORS: &[&str] = &["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "gray", "white", "black"];
const SHAPES: &[&str] = &["circle", "square", "rectangle", "triangle"];

fn confusable(color: &str) -> &'static str {
    match color {
        "red" => "orange",
        "orange" => "red",
        "yellow" => "orange",
        "green" => "blue",
        "blue" => "purple",
        "purple" => "blue",
        "pink" => "red",
        "brown" => "orange",
        "gray" => "white",
        _ => "gray",
    }
}

/// The detector query in a step, if it has one: (start, end) of the text inside the quotes.
fn query_span(line: &str) -> Option<(usize, usize)> {
    let at = line.find("detect(")?;
    let open = at + line[at..].find('"')? + 1;
    let close = open + line[open..].find('"')?;
    Some((open, close))
}

fn wrong_query(q: &str, rng: &mut SplitMix) -> String {
    let words: Vec<&str> = q.split_whitespace().collect();
    if let Some(c) = words.iter().find(|w| COLORS.contains(w)) {
        return q.replacen(c, confusable(c), 1);
    }
    if let Some(s) = words.iter().find(|w| SHAPES.contains(&w.trim_end_matches('s'))) {
        let other = SHAPES[(SHAPES.iter().position(|x| s.starts_with(x)).unwrap_or(0) + 1 + rng.below(3) as usize) % SHAPES.len()];
        return q.replacen(s.trim_end_matches('s'), other, 1);
    }
    format!("{} {q}", if rng.below(2) == 0 { "small" } else { "large" })
}

/// The words a teacher with this seed habitually mistakes: `share` of the colours objects can have
/// and of the shapes (rounded, at least one of each when `share` > 0), chosen by a seeded hash.
pub fn habit_words(seed: u64, share: f64) -> Vec<&'static str> {
    let mut out = Vec::new();
    for words in [dwim_perception::palette::OBJECT_COLORS, SHAPES] {
        let k = if share > 0.0 { ((share * words.len() as f64).round() as usize).clamp(1, words.len()) } else { 0 };
        let mut ranked: Vec<&'static str> = words.to_vec();
        ranked.sort_by_key(|w| SplitMix(seed ^ fxhash(w) ^ 0x6861_6269_7473).next_u64());
        out.extend(ranked.into_iter().take(k));
    }
    out
}

/// A query with its first habitual word mistaken the teacher's habitual way, if it has one.
fn habitual_query(q: &str, habits: &[&str]) -> Option<String> {
    let words: Vec<&str> = q.split_whitespace().collect();
    if let Some(c) = words.iter().find(|w| COLORS.contains(w) && habits.contains(w)) {
        return Some(q.replacen(c, confusable(c), 1));
    }
    let s = words.iter().map(|w| w.trim_end_matches('s')).find(|w| SHAPES.contains(w) && habits.contains(w))?;
    let other = match s {
        "square" => "rectangle",
        "rectangle" => "square",
        "circle" => "square",
        _ => "rectangle",
    };
    Some(q.replacen(s, other, 1))
}

/// Rewrites of a step that reach the same value another way (for tool failures).
fn alternatives(line: &str) -> Vec<String> {
    let Some((lhs, rhs)) = line.split_once(" = ") else { return Vec::new() };
    let mut out = Vec::new();
    if let Some((open, close)) = query_span(line) {
        let q = &line[open..close];
        let tests: Vec<String> = q
            .split_whitespace()
            .filter_map(|w| {
                if COLORS.contains(&w) {
                    Some(format!("color(o) == \"{w}\""))
                } else {
                    let s = w.trim_end_matches('s');
                    SHAPES.contains(&s).then(|| format!("shape(o) == \"{s}\""))
                }
            })
            .collect();
        let index = if rhs.trim_end().ends_with("[0]") { "[0]" } else { "" };
        let cond = if tests.is_empty() { "true".to_string() } else { tests.join(" and ") };
        let detect_expr = &rhs[rhs.find("detect(").unwrap_or(0)..];
        if detect_expr.starts_with("detect(image,") && rhs.starts_with("detect(") {
            out.push(format!("{lhs} = filter(detect(image, \"object\"), o -> {cond}){index}"));
            out.push(format!("{lhs} = filter(segment(image), o -> {cond}){index}"));
        }
    }
    for (tool, q) in [("color(", "what color is it?"), ("shape(", "what shape is it?")] {
        if let Some(arg) = rhs.strip_prefix(tool).and_then(|r| r.strip_suffix(')')) {
            out.push(format!("{lhs} = vqa({arg}, \"{q}\")"));
        }
    }
    if let Some(arg) = rhs.strip_prefix("read_text(").and_then(|r| r.strip_suffix(')')) {
        out.push(format!("{lhs} = read_text(crop(image, {arg}, pad=3))"));
    }
    out
}

impl ProgrammaticTeacher {
    /// A teacher for one dataset question: E504 when it has no reference program, since this
    /// teacher can only follow one (it would otherwise write nothing).
    pub fn for_item(item: &crate::data::Item, seed: u64, cfg: Fallibility) -> Result<Self, Diagnostic> {
        match item.program.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Ok(ProgrammaticTeacher::new(p, &item.id, seed, cfg)),
            None => Err(Diagnostic::new(crate::Code::E504, format!("question {}: the programmatic teacher needs a reference program and it has none", item.id))
                .help("add a `program` field (a workflow that answers it), or use another --teacher")),
        }
    }

    /// A teacher for one question, from its reference workflow.
    pub fn new(reference: &str, question_id: &str, seed: u64, cfg: Fallibility) -> Self {
        let mut rng = SplitMix(seed ^ fxhash(question_id));
        let habits = habit_words(seed, cfg.habits);
        let mut plan = VecDeque::new();
        let p = |x: f64, rng: &mut SplitMix| (rng.below(1_000_000) as f64) < x * 1_000_000.0;
        for line in hoist_answer(reference) {
            if !line.starts_with("answer") && p(cfg.useless, &mut rng) {
                plan.push_back(Planned { first: "n_objects = count(detect(image, \"object\"))".into(), alternatives: VecDeque::new() });
            }
            let mut first = line.clone();
            let mut alts: VecDeque<String> = alternatives(&line).into();
            let habit = query_span(&line).and_then(|(open, close)| Some((open, close, habitual_query(&line[open..close], &habits)?)));
            if let Some((open, close, wrong)) = habit {
                first = format!("{}{wrong}{}", &line[..open], &line[close..]);
                alts.push_front(line.clone());
            } else if let Some((open, close)) = query_span(&line).filter(|_| p(cfg.wrong_query, &mut rng)) {
                first = format!("{}{}{}", &line[..open], wrong_query(&line[open..close], &mut rng), &line[close..]);
                alts.push_front(line.clone());
            } else if p(cfg.wrong_tool, &mut rng) {
                let swapped = if line.contains("color(") {
                    Some(line.replacen("color(", "shape(", 1))
                } else if line.contains("shape(") {
                    Some(line.replacen("shape(", "color(", 1))
                } else {
                    None
                };
                if let Some(s) = swapped {
                    first = s;
                    alts.push_front(line.clone());
                }
            }
            plan.push_back(Planned { first, alternatives: alts });
        }
        let typo_at = plan.iter().position(|_| p(cfg.typo, &mut rng));
        let mut t = ProgrammaticTeacher { plan, queue: VecDeque::new(), last_fix: None, current: None, rethinks: 0, cfg };
        if let Some(i) = typo_at {
            let step = &mut t.plan[i];
            if let Some(pos) = step.first.find('(') {
                // Drop the letter before `(`: `detect(` → `detec(`, an unknown tool.
                step.first.remove(pos - 1);
            }
        }
        t
    }

    fn send(&mut self, step: String, fix: Option<String>) -> Result<String, Diagnostic> {
        self.last_fix = fix;
        Ok(step)
    }
}

/// Repair a typo'd step: the planned step as it should have been.
fn repaired(step: &str) -> String {
    for tool in ["detect", "color", "shape", "read_text", "vqa", "filter", "count", "to_yesno", "exists", "nearest", "crop"] {
        let broken = &tool[..tool.len() - 1];
        let pat = format!("{broken}(");
        if let Some(pos) = step.find(&pat) {
            let before = step[..pos].chars().last();
            if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                return format!("{}{tool}({}", &step[..pos], &step[pos + pat.len()..]);
            }
        }
    }
    step.to_string()
}

impl Teacher for ProgrammaticTeacher {
    fn name(&self) -> String {
        "programmatic".into()
    }

    fn next_step(&mut self, input: &TeacherInput<'_>) -> Result<String, Diagnostic> {
        match input.history.last() {
            Some(Turn::Rejected { source, .. }) => {
                // A typo is fixed at once; any other rejection (e.g. a variable an earlier failed
                // step never bound) cannot be repaired by resending, so move on.
                let fix = self.last_fix.take().unwrap_or_else(|| repaired(source));
                if fix != *source {
                    return self.send(fix, None);
                }
            }
            Some(Turn::Discrepancy { message }) if self.rethinks < self.cfg.max_rethinks => {
                if let Some(alt) = self.current.as_mut().and_then(|c| c.alternatives.pop_front()) {
                    self.rethinks += 1;
                    self.queue.push_back(alt);
                    let text = message.replace('"', "'");
                    return self.send(format!("rethink \"{text}; try another way\""), None);
                }
            }
            _ => {}
        }
        if let Some(q) = self.queue.pop_front() {
            return self.send(q, None);
        }
        let Some(next) = self.plan.pop_front() else { return Ok(String::new()) };
        self.rethinks = 0;
        let first = next.first.clone();
        let fix = (repaired(&first) != first).then(|| repaired(&first));
        self.current = Some(next);
        self.send(first, fix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_perception_are_hoisted() {
        assert_eq!(hoist_answer("o = detect(image, \"red circle\")[0]\nanswer color(o)\n"), ["o = detect(image, \"red circle\")[0]", "result = color(o)", "answer result"]);
        assert_eq!(hoist_answer("x = detect(image, \"a\")\nanswer count(x)"), ["x = detect(image, \"a\")", "answer count(x)"]);
    }

    #[test]
    fn alternatives_reach_the_same_value_another_way() {
        let a = alternatives("o = detect(image, \"red circle\")[0]");
        assert_eq!(a[0], "o = filter(detect(image, \"object\"), o -> color(o) == \"red\" and shape(o) == \"circle\")[0]");
        assert_eq!(alternatives("result = color(o)"), ["result = vqa(o, \"what color is it?\")"]);
        assert_eq!(alternatives("result = read_text(o)"), ["result = read_text(crop(image, o, pad=3))"]);
        assert_eq!(repaired("x = detec(image, \"a\")"), "x = detect(image, \"a\")");
    }

    #[test]
    fn habits_are_a_fixed_share_of_words_and_always_applied() {
        let h = habit_words(7, 0.25);
        assert_eq!(h.iter().filter(|w| dwim_perception::palette::OBJECT_COLORS.contains(w)).count(), 2, "{h:?}");
        assert_eq!(h.iter().filter(|w| SHAPES.contains(w)).count(), 1);
        assert_eq!(h, habit_words(7, 0.25), "the same seed gives the same habits");
        assert_ne!(habit_words(7, 0.25), habit_words(8, 0.25));
        assert!(habit_words(7, 0.0).is_empty());
        // Every question asking for a habitual colour starts with the same mistake.
        let c = *h.iter().find(|w| COLORS.contains(w)).unwrap();
        let cfg = Fallibility { wrong_query: 0.0, wrong_tool: 0.0, typo: 0.0, useless: 0.0, ..Fallibility::default() };
        for id in ["q1", "q2", "q3"] {
            let program = format!("objs = detect(image, \"{c} object\")\nanswer count(objs)");
            let mut t = ProgrammaticTeacher::new(&program, id, 7, cfg.clone());
            let step = t.next_step(&TeacherInput { question: "", target: "", tools: "", history: &[] }).unwrap();
            assert_eq!(step, format!("objs = detect(image, \"{} object\")", confusable(c)));
        }
    }

    #[test]
    fn wrong_queries_stay_plausible() {
        for c in COLORS {
            assert_ne!(confusable(c), *c, "a mistaken colour must differ");
        }
        let mut rng = SplitMix(1);
        assert_eq!(wrong_query("red circle", &mut rng), "orange circle");
        assert_ne!(wrong_query("circles", &mut rng), "circles");
        assert!(wrong_query("object", &mut rng).ends_with(" object"));
    }
}
