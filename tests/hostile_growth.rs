//! Shared-value growth: short programs whose values share sub-values (`a = [a, a]`), so every step is
//! small while the value's tree is exponential. Every step must end within its limits — time and
//! peak memory measured here — with a coded error at worst: never a hang, a panic or an internal
//! error. The property test builds random programs from the growth operations.

use dwim::check::{check_program, input_scope};
use dwim::syntax::parse_bytes;
use dwim::value::Image;
use dwim::{Code, Limits, Registry, Session, Value};
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, so a test can bound what a program made the host allocate.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak memory is process-wide: tests that measure it run one at a time.
static MEASURE: Mutex<()> = Mutex::new(());

/// What one run did: the first error's code, wall time, and the peak heap growth over the start.
struct Outcome {
    code: Option<Code>,
    wall: Duration,
    peak: usize,
    trace_bytes: usize,
}

fn run(src: &str, limits: Limits) -> Outcome {
    let _g = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let registry = Registry::builtin();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t0 = Instant::now();
    let mut trace_bytes = 0;
    let code = match parse_bytes("growth.wf", src.as_bytes(), &limits) {
        Err((_, d)) => Some(d.code),
        Ok((src, program)) => {
            let diags = check_program(&program, &registry, &input_scope(), false);
            if let Some(d) = diags.first() {
                Some(d.code)
            } else {
                let mut s = Session::new(&registry, limits.clone());
                s.bind("image", Value::Image(Image::from_rgb(image::RgbImage::new(32, 24))));
                let out = s.run_program(&src, &program.steps);
                for o in &out {
                    // What the trace writer would write, and the observation a model would see.
                    trace_bytes += serde_json::to_string(&o.record).map(|t| t.len()).unwrap_or(0);
                }
                out.iter().find_map(|o| o.error().map(|d| d.code))
            }
        }
    };
    let wall = t0.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    Outcome { code, wall, peak, trace_bytes }
}

/// Strict limits with a short wall limit, so a test that overruns it fails fast.
fn strict(wall_ms: u64) -> Limits {
    Limits { max_wall: Duration::from_millis(wall_ms), ..Limits::strict() }
}

fn assert_bounded(name: &str, o: &Outcome, limits: &Limits) {
    assert_ne!(o.code, Some(Code::E499), "{name}: internal error");
    assert!(o.wall <= limits.max_wall + Duration::from_secs(1), "{name}: took {:?} with a wall limit of {:?}", o.wall, limits.max_wall);
    assert!(o.peak < 256 << 20, "{name}: peak heap growth {} MiB", o.peak >> 20);
    assert!(o.trace_bytes < 16 << 20, "{name}: {} MiB of trace", o.trace_bytes >> 20);
}

fn program(first: &str, step: &str, n: usize) -> String {
    let mut p = format!("{first}\n");
    for _ in 0..n {
        p.push_str(step);
        p.push('\n');
    }
    p.push_str("answer 1\n");
    p
}

#[test]
fn pairing_forty_times_is_a_size_error_at_once() {
    let limits = Limits { max_steps: 100, ..strict(5_000) };
    let o = run(&program("a = [1]", "a = [a, a]", 40), limits.clone());
    assert_eq!(o.code, Some(Code::E309));
    assert_bounded("pairing", &o, &limits);
    assert!(o.wall < Duration::from_millis(500), "{:?}", o.wall);
}

#[test]
fn mapping_a_list_to_itself_is_a_size_error() {
    let limits = Limits { max_steps: 100, ..strict(5_000) };
    let o = run(&program("a = [1, 2]", "a = map(a, x -> a)", 40), limits.clone());
    assert_eq!(o.code, Some(Code::E309));
    assert_bounded("map to self", &o, &limits);
}

#[test]
fn growth_under_the_default_limits_is_bounded_too() {
    let limits = Limits { max_wall: Duration::from_secs(10), ..Limits::default() };
    for (first, step) in [("a = [1]", "a = [a, a]"), ("a = [1, 2]", "a = map(a, x -> a)"), ("a = [1]", "a = a + a + a"), ("a = [1]", "a = [a, [a], a]")] {
        let o = run(&program(first, step, 60), limits.clone());
        assert!(matches!(o.code, Some(Code::E309 | Code::E302 | Code::E303 | Code::E308)), "{step}: {:?}", o.code);
        assert_bounded(step, &o, &limits);
    }
}

#[test]
fn deep_nesting_by_steps_is_a_depth_error() {
    let limits = Limits { max_steps: 1_000, ..Limits::default() };
    let o = run(&program("a = [1]", "a = [a]", 500), limits.clone());
    assert_eq!(o.code, Some(Code::E302));
    assert_bounded("nesting", &o, &limits);
}

