//! Every example in programs/ runs on the scene its header describes and gives the expected answer.

mod common;

use common::*;
use dwim::check::{check_program, input_scope};
use dwim::syntax::{parse_program, SourceFile};
use dwim::value::{BBox, Image};
use dwim::{Limits, Registry, Session, Value};

fn run(path: &std::path::Path) -> (Option<Value>, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let objects = scene_from_header(&text).expect("program header has `# scene:`");
    let img = Image::from_rgb(dwim::world::demo::draw_objects(320, 240, &objects));
    let src = SourceFile::new(path.display().to_string(), text);
    let program = parse_program(&src, &Limits::default()).unwrap_or_else(|d| panic!("{}", d.render(Some(&src))));
    let registry = Registry::builtin();
    let diags = check_program(&program, &registry, &input_scope(), true);
    assert!(diags.is_empty(), "{}", diags.iter().map(|d| d.render(Some(&src))).collect::<String>());
    let mut s = Session::new(&registry, Limits::strict());
    s.bind("image", Value::Image(img));
    let outcomes = s.run_program(&src, &program.steps);
    let log = outcomes.iter().map(|o| format!("{}\n  -> {}\n", o.record.source, o.record.observation)).collect();
    (s.answer().cloned(), log)
}

fn matches(answer: &Value, expect: &str) -> bool {
    if let Some(b) = expect.strip_prefix("box ") {
        let n: Vec<f64> = b.split_whitespace().map(|v| v.parse().unwrap()).collect();
        let want = BBox { x0: n[0], y0: n[1], x1: n[2], y1: n[3] };
        return matches!(answer, Value::Region(r) if r.bbox.iou(&want) > 0.8);
    }
    dwim::tools::builtin::normalize(&dwim::tools::builtin::plain(answer)) == dwim::tools::builtin::normalize(expect)
}

#[test]
fn every_example_program_gets_its_expected_answer() {
    let files = files(&root().join("programs"), "wf");
    assert!(files.len() >= 10, "expected at least 10 example programs, found {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let expect = expect_from_header(&text).expect("program header has `# expect:`");
        let (answer, log) = run(f);
        match answer {
            Some(a) if matches(&a, &expect) => {}
            other => failures.push(format!("{}: expected {expect}, got {:?}\n{log}", f.display(), other.map(|v| v.describe()))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_wrong_expectation_is_detected() {
    // The harness must be able to fail: the count program does not answer 4.
    let (answer, _) = run(&root().join("programs/count_red.wf"));
    assert!(!matches(&answer.unwrap(), "4"));
}
