//! Golden files for the parser and checker: tests/fixtures/{valid,invalid}/*.wf.
//! `UPDATE_GOLDEN=1 cargo test --test diagnostics` regenerates tests/golden/.

mod common;

use common::*;
use dwim::check::{check_program, input_scope};
use dwim::diag::diagnostics_json;
use dwim::syntax::{parse_bytes, Expr, Program, SourceFile, Span};
use dwim::{Limits, Registry};

fn diagnose(path: &std::path::Path) -> (Option<SourceFile>, Vec<dwim::Diagnostic>, Option<Program>) {
    let bytes = std::fs::read(path).unwrap();
    let name = format!("fixtures/{}", path.strip_prefix(root().join("tests/fixtures")).unwrap().display());
    match parse_bytes(&name, &bytes, &Limits::default()) {
        Err((src, d)) => (src, vec![d], None),
        Ok((src, p)) => {
            let diags = check_program(&p, &Registry::builtin(), &input_scope(), true);
            (Some(src), diags.into_vec(), Some(p))
        }
    }
}

fn span_ok(src: &SourceFile, s: Span) -> bool {
    s.start <= s.end && s.end <= src.text.len() && src.text.is_char_boundary(s.start) && src.text.is_char_boundary(s.end)
}

/// Every node's span is in bounds, non-empty, and inside its parent's.
fn check_spans(src: &SourceFile, e: &Expr, parent: Span) {
    assert!(span_ok(src, e.span) && !e.span.is_empty(), "bad span {:?} for {}", e.span, e.sexpr());
    assert!(parent.start <= e.span.start && e.span.end <= parent.end, "span {:?} of {} escapes its parent {:?}", e.span, e.sexpr(), parent);
    let mut children = Vec::new();
    e.walk(&mut |c| children.push(c));
    for c in children.into_iter().skip(1) {
        assert!(e.span.start <= c.span.start && c.span.end <= e.span.end, "child {} outside {}", c.sexpr(), e.sexpr());
    }
}

#[test]
fn valid_programs_parse_check_and_match_their_ast() {
    let files = files(&root().join("tests/fixtures/valid"), "wf");
    assert!(!files.is_empty());
    for f in files {
        let (src, diags, program) = diagnose(&f);
        let src = src.unwrap();
        assert!(diags.is_empty(), "{}: {}", f.display(), diags.iter().map(|d| d.render(Some(&src))).collect::<String>());
        let program = program.unwrap();
        for s in &program.steps {
            assert!(span_ok(&src, s.span));
            if let Some(e) = s.expr() {
                check_spans(&src, e, s.span);
            }
        }
        let stem = f.file_stem().unwrap().to_str().unwrap();
        golden(&root().join(format!("tests/golden/valid/{stem}.ast")), &program.sexpr());
    }
}

#[test]
fn invalid_programs_report_their_code_span_and_help() {
    let files = files(&root().join("tests/fixtures/invalid"), "wf");
    assert!(files.len() >= 15);
    for f in files {
        let stem = f.file_stem().unwrap().to_str().unwrap().to_string();
        let (src, diags, _) = diagnose(&f);
        assert!(!diags.is_empty(), "{stem}: expected diagnostics, got none");
        let want = &stem[..4];
        assert_eq!(diags[0].code.as_str(), want, "{stem}: first diagnostic is {}", diags[0].one_line(src.as_ref()));
        for d in &diags {
            if let (Some(src), Some(s)) = (&src, d.span) {
                assert!(span_ok(src, s), "{stem}: span {s:?} out of bounds");
            }
        }
        let human: String = diags.iter().map(|d| d.render(src.as_ref()) + "\n").collect();
        golden(&root().join(format!("tests/golden/invalid/{stem}.txt")), &human);
        let json = serde_json::to_string_pretty(&diagnostics_json(&diags, src.as_ref())).unwrap() + "\n";
        golden(&root().join(format!("tests/golden/invalid/{stem}.json")), &json);
    }
}

#[test]
fn the_checker_reports_every_problem_at_once() {
    let (_, diags, _) = diagnose(&root().join("tests/fixtures/invalid/E101_many_errors_at_once.wf"));
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E101", "E105", "E106", "E107"], "{diags:#?}");
}
