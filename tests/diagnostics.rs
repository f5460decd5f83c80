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

/// Parse (brackets may hold a million items here, so the checker's own caps are what is tested:
/// under the default limits a bracket of over 100,000 items is E303 before the checker runs) and check.
fn check_text(text: &str, registry: &Registry) -> (SourceFile, dwim::diag::Findings) {
    let src = SourceFile::new("t.wf", text);
    let limits = Limits { max_list_len: 1_000_000, ..Limits::default() };
    let p = dwim::syntax::parse_program(&src, &limits).unwrap_or_else(|d| panic!("{}", d.render(Some(&src))));
    let diags = check_program(&p, registry, &input_scope(), false);
    (src, diags)
}

#[test]
fn newlines_are_whitespace_anywhere_inside_brackets() {
    for text in [
        "x = (1\n + 2)",
        "x = (1 +\n 2)",
        "x = (if true\n then 1\n else 2)",
        "x = filter(segment(image), p ->\n area(p) > 3)",
        "x = filter(segment(image), p\n -> area(p)\n > 3\n)",
        "x = [1,\n 2]",
        "x = [1\n , 2\n]",
        "x = crop(image\n , box(image, 0, 0, 1, 1)\n , pad\n =\n 2\n)",
        "x = (segment(image)\n [0]\n .\n width)",
        "x = (not\n true\n and\n -\n 1 < 2)",
    ] {
        let (_, diags) = check_text(text, &Registry::builtin());
        assert!(diags.is_empty(), "{text:?}: {diags:?}");
    }
    // Outside brackets a newline still ends a step.
    let src = SourceFile::new("t.wf", "x = 1\n-2");
    assert_eq!(dwim::syntax::parse_program(&src, &Limits::default()).unwrap().steps.len(), 2);
    for text in ["x = 1 +\n2", "x = if true\nthen 1 else 2", "x = filter(segment(image), p -> area(p)) ==\n1"] {
        let src = SourceFile::new("t.wf", text);
        assert!(dwim::syntax::parse_program(&src, &Limits::default()).is_err(), "{text:?} parsed");
    }
}

#[test]
fn an_unclosed_bracket_is_named_at_its_opener() {
    let text = "boxes = segment(image)\nn = len(boxes\nanswer n\n";
    let src = SourceFile::new("t.wf", text);
    let d = dwim::syntax::parse_program(&src, &Limits::default()).unwrap_err();
    assert_eq!(d.code, dwim::Code::E001);
    assert_eq!(src.line_col(d.span.unwrap().start), (3, 1));
    assert!(d.message.contains("`(` at 2:8 is never closed"), "{}", d.message);
    let json = diagnostics_json(&[d.clone()], Some(&src));
    let rel = &json["diagnostics"][0]["related"][0];
    assert_eq!((rel["line"].as_u64(), rel["col"].as_u64()), (Some(2), Some(8)), "{json:#}");
    assert_eq!(rel["label"], "this `(` is never closed");
    let human = d.render(Some(&src));
    assert!(human.contains("this `(` is never closed") && human.contains("here"), "{human}");
    assert!(human.contains(" 2 │ n = len(boxes") && human.contains(" 3 │ answer n"), "{human}");
    // A bracket that is closed later is not blamed.
    let src = SourceFile::new("t.wf", "x = f(1 2)\n");
    let d = dwim::syntax::parse_program(&src, &Limits::default()).unwrap_err();
    assert!(d.related.is_empty(), "{d:?}");
    let src = SourceFile::new("t.wf", "x = [1, (2\n");
    let d = dwim::syntax::parse_program(&src, &Limits::default()).unwrap_err();
    assert_eq!(d.related.iter().map(|r| r.span.start).collect::<Vec<_>>(), [8], "{d:?}");
}

