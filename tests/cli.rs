//! The `dwim` binary: exit codes (0 ok, 1 program/tool error, 2 bad usage/input, never 101),
//! JSON output, traces and replay. Trace snapshots live in tests/golden/traces/.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

fn dwim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(root()).env("DWIM_MODELS", "/nonexistent/dwim-models").output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scene_for(program: &str, dir: &Path) -> String {
    let text = std::fs::read_to_string(root().join(program)).unwrap();
    scene_png(&scene_from_header(&text).unwrap(), dir, "scene.png").display().to_string()
}

/// Replace what differs between runs (run id, timings, temp paths) for snapshots.
fn normalize_trace(text: &str) -> String {
    text.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["run_id"] = "RUN".into();
            v["wall_us"] = 0.into();
            for c in v["calls"].as_array_mut().unwrap() {
                c["wall_us"] = 0.into();
            }
            serde_json::to_string(&v).unwrap() + "\n"
        })
        .collect()
}

#[test]
fn check_accepts_good_programs_and_rejects_bad_ones() {
    let o = dwim(&["check", "programs/count_red.wf"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = dwim(&["check", "tests/fixtures/invalid/E101_many_errors_at_once.wf"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("E101 unknown tool") && stderr(&o).contains("4 errors"), "{}", stderr(&o));
    let o = dwim(&["check", "tests/fixtures/invalid/E107_undefined_variable.wf", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["diagnostics"][0]["code"], "E107");
    assert_eq!(j["diagnostics"][0]["line"], 2);
}

#[test]
fn run_writes_a_trace_that_replays_to_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let img = scene_for("programs/count_red.wf", dir.path());
    let trace = dir.path().join("t/run.jsonl");
    let o = dwim(&["run", "programs/count_red.wf", "--image", &img, "--trace", trace.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("answer: 3"), "{}", stdout(&o));

    let text = std::fs::read_to_string(&trace).unwrap();
    golden(&root().join("tests/golden/traces/count_red.jsonl"), &normalize_trace(&text));

    let o = dwim(&["replay", trace.to_str().unwrap()]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("answer: 3"), "{}", stdout(&o));
    let o = dwim(&["replay", trace.to_str().unwrap(), "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["answer"], 3.0);
    assert_eq!(j["steps"], 3);
}

#[test]
fn a_runtime_error_exits_1_and_keeps_the_steps_already_traced() {
    let dir = tempfile::tempdir().unwrap();
    let img = scene_for("programs/count_red.wf", dir.path());
    let prog = dir.path().join("p.wf");
    std::fs::write(&prog, "objs = segment(image)\nx = objs[99]\nanswer x").unwrap();
    let trace = dir.path().join("run.jsonl");
    let o = dwim(&["run", prog.to_str().unwrap(), "--image", &img, "--trace", trace.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&o), 1);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["error"]["code"], "E202");
    assert_eq!(j["error"]["line"], 2);
    let lines = std::fs::read_to_string(&trace).unwrap();
    assert_eq!(lines.lines().count(), 2);
    assert!(lines.lines().nth(1).unwrap().contains("\"E202\""));
}

#[test]
fn bad_usage_and_bad_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_an_image = dir.path().join("x.png");
    std::fs::write(&not_an_image, b"not a png").unwrap();
    let bad_trace = dir.path().join("t.jsonl");
    std::fs::write(&bad_trace, "{\"schema\": \"dwim.trace/1\"}\n").unwrap();
    for args in [
        vec!["run", "programs/count_red.wf", "--image", "/nonexistent.png"],
        vec!["run", "programs/count_red.wf", "--image", not_an_image.to_str().unwrap()],
        vec!["check", "/nonexistent.wf"],
        vec!["replay", bad_trace.to_str().unwrap()],
        vec!["frobnicate"],
        vec!["run", "programs/count_red.wf"],
        vec!["scene", "--out", "x.png", "--seed", "-1"],
        vec!["bench-world", "generate", "--out", "b", "--n", "99999999999999999999"],
        vec!["run", "programs/count_red.wf", "--tools", "nope"],
        vec![],
    ] {
        let o = dwim(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        // Every failure names its code, a command line clap refused included.
        assert!(stderr(&o).contains(" E5"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn no_fixture_makes_the_binary_crash() {
    let dir = tempfile::tempdir().unwrap();
    let img = scene_for("programs/count_red.wf", dir.path());
    for f in files(&root().join("tests/fixtures/invalid"), "wf").iter().chain(files(&root().join("tests/fixtures/valid"), "wf").iter()) {
        let o = dwim(&["run", f.to_str().unwrap(), "--image", &img, "--strict"]);
        assert!(matches!(code(&o), 0 | 1), "{}: exit {} {}", f.display(), code(&o), stderr(&o));
    }
}

#[test]
fn tools_lists_signatures() {
    let o = dwim(&["tools", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let crop = j["tools"].as_array().unwrap().iter().find(|t| t["name"] == "crop").unwrap();
    assert_eq!(crop["params"][2]["default"], 0);
    assert!(stdout(&dwim(&["tools"])).contains("crop(image: image|region, region: region, pad: number = 0) -> region"));
    assert!(stdout(&dwim(&["run", "--help"])).contains("Examples:"));
}

/// A CUDA device in a build without CUDA is refused on every command that takes a tool set, even
/// when no native model loads (it used to run on the CPU without a word).
#[test]
fn a_device_this_build_lacks_is_refused() {
    if cfg!(feature = "cuda") {
        eprintln!("SKIP a_device_this_build_lacks_is_refused: this build has CUDA");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let png = scene_for("programs/count_red.wf", dir.path());
    for args in [
        vec!["run", "programs/count_red.wf", "--image", png.as_str(), "--device", "cuda"],
        vec!["check", "programs/count_red.wf", "--device", "cuda:1"],
        vec!["tools", "--device", "cuda"],
    ] {
        let o = dwim(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("E505") && stderr(&o).contains("built without CUDA"), "{args:?}: {}", stderr(&o));
    }
    let o = dwim(&["run", "programs/count_red.wf", "--image", &png, "--device", "cpu"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// Outputs that are not regular files: a FIFO no one reads is E503 at once (never a wait) and
/// stays a FIFO; a write that fails (`/dev/full`) is E503 with exit 2 and the device stays a
/// device, for every command that writes a file.
#[cfg(target_os = "linux")]
#[test]
fn an_output_that_cannot_be_written_fails_and_is_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let png = scene_for("programs/count_red.wf", dir.path());
    let bench = dir.path().join("bench");
    assert_eq!(code(&dwim(&["bench-world", "generate", "--out", bench.to_str().unwrap(), "--n", "4", "--seed", "1"])), 0);
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (f, b) = (fifo.to_str().unwrap(), bench.to_str().unwrap());
    for out in [f, "/dev/full"] {
        let trace = dir.path().join("t.jsonl");
        for args in [
            vec!["run", "programs/count_red.wf", "--image", png.as_str(), "--strict", "--trace", out],
            vec!["data", "convert", b, "--out", out],
            vec!["report", "--html", out, trace.to_str().unwrap(), "--image", png.as_str()],
        ] {
            if args[0] == "report" {
                assert_eq!(code(&dwim(&["run", "programs/count_red.wf", "--image", &png, "--trace", trace.to_str().unwrap()])), 0);
            }
            let t = std::time::Instant::now();
            let o = dwim(&args);
            assert_ne!(code(&o), 0, "{args:?}");
            assert!(stderr(&o).contains("E503"), "{args:?}: {}", stderr(&o));
            assert!(t.elapsed() < std::time::Duration::from_secs(20), "{args:?}");
        }
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
}
