//! Worked examples for a few-shot policy: reference programs run for real with the run's tool set,
//! so every example shows the tools' actual results. They come from a dataset's reference
//! programs or from a folder of `.wf` files (`programs/`: a `# question` first line and a
//! `# scene:` header the example's image is drawn from), never from the question being answered.

use crate::diag::{Code, Diagnostic};
use crate::value::Image;
use crate::world::demo::{draw_objects, Object};
use crate::{Limits, Registry, Session, Value};
use std::path::Path;

/// One worked example as text: `Question: …`, then `Step k: …` / `Result k: …` lines.
/// `None` when the program does not run cleanly to an answer with this tool set (an example that
/// fails would teach failing).
pub fn worked_example(question: &str, program: &str, image: Image, tools: &Registry) -> Option<String> {
    let mut session = Session::new(tools, Limits::strict()).keep_records();
    session.bind("image", Value::Image(image));
    let mut text = format!("Question: {question}\n");
    let mut k = 0;
    for line in program.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let outcomes = session.feed(line).ok()?;
        for o in outcomes {
            if o.record.error.is_some() {
                return None;
            }
            k += 1;
            text.push_str(&format!("Step {k}: {}\n", o.record.source));
            if o.record.kind != "answer" {
                text.push_str(&format!("Result {k}: {}\n", o.record.observation));
            }
        }
    }
    session.answer().is_some().then_some(text)
}

/// A `.wf` file's question (its first comment line) and scene (`# scene: red circle 10 10 50 50; …`).
fn program_header(src: &str) -> Option<(String, Vec<Object>)> {
    let question = src.lines().next()?.strip_prefix('#')?.trim().to_string();
    let scene = src.lines().find_map(|l| l.strip_prefix("# scene:"))?;
    let mut objects = Vec::new();
    for o in scene.split(';') {
        let w: Vec<&str> = o.split_whitespace().collect();
        if w.len() != 6 {
            return None;
        }
        let n: Vec<u32> = w[2..6].iter().map(|v| v.parse().ok()).collect::<Option<_>>()?;
        objects.push(Object::new(w[1], w[0], [n[0], n[1], n[2], n[3]]));
    }
    Some((question, objects))
}

/// Up to `k` worked examples from the `.wf` files in `dir`, in name order, skipping any whose
/// question is `exclude` and any that do not run with `tools`.
pub fn from_programs(dir: &Path, k: usize, tools: &Registry, exclude: &str) -> Result<Vec<String>, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| Diagnostic::new(Code::E501, format!("{}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "wf")).collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        if out.len() >= k {
            break;
        }
        let src = crate::io::read_text(&p, Limits::strict().max_source_bytes as u64)?;
        let Some((question, objects)) = program_header(&src) else { continue };
        if question.trim().eq_ignore_ascii_case(exclude.trim()) {
            continue;
        }
        let image = Image::from_rgb(draw_objects(320, 240, &objects));
        if let Some(ex) = worked_example(&question, &src, image, tools) {
            out.push(ex);
        }
    }
    Ok(out)
}

/// Up to `k` worked examples from a dataset's reference programs, each run on its own images:
/// questions of the `train` split first, then the others, in dataset order; questions without a
/// program, or whose program does not run cleanly with `tools`, are skipped.
pub fn from_dataset(ds: &crate::data::Dataset, k: usize, tools: &Registry) -> Vec<String> {
    let mut out = Vec::new();
    let train = ds.questions.iter().filter(|q| q.split == "train");
    let rest = ds.questions.iter().filter(|q| q.split != "train");
    for item in train.chain(rest) {
        if out.len() >= k {
            break;
        }
        let Some(program) = item.program.as_deref() else { continue };
        let Ok(images) = ds.item_images(item) else { continue };
        let Some((_, image)) = images.into_iter().next() else { continue };
        let program = super::super::pipeline::teacher::programmatic::hoist_answer(program).join("\n");
        if let Some(ex) = worked_example(&item.question, &program, image, tools) {
            out.push(ex);
        }
    }
    out
}

/// The question a worked example answers (its first line).
pub fn question_of(example: &str) -> &str {
    example.lines().next().and_then(|l| l.strip_prefix("Question: ")).unwrap_or("")
}

/// The examples as one prompt section: the first `k` whose question is not `asked` (the question
/// being answered never shows its own reference program).
pub fn render_for(examples: &[String], k: usize, asked: &str) -> String {
    let chosen = examples.iter().filter(|e| {
        let q = question_of(e);
        !(q.eq_ignore_ascii_case(asked) || asked.starts_with(&format!("{q} (images:")))
    });
    chosen.take(k).enumerate().map(|(i, e)| format!("Example {}.\n{e}", i + 1)).collect::<Vec<_>>().join("\n")
}