#[test]
fn equality_that_can_never_hold_is_an_error() {
    for (text, types) in [
        ("x = lower(\"a\") + upper(\"b\") == 1", "text and number"),
        ("x = exists(segment(image)) == \"yes\"", "bool and text"),
        ("x = len(segment(image)) != \"2\"", "number and text"),
        ("x = segment(image) == 3", "list[region] and number"),
    ] {
        let (_, diags) = check_text(text, &Registry::builtin());
        assert_eq!(diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["E106"], "{text}: {diags:?}");
        assert!(diags[0].message.contains(types), "{text}: {}", diags[0].message);
    }
    for text in ["x = 1 == 2", "x = color(image) == \"red\"", "x = first(segment(image)) == none", "x = [] == segment(image)",
        "x = filter(segment(image), o -> o.label == \"cat\")", "x = crop(image, box(image, 0, 0, 1, 1)) == first(segment(image))"] {
        let (_, diags) = check_text(text, &Registry::builtin());
        assert!(diags.is_empty(), "{text}: {diags:?}");
    }
}

#[test]
fn a_lambda_result_is_checked_against_what_the_tool_needs() {
    let reg = Registry::builtin();
    for text in [
        "x = filter(segment(image), o -> color(o))",
        "x = filter(segment(image), o -> o.width)",
        "x = sort_by(segment(image), o -> o.width > 3)",
        "x = max_by(segment(image), o -> segment(o))",
        "x = min_by(segment(image), o -> exists(segment(o)))",
    ] {
        let (_, diags) = check_text(text, &reg);
        assert_eq!(diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["E106"], "{text}: {diags:?}");
        assert!(diags[0].message.contains("must return"), "{}", diags[0].message);
    }
    for text in ["x = filter(segment(image), o -> color(o) == \"red\")", "x = sort_by(segment(image), o -> o.cx, descending=true)",
        "x = max_by(segment(image), o -> color(o))", "x = map(segment(image), o -> color(o))", "x = filter([], o -> o)"] {
        let (_, diags) = check_text(text, &reg);
        assert!(diags.is_empty(), "{text}: {diags:?}");
    }
}

#[test]
fn a_hundred_thousand_bad_arguments_are_one_diagnostic_and_fast() {
    let text = format!("x = crop(image, box(image, 0, 0, 1, 1){})\nanswer x\n", ", 1".repeat(100_000));
    let t = std::time::Instant::now();
    let (src, diags) = check_text(&text, &Registry::builtin());
    let human: String = diags.iter().map(|d| d.render(Some(&src))).collect();
    let json = diagnostics_json(&diags, Some(&src)).to_string();
    let took = t.elapsed();
    assert_eq!(diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["E105"], "{diags:?}");
    assert!(diags[0].message.contains("got 100002"), "{}", diags[0].message);
    assert!(human.len() < 4_000 && json.len() < 4_000, "{} / {} bytes", human.len(), json.len());
    assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
    // One argument a line: the rendering shows where they start, not 100,000 lines.
    let text = format!("x = crop(image, box(image, 0, 0, 1, 1){})\nanswer x\n", ",\n 1".repeat(100_000));
    let (src, diags) = check_text(&text, &Registry::builtin());
    let human = diags[0].render(Some(&src));
    assert!(human.len() < 2_000 && human.contains("99999 extra arguments"), "{human}");
}

#[test]
fn diagnostics_are_capped_with_a_count_of_the_rest() {
    // 100,000 steps, each an error, and a scope of 100,000 names for suggestions to search.
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("v{i} = u{i}\n"));
    }
    let t = std::time::Instant::now();
    let (src, diags) = check_text(&text, &Registry::builtin());
    let json = diagnostics_json(&diags, Some(&src));
    let human: String = diags.iter().map(|d| d.render(Some(&src))).collect();
    let took = t.elapsed();
    assert_eq!((diags.len(), diags.more(), diags.total()), (50, 99_950, 100_000));
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 50);
    assert_eq!(json["omitted"], 99_950);
    assert!(human.len() < 50 * 1_000, "{} bytes", human.len());
    assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    // A plain slice is capped where it is reported.
    let many = vec![diags[0].clone(); 120];
    let json = diagnostics_json(&many, Some(&src));
    assert_eq!((json["diagnostics"].as_array().unwrap().len(), json["omitted"].as_u64()), (50, Some(70)));
}

