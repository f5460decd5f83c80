//! The fast parser and the pest grammar accept the same programs and build the same ASTs,
//! spans included. (The fast path may say "not sure"; then pest must reject the program.)

mod common;

use common::gen::{program, token_soup};
use common::*;
use dwim::syntax::{parse_fast, parse_program, parse_with_pest, prescan::prescan, SourceFile};
use dwim::Limits;
use proptest::prelude::*;

fn agree(text: &str) {
    let limits = Limits::default();
    if prescan(text, &limits).is_err() {
        return;
    }
    let src = SourceFile::new("t.wf", text);
    let reference = parse_with_pest(&src, &limits);
    let fast = parse_fast(text, limits.max_depth);
    match (reference, fast) {
        (Ok(p), Some(q)) => {
            let (a, b) = (serde_json::to_string(&p).unwrap(), serde_json::to_string(&q).unwrap());
            assert!(a == b, "ASTs differ for {text:?}\npest: {}\nfast: {}", p.sexpr(), q.sexpr());
        }
        (Ok(p), None) => panic!("fast parser refused a valid program {text:?}\n{}", p.sexpr()),
        (Err(d), Some(q)) => panic!("fast parser accepted {text:?} that pest rejects ({d})\n{}", q.sexpr()),
        (Err(d), None) => {
            // pest restarts at the statement the fast path stopped at: the same error, same place.
            let e = parse_program(&src, &limits).expect_err("parse_program accepted what pest rejects");
            assert!(d == e, "errors differ for {text:?}\nwhole: {d:?}\nfrom the stop: {e:?}");
        }
    }
}

#[test]
fn every_fixture_and_example_parses_identically() {
    let mut n = 0;
    for dir in ["programs", "tests/fixtures/valid", "tests/fixtures/invalid"] {
        for f in files(&root().join(dir), "wf") {
            if let Ok(text) = std::fs::read_to_string(&f) {
                agree(&text);
                n += 1;
            }
        }
    }
    assert!(n > 30);
}

#[test]
fn tricky_edges_parse_identically() {
    for t in [
        "", "\n\n;;", "x = 1;y=2", "1.x", "1.5.x", "1e5", "1e", "1ex", "2E+3", "x-1", "x->1", "x - > 1", "x = = 1", "x ==1",
        "a = not not b", "a = - -3", "f(a=1, b)", "f(a = = 1)", "f(\n a,\n b,\n)", "f(,)", "[,]", "[1,]", "[\n]", "(\n1\n)",
        "(1 +\n2)", "if a then b else c", "if a\nthen b else c", "think \"x\"", "think x", "think \"a\\\nb\"",
        "answer", "answer 1 2", "notx = 1", "android = 1", "x = a.b.c[0][1].d", "f (x)", "f\n(x)", "# only a comment",
        "x = 1 # c\n# d\ny = 2", "x = \"unterminated", "x = \"a\\u{41}\"", "x = \"\\q\"", "x = \"é\"", "é = 1", "x = 1e999",
        "x = s -> t -> s", "a < b < c", "a == b != c", "-a.b", "not a.b == c", "x = [1, [2, [3]]]", "f(x -> x, y=2,)",
        "x = true and false or none", "truex = 1", "x = 3 % -2", "x = a[\n0\n]", "x.\ny", "answer(1)", "x=1;;;y=2;",
        "f(a=1)(2)", "x = 1 !", "x = !1", "x = 1 != 2", "x = 'a'", "x = {}", "x\t=\t1\r\n",
        // Newlines anywhere inside brackets, and nowhere else.
        "(1\n+ 2)", "(1\n+\n2\n)", "(if a\nthen b\nelse c)", "if a\nthen b\nelse c", "(if\na then\nb else\nc)",
        "filter(xs, p ->\n p)", "filter(xs, p\n-> p)", "f(a\n=\n1)", "f(a\n==\n1)", "[1,\n 2]", "[1\n, 2\n]", "f(x\n)",
        "f(\nx\n,\n)", "(x\n.\ny)", "(x\n[0])", "(x\n-1)", "[x\n-1]", "(not\na)", "(-\n1)", "[f\n(1)]", "(a\n# c\n+ b)",
        "x = (1\n", "n = len(boxes\nanswer n", "x = [1, (2\n", "x = (1;\n2)", "x = 1\n+ 2", "x = 1 +\n2", "(x)\n(y)",
        "x = a\n.b", "x = [1]\n[0]", "f(x ->\n)", "(\n)", "[\n,\n]", "(1\r\n+ 2)", "(x\n->\ny\n->\nz)",
        // Errors after valid statements (pest starts at the statement the fast path stopped at).
        "x = 1\ny = (2\nanswer y", "x = 1\ny = \"\\q\"", "x = 1\ny = 1e999", "x = \"a\"\n# \"\ny = \"b", "a = 1; b = ; c",
        "x = [1]\ny = x[0\n", "x = 1\nthink y", "x = 1\n\n  answer answer",
    ] {
        agree(t);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_programs_parse_identically(src in program()) {
        agree(&src);
    }

    #[test]
    fn token_soup_parses_identically(src in token_soup()) {
        agree(&src);
    }
}

/// The generator is worth its cases: most programs it makes are valid, and many of those have
/// newlines inside brackets (so the differential test exercises multi-line expressions).
#[test]
fn generated_programs_are_mostly_valid_and_often_multiline() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(Config::default(), proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha));
    let (mut valid, mut multiline) = (0, 0);
    for _ in 0..300 {
        let text = program().new_tree(&mut runner).unwrap().current();
        agree(&text);
        if let Some(p) = parse_fast(&text, Limits::default().max_depth) {
            valid += 1;
            multiline += usize::from(p.steps.iter().any(|s| text[s.span.start..s.span.end].contains('\n')));
        }
    }
    assert!(valid > 200 && multiline > 50, "{valid} valid, {multiline} with a newline inside a step");
}

/// A syntax error after 20,000 valid steps: pest parses only from the step the fast path
/// stopped at, and reports what it reports on the whole text.
#[test]
fn an_error_after_many_steps_is_reported_from_where_the_fast_path_stopped() {
    let limits = Limits::default();
    for tail in ["answer (x\n", "y = \"\\q\"\n", "z = 1 +\n", "answer x)\n"] {
        let text = format!("{}{tail}", "x = [1, 2]\n".repeat(20_000));
        let src = SourceFile::new("t.wf", text.as_str());
        let fast = parse_program(&src, &limits).unwrap_err();
        assert!(src.line_col(fast.span.unwrap().start).0 > 20_000, "{fast:?}");
        assert_eq!(fast, parse_with_pest(&src, &limits).unwrap_err(), "{tail:?}");
    }
}