#[test]
fn comparing_and_describing_shared_trees_is_bounded() {
    // Well under the node limit (49k nodes; [a, a, a] 147k): every comparison walks tens of
    // thousands of nodes, so the tick budget or the step limit ends the program.
    let limits = strict(5_000);
    let mut p = String::from("a = [1]\n");
    for _ in 0..14 {
        p.push_str("a = [a, a]\n");
    }
    for _ in 0..12 {
        p.push_str("b = a == [a[0], a[1]]\nc = text(a)\nd = contains([a, a, a], a)\n");
    }
    p.push_str("answer 1\n");
    let o = run(&p, limits.clone());
    assert!(matches!(o.code, None | Some(Code::E301 | Code::E308)), "{:?}", o.code);
    assert_bounded("compare", &o, &limits);
}

#[test]
fn long_texts_in_lists_do_not_fill_the_trace() {
    let limits = strict(5_000);
    let mut p = String::from("t = \"x\"\n");
    for _ in 0..16 {
        p.push_str("t = t + t\n");
    }
    p.push_str("l = [t, t, t, t, t, t, t, t]\nm = l + l + l + l\nanswer len(m)\n");
    let o = run(&p, limits.clone());
    assert_bounded("texts", &o, &limits);
    assert!(matches!(o.code, None | Some(Code::E309)), "{:?}", o.code);
}

/// One growth operation on variable `a` (a list) or `t` (a text).
/// A syntax error at the end of a source as long as the default limit allows: pest's pairs take
/// about 170 bytes per byte parsed (1.36 GB for this one statement), so pest reads at most a
/// window before the error and beyond it the fast parser's report stands.
#[test]
fn a_syntax_error_after_megabytes_costs_a_bounded_parse() {
    let limits = Limits::default();
    let room = limits.max_source_bytes - 64;
    let cases = [
        // one statement of 8 MB, wrong at its end
        format!("answer [{}] 5", vec![format!("[{}1]", "1, ".repeat(99_999)); room / 300_010].join(", ")),
        format!("answer f({}", vec![format!("[{}1]", "1, ".repeat(99_999)); room / 300_010].join(", ")),
        // 8 MB of valid statements, then one wrong at its first token
        format!("{}) + 1", "x = 1\n".repeat(room / 6 - 2)),
    ];
    for (i, p) in cases.iter().enumerate() {
        let o = run(p, limits.clone());
        assert_eq!(o.code, Some(Code::E001), "case {i}");
        assert!(o.peak < 512 << 20, "case {i}: peak {} MB", o.peak >> 20);
        assert!(o.wall < Duration::from_secs(10), "case {i}: {:?}", o.wall);
    }
    // Where it fits in the window, pest still gives what it expected, and names the open bracket.
    let p = format!("x = 1\nanswer f({}", "1, ".repeat(100_000));
    let d = parse_bytes("w.wf", p.as_bytes(), &limits).err().unwrap().1;
    assert!(d.code == Code::E001 && !d.expected.is_empty() && d.message.contains("2:9"), "{d:?}");
    // Past the window the fast parser's error has the same place and open bracket.
    let d = parse_bytes("w.wf", cases[1].as_bytes(), &limits).err().unwrap().1;
    assert!(d.code == Code::E001 && d.message.contains("1:9") && d.span.unwrap().start == cases[1].len(), "{d:?}");
    // A bracket holds at most max_list_len items: E303 at it, before its items are built.
    for p in [format!("answer [{}1]", "1, ".repeat(room / 3 - 4)), format!("answer crop({}1)", "1, ".repeat(200_000))] {
        let o = run(&p, limits.clone());
        assert_eq!(o.code, Some(Code::E303));
        assert!(o.peak < 128 << 20, "peak {} MB", o.peak >> 20);
    }
    let d = parse_bytes("w.wf", format!("x = 1\ny = [{}]", "0,".repeat(100_001)).as_bytes(), &limits).err().unwrap().1;
    assert_eq!((d.code, d.span.map(|s| s.start)), (Code::E303, Some(10)), "{d:?}");
}

fn growth_step() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a = [a, a]",
        "a = map(a, x -> a)",
        "a = a + a",
        "a = [a]",
        "a = map(a, x -> [x, a])",
        "a = filter(a, x -> x == a[0])",
        "a = sort_by(a, x -> len(text(x)))",
        "t = t + t",
        "t = join(map(a, x -> t), t)",
        "a = map(a, x -> t)",
        "b = a == a + a",
        "b = contains(a, a)",
        "t = text(a)",
        "a = [a, t, a]",
        "n = len(a) + count(a)",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_growth_programs_end_within_their_limits(steps in prop::collection::vec(growth_step(), 1..24)) {
        let limits = strict(2_000);
        let p = format!("a = [1, 2]\nt = \"ab\"\n{}\nanswer 1\n", steps.join("\n"));
        let o = run(&p, limits.clone());
        assert_bounded(&p, &o, &limits);
    }
}