#[test]
fn a_megabyte_line_of_errors_renders_in_small_pieces() {
    let text = format!("answer [{}]\n", "u, ".repeat(350_000));
    let (src, diags) = check_text(&text, &Registry::builtin());
    assert_eq!((diags.len(), diags.total()), (50, 350_000));
    let json = diagnostics_json(&diags, Some(&src));
    for d in json["diagnostics"].as_array().unwrap() {
        assert!(d["source_line"].as_str().unwrap().len() < 400, "{}", d["source_line"]);
    }
    let human: String = diags.iter().map(|d| d.render(Some(&src))).collect();
    assert!(human.len() < 50 * 1_500, "{} bytes", human.len());
    // A short line next to a megabyte one, and a span that runs into one, render without it.
    let big = "1, ".repeat(350_000);
    for text in [format!("x = [{big}]\ny = u\n"), format!("x = crop(image, box(image, 0, 0, 1, 1), 1,\n{big})\n")] {
        let (src, diags) = check_text(&text, &Registry::builtin());
        assert_eq!(diags.len(), 1, "{diags:?}");
        let human = diags[0].render(Some(&src));
        assert!(human.len() < 2_000, "{} bytes:\n{}", human.len(), &human[..2_000.min(human.len())]);
    }
}

#[test]
fn types_nest_boundedly_in_the_checker() {
    let text = format!("a = [1]\n{}answer a\n", "a = [a]\n".repeat(100_000));
    let (_, diags) = check_text(&text, &Registry::builtin());
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn dwim_check_prints_at_most_the_cap_and_the_rest_as_a_count() {
    let dir = std::env::temp_dir().join(format!("dwim-diag-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("storm.wf");
    std::fs::write(&path, format!("answer [{}]\n", "u, ".repeat(1_000))).unwrap();
    let run = |fmt: &str| std::process::Command::new(env!("CARGO_BIN_EXE_dwim")).args(["check", "--format", fmt]).arg(&path).output().unwrap();
    let human = run("human");
    let err = String::from_utf8_lossy(&human.stderr);
    assert_eq!(human.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("E107 undefined variable").count(), 50, "{err}");
    assert!(err.contains("… and 950 more errors not shown") && err.contains("1000 errors"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&run("json").stdout).unwrap();
    assert_eq!((json["diagnostics"].as_array().unwrap().len(), json["omitted"].as_u64()), (50, Some(950)));
    std::fs::remove_dir_all(&dir).ok();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Whatever the input, every diagnostic renders (human and JSON) without a panic, in bounded size.
    #[test]
    fn every_diagnostic_renders_boundedly(src in proptest::prop_oneof![common::gen::token_soup(), common::gen::program()]) {
        let (file, diags) = match parse_bytes("p.wf", src.as_bytes(), &Limits::default()) {
            Err((file, d)) => (file, vec![d]),
            Ok((file, p)) => (Some(file), check_program(&p, &Registry::builtin(), &input_scope(), false).into_vec()),
        };
        for d in &diags {
            let human = d.render(file.as_ref());
            proptest::prop_assert!(human.len() < 8_000, "{human}");
            let json = d.to_json(file.as_ref()).to_string();
            proptest::prop_assert!(json.len() < 8_000, "{json}");
        }
    }
}

#[test]
fn suggestions_are_bounded_by_the_cap_and_the_name() {
    // 100,000 unknown tools: a suggestion each would measure every name against every tool.
    let text: String = (0..100_000).map(|i| format!("v{i} = u{i}(1)\n")).collect();
    let t = std::time::Instant::now();
    let (_, diags) = check_text(&text, &Registry::builtin());
    assert_eq!((diags.len(), diags.total()), (50, 100_000));
    // A megabyte-long unknown name is not measured against anything.
    let long = "q".repeat(1 << 20);
    let (_, diags) = check_text(&format!("x = {long}(1)\ny = {long}\n"), &Registry::builtin());
    assert_eq!(diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["E101", "E107"]);
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "took {:?}", t.elapsed());
    // Short typos still get one.
    let (_, diags) = check_text("objects = segment(image)\nx = cuont(objets)\n", &Registry::builtin());
    assert!(diags.iter().all(|d| d.help.as_deref().is_some_and(|h| h.contains("did you mean"))), "{diags:?}");
}
