//! Hostile programs end in a coded error, never a panic, a stack overflow or a hang.
//! Test threads have 2 MiB stacks, so an unbounded recursion would crash this binary.

use dwim::check::{check_program, input_scope};
use dwim::syntax::{parse_bytes, SourceFile};
use dwim::value::Image;
use dwim::{Code, Limits, Registry, Session, Value};
use std::time::{Duration, Instant};

/// Parse, check and run; return the first diagnostic code, or None if the program succeeded.
fn outcome(src: &[u8], limits: Limits) -> Option<Code> {
    let t0 = Instant::now();
    let registry = Registry::builtin();
    let code = match parse_bytes("hostile.wf", src, &limits) {
        Err((_, d)) => Some(d.code),
        Ok((src, program)) => {
            let diags = check_program(&program, &registry, &input_scope(), false);
            if let Some(d) = diags.first() {
                Some(d.code)
            } else {
                let mut s = Session::new(&registry, limits);
                s.bind("image", Value::Image(Image::from_rgb(image::RgbImage::new(64, 48))));
                let out = s.run_program(&src, &program.steps);
                out.iter().find_map(|o| o.error().map(|d| d.code))
            }
        }
    };
    assert!(t0.elapsed() < Duration::from_secs(20), "took {:?}", t0.elapsed());
    code
}

fn repeat(s: &str, n: usize) -> String {
    s.repeat(n)
}

#[test]
fn deep_parentheses() {
    let p = format!("answer {}1{}", repeat("(", 100_000), repeat(")", 100_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
}

#[test]
fn deep_lists_and_calls() {
    let p = format!("answer {}1{}", repeat("[", 50_000), repeat("]", 50_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
    let p = format!("answer {}1{}", repeat("abs(", 50_000), repeat(")", 50_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
}

#[test]
fn long_prefix_chains() {
    for op in ["not ", "-", "- ", "if true then "] {
        let tail = if op.starts_with("if") { format!("1{}", repeat(" else 2", 100_000)) } else { "1".into() };
        let p = format!("answer {}{tail}", repeat(op, 100_000));
        assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302), "{op:?}");
    }
    let p = format!("answer {}1", repeat("x -> ", 100_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
}

#[test]
fn long_infix_and_postfix_chains_are_bounded_by_tree_depth() {
    let p = format!("answer 1{}", repeat(" + 1", 200_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
    let p = format!("x = [1]\nanswer x{}", repeat("[0]", 200_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
    let p = format!("r = box(image, 0, 0, 5, 5)\nanswer r{}", repeat(".image", 200_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
    // A chain as long as the default source limit allows (8 MiB): the fast parser's own E302,
    // with no second (pest) parse of the whole text, which took 2.5 GB for this one.
    let n = (Limits::default().max_source_bytes - 64) / 3;
    let p = format!("x = [1]\nanswer x{}", repeat("[0]", n));
    let t0 = Instant::now();
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E302));
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[test]
fn ten_megabyte_literal() {
    let p = format!("answer \"{}\"", repeat("a", 10 << 20));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E307));
    let p = format!("answer \"{}\"", repeat("a", 2 << 20));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E304));
}

#[test]
fn a_million_list_items() {
    let p = format!("answer [{}]", repeat("0,", 1_000_000));
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E303));
}

#[test]
fn bad_utf8_and_binary_garbage() {
    assert_eq!(outcome(b"answer \"\xff\xfe\"", Limits::default()), Some(Code::E002));
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    assert!(matches!(outcome(&garbage, Limits::default()), Some(Code::E002 | Code::E001)));
}

#[test]
fn unknown_tools_are_rejected_before_running() {
    assert_eq!(outcome(b"answer os_system(\"rm -rf /\")", Limits::default()), Some(Code::E101));
    assert_eq!(outcome(b"answer __import__(\"os\")", Limits::default()), Some(Code::E101));
}

#[test]
fn exponential_work_hits_the_evaluation_budget() {
    let p = format!("a = [{}]\nanswer map(a, x -> count(filter(a, y -> y == x)))", repeat("1,", 5_000));
    assert_eq!(outcome(p.as_bytes(), Limits::strict()), Some(Code::E308));
}

#[test]
fn doubling_text_hits_the_text_limit() {
    let mut p = String::from("t = \"0123456789abcdef\"\n");
    for _ in 0..40 {
        p.push_str("t = t + t\n");
    }
    p.push_str("answer len(t)");
    assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(Code::E304));
}

#[test]
fn step_tool_call_and_wall_limits() {
    let three = b"a = 1\nb = 2\nanswer a + b";
    assert_eq!(outcome(three, Limits { max_steps: 2, ..Limits::default() }), Some(Code::E301));
    let calls = format!("a = [{}]\nanswer map(a, x -> abs(x))", repeat("1,", 100));
    assert_eq!(outcome(calls.as_bytes(), Limits { max_tool_calls: 10, ..Limits::default() }), Some(Code::E305));
    let slow = format!("a = [{}]\nanswer map(a, x -> x + 1)", repeat("1,", 5_000));
    assert_eq!(outcome(slow.as_bytes(), Limits { max_wall: Duration::ZERO, ..Limits::default() }), Some(Code::E306));
}

#[test]
fn runtime_errors_are_typed() {
    let cases: &[(&str, Code)] = &[
        ("answer [1, 2][5]", Code::E202),
        ("answer first([])", Code::E202),
        ("answer 1 / 0", Code::E203),
        ("answer 5 % 0", Code::E203),
        ("answer max([])", Code::E205),
        ("answer number(\"abc\")", Code::E205),
        ("answer box(image, 10, 10, 5, 5)", Code::E205),
        ("answer crop(image, box(image, 0, 0, 5, 5), pad=-1)", Code::E205),
        ("x = if 1 > 0 then 1 else \"a\"\nanswer x + \"b\"", Code::E201),
        // The checker knows filter needs a bool predicate (E106); at run time a number is E201.
        ("answer filter([1, 2], x -> x)", Code::E106),
        ("answer filter([1, 2], x -> [true, x][1])", Code::E201),
        ("answer {}", Code::E001),
    ];
    for (p, want) in cases {
        assert_eq!(outcome(p.as_bytes(), Limits::default()), Some(*want), "{p}");
    }
}

#[test]
fn source_file_line_col_is_safe_past_the_end() {
    let f = SourceFile::new("x", "ab");
    assert_eq!(f.line_col(1000), (1, 3));
}
