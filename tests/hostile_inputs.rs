//! Hostile inputs from outside a program: files that are not files (FIFOs, devices, directories),
//! images whose header lies, flag values that cannot be right, outputs that cannot be written and a
//! stdout that goes away. Each ends in a coded error (or a quiet exit) at once: never a hang, a
//! panic or a lying exit code.

mod common;

use common::*;
use dwim::value::Image;
use dwim::{Code, Limits};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Run dwim, killing it (and failing) if it has not ended within `limit`: a hang is a failure.
fn dwim_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(root()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Both pipes are drained while it runs: output past a pipe's buffer must not look like a hang.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dwim {args:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn dwim(args: &[&str]) -> Output {
    dwim_within(args, Duration::from_secs(60))
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("killed by a signal: {:?}", o.status))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo").arg(path).status().map(|s| s.success()).unwrap_or(false)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn fifos_devices_and_directories_are_e502_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let mut specials = vec![dir.path().to_path_buf()];
    if cfg!(unix) {
        specials.push("/dev/zero".into());
        if mkfifo(&fifo) {
            specials.push(fifo.clone());
        } else {
            eprintln!("skipped the FIFO case: no mkfifo here");
        }
    }
    let good = scene_png(&[], dir.path(), "scene.png");
    for p in &specials {
        for args in [
            vec!["check", s(p)],
            vec!["run", "programs/count_red.wf", "--image", s(p)],
            vec!["run", s(p), "--image", s(&good)],
            vec!["replay", s(p)],
            vec!["report", s(p), "--html", s(&dir.path().join("o.html"))],
        ] {
            let o = dwim_within(&args, Duration::from_secs(20));
            assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains("E502"), "{args:?}: {}", stderr(&o));
        }
        for f in [dwim::io::read_bytes(p, 1 << 20).err(), dwim::trace::read_trace(p).err(), Image::load(p, &Limits::strict()).err(), dwim::tokenizer::load(p).err()] {
            assert_eq!(f.map(|d| d.code), Some(Code::E502), "{}", p.display());
        }
    }
}

