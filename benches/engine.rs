//! `cargo bench --bench engine`: parse+check throughput and per-step interpreter overhead, each
//! next to a baseline measured in the same run (Python's tokenizer as VisProg parses programs, and
//! Python compile+exec per step as ViperGPT/DWIM run them). Prints figures; asserts nothing.

use dwim::check::{check_program, input_scope};
use dwim::syntax::{parse_program, SourceFile};
use dwim::value::Image;
use dwim::{Limits, Registry, Session, Value};
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn corpus(target_bytes: usize) -> String {
    let mut bodies = Vec::new();
    for e in std::fs::read_dir("programs").expect("run from the repository root").flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        bodies.push(text.lines().filter(|l| !l.starts_with("answer") && !l.starts_with('#')).collect::<Vec<_>>().join("\n"));
    }
    bodies.sort();
    let mut out = String::new();
    while out.len() < target_bytes {
        for b in &bodies {
            out.push_str(b);
            out.push('\n');
        }
    }
    out
}

fn python(script: &str, arg: &str) -> Option<f64> {
    let out = Command::new("python3").args(["-c", script, arg]).output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

const PY_TOKENIZE: &str = r#"
import io, sys, time, tokenize
src = open(sys.argv[1]).read()
lines = src.splitlines()
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    for line in lines:
        list(tokenize.generate_tokens(io.StringIO(line).readline))
    best = min(best, time.perf_counter() - t)
print(len(src.encode()) / best / 1e6)
"#;

const PY_EXEC: &str = r#"
import sys, time
n = int(sys.argv[1])
ns = {"abs": abs, "__builtins__": {}}
best = 1e9
for _ in range(5):
    t = time.perf_counter()
    for i in range(n):
        exec(compile("x = abs(-1)", "<step>", "exec"), ns)
    best = min(best, time.perf_counter() - t)
print(best / n * 1e6)
"#;

fn main() {
    let limits = Limits { max_source_bytes: 64 << 20, ..Limits::default() };
    let registry = Registry::builtin();
    // `cargo bench --bench engine -- steps` runs only the per-step figures (to profile them, e.g.
    // under `valgrind --tool=callgrind`).
    if !std::env::args().any(|a| a == "steps") {
        throughput(&limits, &registry);
    }
    per_step(&limits, &registry);
}

/// Parse + check throughput on one core.
fn throughput(limits: &Limits, registry: &Registry) {
    let text = corpus(4 << 20);
    let src = SourceFile::new("corpus.wf", text.clone());
    let mut times = Vec::new();
    let mut steps = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let p = parse_program(&src, limits).expect("corpus parses");
        let d = check_program(&p, registry, &input_scope(), false);
        times.push(t.elapsed());
        assert!(d.is_empty(), "{:?}", d.first());
        steps = p.steps.len();
    }
    let mbs = text.len() as f64 / median(times).as_secs_f64() / 1e6;
    println!("parse+check, one {}-byte file: {:.1} MB/s ({} steps)", text.len(), mbs, steps);
    // The common case: many small programs (model-written steps, example workflows), one at a time.
    let mut small: Vec<SourceFile> = Vec::new();
    for e in std::fs::read_dir("programs").unwrap().flatten() {
        small.push(SourceFile::new(e.path().display().to_string(), std::fs::read_to_string(e.path()).unwrap()));
    }
    let bytes: usize = small.iter().map(|s| s.text.len()).sum();
    let rounds = 2000;
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..rounds {
            for s in &small {
                let p = parse_program(s, limits).expect("example parses");
                assert!(check_program(&p, registry, &input_scope(), true).is_empty());
            }
        }
        times.push(t.elapsed());
    }
    let per = median(times);
    let small_mbs = (bytes * rounds) as f64 / per.as_secs_f64() / 1e6;
    println!("parse+check, {} example programs one at a time: {:.1} MB/s, {:.1} µs per program (goal >= 50 MB/s)",
        small.len(), small_mbs, per.as_secs_f64() * 1e6 / (rounds * small.len()) as f64);
    let path = std::env::temp_dir().join("dwim-bench-corpus.wf");
    std::fs::write(&path, &text).unwrap();
    match python(PY_TOKENIZE, path.to_str().unwrap()) {
        Some(py) => println!("  baseline, Python tokenize per line (VisProg's parser): {py:.2} MB/s -> dwim is {:.1}x faster", mbs / py),
        None => println!("  baseline skipped: python3 not available"),
    }
}

/// Per-step overhead of a built-in tool call, through the incremental session.
fn per_step(limits: &Limits, registry: &Registry) {
    let n = 20_000;
    let step_src = SourceFile::new("steps.wf", "x = abs(-1)\n".repeat(n));
    let program = parse_program(&step_src, limits).unwrap();
    let mut times = Vec::new();
    for _ in 0..5 {
        let mut s = Session::new(registry, Limits { max_steps: n + 1, ..Limits::default() });
        s.bind("image", Value::Image(Image::from_rgb(image::RgbImage::new(8, 8))));
        let t = Instant::now();
        let out = s.run_program(&step_src, &program.steps);
        times.push(t.elapsed());
        assert!(out.iter().all(|o| o.error().is_none()));
    }
    let per_step = median(times).as_secs_f64() / n as f64 * 1e6;
    println!("run one step `x = abs(-1)` (trace record built, not written): {per_step:.2} µs/step");
    let mut times = Vec::new();
    for _ in 0..5 {
        let mut s = Session::new(registry, Limits { max_steps: n + 1, ..Limits::default() });
        let t = Instant::now();
        for _ in 0..2000 {
            s.feed("x = abs(-1)").unwrap();
        }
        times.push(t.elapsed());
    }
    let fed = median(times).as_secs_f64() / 2000.0 * 1e6;
    println!("feed one step (parse + check + run, as the agent loop does): {fed:.2} µs/step");
    // The same step into a session that already holds 1,000 variables: a step's cost must not
    // grow with what the session holds (baseline: the empty session above).
    let mut times = Vec::new();
    for _ in 0..5 {
        let mut s = Session::new(registry, Limits { max_steps: n + 1, ..Limits::default() });
        for i in 0..1000 {
            s.feed(&format!("v{i} = {i}")).unwrap();
        }
        let t = Instant::now();
        for _ in 0..2000 {
            s.feed("x = abs(-1)").unwrap();
        }
        times.push(t.elapsed());
    }
    let fed_full = median(times).as_secs_f64() / 2000.0 * 1e6;
    println!("feed one step into a session holding 1,000 variables: {fed_full:.2} µs/step ({:.2}x the empty session's; goal <= 1.5x)", fed_full / fed);
    match python(PY_EXEC, "20000") {
        Some(py) => println!("  baseline, Python compile+exec per step (ViperGPT/DWIM style): {py:.2} µs/step -> run is {:.1}x, feed is {:.1}x that", per_step / py, fed / py),
        None => println!("  baseline skipped: python3 not available"),
    }
}