#[test]
fn a_missing_file_is_e501_not_a_tool_error() {
    let o = dwim(&["run", "programs/count_red.wf", "--image", "/nonexistent/x.png"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("E501") && stderr(&o).contains("/nonexistent/x.png"), "{}", stderr(&o));
    let o = dwim(&["replay", "/nonexistent/t.jsonl"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("E501"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let not_png = dir.path().join("x.png");
    std::fs::write(&not_png, "not a png").unwrap();
    let e = Image::load(&not_png, &Limits::default()).unwrap_err();
    assert_eq!(e.code, Code::E501, "{}", e.message);
}

/// The bytes of a small PNG or JPEG, to patch headers into.
fn small(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([200, 30, 30]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), format).unwrap();
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    !c
}

/// A PNG whose IHDR claims `w`×`h` (CRC fixed), with the original small IDAT.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut b = small(image::ImageFormat::Png);
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

/// A JPEG whose frame header claims `w`×`h`, cut `extra` bytes into its scan data: every header
/// is whole, the pixels are missing (what a truncated download looks like).
fn jpeg_claiming(w: u16, h: u16, extra: usize) -> Vec<u8> {
    let mut b = small(image::ImageFormat::Jpeg);
    let sof = b.windows(2).position(|x| x[0] == 0xFF && (x[1] == 0xC0 || x[1] == 0xC2)).expect("a SOF marker");
    b[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    b[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    let sos = b.windows(2).position(|x| x[0] == 0xFF && x[1] == 0xDA).expect("a SOS marker");
    let len = u16::from_be_bytes([b[sos + 2], b[sos + 3]]) as usize;
    b.truncate(sos + 2 + len + extra);
    b
}

#[test]
fn images_whose_header_claims_a_huge_canvas_are_e310_before_decoding() {
    for limits in [Limits::strict(), Limits::default()] {
        let e = Image::decode(&png_claiming(8192, 8192), &limits).unwrap_err();
        assert_eq!(e.code, Code::E310, "{}", e.message);
        assert!(e.message.contains("8192x8192"), "{}", e.message);
        let e = Image::decode(&jpeg_claiming(12000, 12000, 16), &limits).unwrap_err();
        assert_eq!(e.code, Code::E310, "{}", e.message);
    }
    // Within the limits a truncated file is an error or a small image, never a panic.
    let _ = Image::decode(&jpeg_claiming(64, 64, 16), &Limits::strict());
    assert!(Image::decode(&png_claiming(0, 16), &Limits::default()).is_err(), "an image with no pixels is an error");
    assert!(Image::decode(&small(image::ImageFormat::Png), &Limits::strict()).is_ok());
    // Through the CLI too.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.png");
    std::fs::write(&p, png_claiming(8192, 8192)).unwrap();
    let o = dwim(&["run", "programs/count_red.wf", "--image", s(&p), "--strict"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("E310"), "{}", stderr(&o));
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [&["tools"][..], &["tools", "--format", "json"], &["--help"], &["replay", "tests/golden/traces/count_red.jsonl"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(root()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("internal error") && !err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn flag_values_are_validated_with_e505_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bench");
    let o = dwim(&["bench-world", "generate", "--out", s(&data), "--n", "3", "--seed", "1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = dir.path().join("dw");
    let (m, gif) = (dir.path().join("m.jsonl"), dir.path().join("x.gif"));
    let scene = data.join("images").join("scene_00000.png");
    let cases: Vec<Vec<&str>> = vec![
        vec!["collect", "--data", s(&data), "--split", "bogus", "--out", s(&out)],
        vec!["collect", "--data", s(&data), "--shard", "4/4", "--out", s(&out)],
        vec!["collect", "--data", s(&data), "--shard", "x", "--out", s(&out)],
        vec!["tools", "--plugins", "/nonexistent/plugins"],
        vec!["mask", "--traces", s(&out), "--tokenizer", "new:4294967295", "--out", s(&m)],
        vec!["mask", "--traces", s(&out), "--tokenizer", "new:lots", "--out", s(&m)],
        vec!["scene", "--out", s(&gif)],
        vec!["scene", "--out", s(dir.path())],
        vec!["run", "programs/count_red.wf", "--image", s(&scene), "--trace", s(&data)],
        vec!["collect", "--data", s(&data), "--llm-judge", "nonsense", "--out", s(&out)],
        vec!["mask", "--traces", s(&out), "--tokenizer", "new:300", "--max-len", "0", "--out", s(&m)],
        vec!["train", "--data", s(&m), "--out", s(&out), "--lora", "4294967295"],
        vec!["train", "--data", s(&m), "--out", s(&out), "--max-seq", "0"],
        vec!["train", "--data", s(&m), "--out", s(&out), "--batch", "0"],
        vec!["train", "--data", s(&m), "--out", s(&out), "--steps", "0"],
        vec!["ablate", "--data", s(&data), "--seeds", "0"],
        vec!["scene", "--out", s(&gif), "--seed", "-1"],
    ];
    for args in &cases {
        let t0 = Instant::now();
        let o = dwim(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("E505"), "{args:?}: {}", stderr(&o));
        assert!(t0.elapsed() < Duration::from_secs(20), "{args:?} took {:?}", t0.elapsed());
    }
    assert!(!out.join("workflows.jsonl").exists() || std::fs::read(out.join("workflows.jsonl")).unwrap().is_empty());
    let o = dwim(&["collect", "--data", s(&data), "--split", "all", "--out", s(&out)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn outputs_that_cannot_be_written_are_e503_and_fail_the_command() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.png");
    std::os::unix::fs::symlink("/dev/full", &full).unwrap();
    let o = dwim(&["scene", "--out", s(&full)]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("E503"), "{}", stderr(&o));
    let image = s(&scene_png(&[], dir.path(), "scene.png")).to_string();
    let o = dwim(&["run", "programs/count_red.wf", "--image", &image, "--trace", "/dev/full"]);
    assert_ne!(code(&o), 0, "a lost trace fails the command");
    assert!(stderr(&o).contains("E503"), "{}", stderr(&o));
    assert!(stdout(&o).contains("answer"), "the run's own results are still reported: {}", stdout(&o));
    let full_out = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_dwim")).arg("tools").current_dir(root()).stdout(full_out).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("E503") && !stderr(&o).contains("internal error"), "{}", stderr(&o));
}

#[test]
fn help_lists_the_code_ranges() {
    let o = dwim(&["--help"]);
    assert_eq!(code(&o), 0);
    for needle in ["E3xx limits", "E5xx", "docs/errors.md"] {
        assert!(stdout(&o).contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn a_store_damaged_in_the_middle_is_reported_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bench");
    let o = dwim(&["bench-world", "generate", "--out", s(&data), "--n", "2", "--seed", "2"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = dir.path().join("dw");
    std::fs::create_dir_all(&out).unwrap();
    let mut lines: Vec<String> = (0..81).map(|i| format!("{{\"id\":\"old{i}\",\"steps\":[]}}\n")).collect();
    lines.insert(40, "{\"id\":\"old-torn\",\"ste\n".into());
    let text = lines.concat();
    std::fs::write(out.join("workflows.jsonl"), &text).unwrap();
    let o = dwim(&["collect", "--data", s(&data), "--split", "all", "--out", s(&out)]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("E504") && stderr(&o).contains("workflows.jsonl:41"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(out.join("workflows.jsonl")).unwrap(), text, "nothing deleted or rewritten");
}

#[cfg(feature = "train")]
#[test]
fn training_with_every_label_masked_is_e601() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("masked.jsonl");
    std::fs::write(&data, "{\"input_ids\": [1, 2, 3], \"labels\": [-100, -100, -100]}\n".repeat(4)).unwrap();
    let o = dwim(&["train", "--model", "micro", "--data", s(&data), "--out", s(&dir.path().join("o")), "--steps", "2"]);
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("E601"), "{}", stderr(&o));
}

/// A model's embedding has a row for every token id: an id past `max_vocab_size`, in the samples
/// (the vocabulary then comes from them) or in a tokenizer, is E311 before anything is allocated
/// (id 4294967295 filled memory at 100 MB/s; a tokenizer with one id of 4·10⁹ took 5 GB in 9 s).
#[cfg(feature = "train")]
#[test]
fn token_ids_past_the_vocabulary_limit_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("far.jsonl");
    std::fs::write(&data, "{\"input_ids\": [1, 2, 4294967295], \"labels\": [1, 2, 3]}\n".repeat(4)).unwrap();
    let t0 = std::time::Instant::now();
    let o = dwim(&["train", "--model", "micro", "--data", s(&data), "--out", s(&dir.path().join("o")), "--steps", "2"]);
    assert!(code(&o) == 2 && stderr(&o).contains("E311") && stderr(&o).contains("4294967295"), "{}", stderr(&o));
    assert!(t0.elapsed() < std::time::Duration::from_secs(10), "{:?}", t0.elapsed());

    let corpus = dir.path().join("corpus.txt");
    std::fs::write(&corpus, "objects = segment(image)\nanswer len(objects)\n".repeat(50)).unwrap();
    let tok = dir.path().join("tok.json");
    let o = dwim(&["tokenizer", "train", "--corpus", s(&corpus), "--vocab", "300", "--out", s(&tok)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut j: serde_json::Value = serde_json::from_slice(&std::fs::read(&tok).unwrap()).unwrap();
    j["model"]["vocab"]["far"] = serde_json::json!(4_000_000_000u64);
    std::fs::write(&tok, j.to_string()).unwrap();
    let ok = dir.path().join("ok.jsonl");
    std::fs::write(&ok, "{\"input_ids\": [1, 2, 3], \"labels\": [1, 2, 3]}\n".repeat(4)).unwrap();
    let t0 = std::time::Instant::now();
    let o = dwim(&["train", "--model", "micro", "--data", s(&ok), "--tokenizer", s(&tok), "--out", s(&dir.path().join("o2")), "--steps", "2"]);
    assert!(code(&o) == 2 && stderr(&o).contains("E311") && stderr(&o).contains("id 4000000000"), "{}", stderr(&o));
    assert!(t0.elapsed() < std::time::Duration::from_secs(10), "{:?}", t0.elapsed());
}

/// A value as deep as the default limits allow (128) is written to the trace cut at 64 levels, so
/// `replay` and `report` read back every trace `run` wrote (they refused it: E504, serde_json's
/// recursion limit).
#[test]
fn a_trace_of_the_deepest_value_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, trace, scene, html) = (dir.path().join("deep.wf"), dir.path().join("t.jsonl"), dir.path().join("s.png"), dir.path().join("r.html"));
    assert_eq!(code(&dwim(&["scene", "--out", s(&scene), "--seed", "1"])), 0);
    let deep = format!("x = {}1{}\na = [1]\n{}answer len(x)\n", "[".repeat(126), "]".repeat(126), "a = [a]\n".repeat(126));
    std::fs::write(&prog, deep).unwrap();
    let o = dwim(&["run", s(&prog), "--image", s(&scene), "--trace", s(&trace)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for args in [vec!["replay", s(&trace)], vec!["replay", s(&trace), "--format", "json"], vec!["report", s(&trace), "--html", s(&html)]] {
        let o = dwim(&args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
}

/// `dwim mask` records the fingerprint of its tokenizer in the `policy.json` it writes last; `dwim
/// train` refuses samples with another tokenizer (ids of one mean other tokens in the other: what a
/// `mask` killed between its writes, or a mixed-up `--tokenizer`, left to train on silently).
#[cfg(feature = "train")]
#[test]
fn samples_and_a_tokenizer_that_do_not_belong_together_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    assert_eq!(code(&dwim(&["bench-world", "generate", "--out", s(&p("bench")), "--n", "3", "--seed", "1"])), 0);
    assert_eq!(code(&dwim(&["collect", "--data", s(&p("bench")), "--split", "all", "--out", s(&p("dw"))])), 0);
    for (dir, mode, vocab) in [("a", "im", "new:400"), ("b", "sft", "new:300")] {
        let o = dwim(&["mask", "--traces", s(&p("dw")), "--mode", mode, "--tokenizer", vocab, "--out", s(&p(dir).join("s.jsonl"))]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let train = |tok: &str, out: &str| dwim(&["train", "--data", s(&p("a/s.jsonl")), "--tokenizer", s(&p(tok)), "--model", "micro", "--steps", "1", "--out", s(&p(out))]);
    let o = train("b/tokenizer.json", "x");
    assert!(code(&o) == 2 && stderr(&o).contains("E505") && stderr(&o).contains("made with tokenizer"), "{}", stderr(&o));
    let o = train("a/tokenizer.json", "y");
    assert_eq!(code(&o), 0, "the tokenizer mask wrote, saved and loaded again, has the same fingerprint: {}", stderr(&o));
}

/// `dwim … 2>&1 | head -c1`: stdout and stderr both a pipe whose reader is gone. A panic hook that
/// itself failed to write then panicked while panicking: the sporadic exit 134 of `dwim collect`.
#[test]
fn stdout_and_stderr_closed_together_never_abort() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bench");
    let o = dwim(&["bench-world", "generate", "--out", s(&data), "--n", "2", "--seed", "3"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = dir.path().join("dw");
    for args in [vec!["tools"], vec!["tools", "--format", "json"], vec!["collect", "--data", s(&data), "--split", "all", "--out", s(&out)]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dwim"));
        cmd.args(&args).current_dir(root()).stdin(Stdio::null()).stdout(writer.try_clone().unwrap()).stderr(writer);
        let status = cmd.status().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {status:?}");
    }
}

/// Weights are memory-mapped by candle, after the path is checked through `dwim::io`: a FIFO or
/// a device named as a weight file is E502 at once.
#[cfg(all(unix, feature = "train"))]
#[test]
fn weight_files_that_are_not_regular_files_are_e502() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    std::fs::create_dir(&ckpt).unwrap();
    let cfg = dwim::train::config::Config::tiny(64);
    std::fs::write(ckpt.join("config.json"), serde_json::to_vec(&cfg).unwrap()).unwrap();
    if !mkfifo(&ckpt.join("model.safetensors")) {
        return eprintln!("skipped: no mkfifo here");
    }
    let t0 = std::time::Instant::now();
    let e = dwim::train::load::load_model(&ckpt, &candle_core::Device::Cpu).err().map(|d| d.code);
    assert_eq!(e, Some(Code::E502));
    assert!(t0.elapsed() < Duration::from_secs(5));
}

/// Many images, each within `max_image_pixels`, cannot together pass `max_live_pixels`: under
/// `--strict` nine 4096×4096 inputs (150 M pixels, 450 MB of RGB) are E310 before the ninth is
/// decoded; eight are accepted.
#[test]
fn many_images_together_are_bounded_by_max_live_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.png");
    image::RgbImage::new(4096, 4096).save(&big).unwrap();
    let prog = dir.path().join("p.wf");
    std::fs::write(&prog, "answer 1\n").unwrap();
    let per = 4096u64 * 4096;
    let fits = (Limits::strict().max_live_pixels / per) as usize;
    assert_eq!(fits, 8);
    let specs = |n: usize| (0..n).map(|i| format!("i{i}={}", big.display())).collect::<Vec<_>>();
    for (n, ok) in [(fits, true), (fits + 1, false)] {
        let specs = specs(n);
        let mut args = vec!["run", s(&prog), "--strict"];
        for sp in &specs {
            args.extend(["--image", sp.as_str()]);
        }
        let o = dwim(&args);
        if ok {
            assert_eq!(code(&o), 0, "{n} images: {}", stderr(&o));
        } else {
            assert_eq!(code(&o), 2, "{n} images: {}", stderr(&o));
            assert!(stderr(&o).contains("E310") && stderr(&o).contains("max_live_pixels"), "{}", stderr(&o));
        }
    }
    // The same bound in the library: images held at once, released when the last reference goes.
    let bytes = std::fs::read(&big).unwrap();
    let limits = Limits { max_live_pixels: 3 * per, ..Limits::default() };
    let held: Vec<Image> = (0..2).map(|_| Image::decode(&bytes, &limits).expect("within")).collect();
    drop(held);
    let again: Vec<Image> = (0..2).map(|_| Image::decode(&bytes, &limits).expect("released, so within again")).collect();
    drop(again);
}

/// `report` holds a whole trace in memory, so it refuses one over its cap (E311, at once, the file
/// unread); `replay` streams a trace of any length, one record in memory at a time.
#[test]
fn long_traces_are_streamed_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jsonl");
    std::fs::File::create(&big).unwrap().set_len(dwim::report::MAX_REPORT_TRACE_BYTES + 1).unwrap();
    let html = dir.path().join("r.html");
    let o = dwim(&["report", "--html", s(&html), s(&big)]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("E311"), "{}", stderr(&o));
    assert!(!html.exists());
    let one = std::fs::read_to_string(root().join("tests/golden/traces/count_red.jsonl")).unwrap();
    let long = dir.path().join("long.jsonl");
    std::fs::write(&long, one.repeat(2_000)).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_dwim")).args(["replay", s(&long), "--format", "json"]).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["steps"], one.lines().count() * 2_000);
    assert_eq!(doc["records"].as_array().unwrap().len(), one.lines().count() * 2_000);
    assert_eq!(doc["answer"], serde_json::json!(3.0));
}
