//! One dataset type for every `--data` command: each format detected and loaded from files written
//! here, `dwim data inspect|convert`, image paths kept inside the dataset, coded errors for bad
//! records; then the commands on such datasets: collect (programmatic teacher, honest judges),
//! `eval --shard` merged, and the tool-set flags really choosing the registry.

use dwim::data::{Answer, DataFormat, DataOptions, Dataset};
use dwim::Code;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dwim() -> Command {
    // No native tools from this machine's models directory: the tool sets below are exact.
    let mut c = Command::new(env!("CARGO_BIN_EXE_dwim"));
    c.env("DWIM_MODELS", "/nonexistent/dwim-models");
    c
}

/// (exit code, stdout, stderr)
fn run(c: &mut Command) -> (i32, String, String) {
    let o = c.output().expect("dwim runs");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

fn ok(c: &mut Command) -> String {
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{c:?} failed:\n{out}{err}");
    out
}

fn png(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(8, 6, image::Rgb([10, 20, 30])).save(path).unwrap();
}

fn jpeg(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(16, 12, image::Rgb([200, 20, 30])).save(path).unwrap();
}

fn gqa_dir(d: &Path) -> PathBuf {
    let g = d.join("gqa");
    png(&g.join("images/n1.png"));
    jpeg(&g.join("images/n2.jpg"));
    std::fs::write(
        g.join("val_balanced_questions.json"),
        r#"{"q2": {"imageId": "n2", "question": "Is it red?", "answer": "yes", "types": {"structural": "verify"}},
            "q1": {"imageId": "n1", "question": "What color is it?", "answer": "blue"}}"#,
    )
    .unwrap();
    std::fs::write(g.join("val_sceneGraphs.json"), "{}").unwrap();
    g
}

fn load(p: &Path) -> Dataset {
    Dataset::load(p).unwrap_or_else(|d| panic!("{}: {}", p.display(), d.one_line(None)))
}

#[test]
fn each_format_is_detected_and_loaded() {
    let d = tempfile::tempdir().unwrap();

    // bench-world: the generated directory, with its scenes as annotations.
    ok(dwim().args(["bench-world", "generate", "--n", "3", "--seed", "2", "--out"]).arg(d.path().join("bench")));
    let b = load(&d.path().join("bench"));
    assert_eq!(b.format, DataFormat::BenchWorld);
    assert!(b.annotated() && !b.questions.is_empty());
    assert_eq!(b.with_programs(), b.questions.len());
    let q = &b.questions[0];
    assert!(b.scene_of(q).is_some());
    assert_eq!(b.item_image(q).unwrap().hash(), b.image(b.scene_of(q).unwrap()).unwrap().hash());

    // GQA: questions keyed by id, an images folder, the split from the file name, scene graphs listed.
    let g = load(&gqa_dir(d.path()));
    assert_eq!(g.format, DataFormat::Gqa);
    assert!(!g.annotated());
    let ids: Vec<&str> = g.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["q1", "q2"]);
    assert_eq!(g.questions[0].image, "images/n1.png");
    assert_eq!(g.questions[1].image, "images/n2.jpg");
    assert_eq!(g.split_names(), ["val"]);
    assert_eq!(g.questions[1].family, "verify");
    assert_eq!(g.scene_graphs.len(), 1);
    assert_eq!(g.item_image(&g.questions[1]).unwrap().width(), 16);

    // RefCOCO: references with boxes → grounding items.
    let r = d.path().join("refcoco");
    png(&r.join("images/a.png"));
    std::fs::write(r.join("refs.json"), r#"[{"ref_id": 7, "file_name": "a.png", "bbox": [1, 1, 4, 3], "sentences": [{"sent": "the left thing"}], "split": "test"}]"#).unwrap();
    let rc = load(&r);
    assert_eq!(rc.format, DataFormat::Refcoco);
    assert_eq!(rc.questions[0].answer, Answer::Box([1.0, 1.0, 5.0, 4.0]));
    assert_eq!(rc.questions[0].image, "images/a.png");
    assert!(rc.item_image(&rc.questions[0]).is_ok());

    // Plain JSON Lines, as a file or a directory holding one; several images per question.
    let j = d.path().join("plain");
    png(&j.join("a.png"));
    jpeg(&j.join("pics/b.jpg"));
    std::fs::write(
        j.join("data.jsonl"),
        concat!(
            r#"{"id": "c1", "image": "a.png", "question": "How many?", "answer": 2, "family": "count", "split": "train", "program": "answer 2"}"#, "\n",
            r#"{"id": 7, "images": {"left": "a.png", "right": "pics/b.jpg"}, "question": "Same?", "answer": false, "split": "test"}"#, "\n",
            r#"{"id": "g1", "image": "pics/b.jpg", "question": "the red one", "answer": {"box": [0, 0, 4, 4]}}"#, "\n",
        ),
    )
    .unwrap();
    for p in [j.clone(), j.join("data.jsonl")] {
        let ds = load(&p);
        assert_eq!(ds.format, DataFormat::Jsonl);
        assert_eq!(ds.questions.len(), 3);
        assert_eq!(ds.questions[0].answer, Answer::Text("2".into()));
        assert_eq!(ds.questions[1].id, "7");
        assert_eq!(ds.questions[1].answer, Answer::Text("no".into()));
        assert_eq!(ds.questions[2].answer, Answer::Box([0.0, 0.0, 4.0, 4.0]));
        let imgs = ds.item_images(&ds.questions[1]).unwrap();
        let names: Vec<&str> = imgs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["image", "left", "right"], "`image` is the first of `images`");
        assert_eq!(ds.split_names(), ["test", "train"]);
    }

    // A GQA image that is not there is found by inspect (and is E501 when read), not a load error.
    std::fs::remove_file(d.path().join("gqa/images/n1.png")).unwrap();
    let g = load(&d.path().join("gqa"));
    assert_eq!(g.item_image(&g.questions[0]).unwrap_err().code, Code::E501);
    let (code, out, _) = run(dwim().args(["data", "inspect", "--format", "json"]).arg(d.path().join("gqa")));
    assert_eq!(code, 2);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["missing_images"], 1);
    png(&d.path().join("gqa/images/n1.png"));

    // Naming the format: a directory without that format's files is E505 saying so.
    let e = Dataset::load_with(&d.path().join("gqa"), &DataOptions { format: Some(DataFormat::Jsonl), ..DataOptions::default() }).err().unwrap();
    assert_eq!(e.code, Code::E505, "{}", e.message);
    let e = Dataset::load(&d.path().join("refcoco/images")).err().unwrap();
    assert_eq!(e.code, Code::E505, "{}", e.message);
    assert!(e.message.contains("cannot tell the dataset format"), "{}", e.message);
    // The flag on the command line: a GQA file read as such.
    let out = ok(dwim().args(["data", "inspect", "--data-format", "gqa", "--format", "json"]).arg(d.path().join("gqa/val_balanced_questions.json")));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "gqa");
}

#[test]
fn inspect_reports_counts_and_problems() {
    let d = tempfile::tempdir().unwrap();
    let j = d.path().join("ds");
    png(&j.join("a.png"));
    std::fs::write(j.join("broken.png"), b"not an image at all").unwrap();
    std::fs::write(
        j.join("q.jsonl"),
        concat!(
            r#"{"id": "a", "image": "a.png", "question": "q", "answer": "x", "family": "count", "split": "train"}"#, "\n",
            r#"{"id": "b", "image": "gone.png", "question": "q", "answer": "x", "family": "count", "split": "test"}"#, "\n",
            r#"{"id": "c", "image": "broken.png", "question": "q", "answer": "x", "family": "attr", "split": "test", "program": "answer 1"}"#, "\n",
            r#"{"id": "a", "image": "a.png", "question": "again", "answer": "y"}"#, "\n",
        ),
    )
    .unwrap();
    let (code, out, err) = run(dwim().args(["data", "inspect", "--format", "json"]).arg(&j));
    assert_eq!(code, 2, "problems make inspect exit 2: {out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "jsonl");
    assert_eq!(v["questions"], 4);
    assert_eq!(v["splits"]["test"], 2);
    assert_eq!(v["splits"]["train"], 1);
    assert_eq!(v["splits"][""], 1);
    assert_eq!(v["families"]["count"], 2);
    assert_eq!(v["with_programs"], 1);
    assert_eq!(v["annotated_scenes"], 0);
    assert_eq!(v["missing_images"], 1);
    assert_eq!(v["unreadable_images"], 1);
    assert_eq!(v["duplicate_ids"], 1);
    let problems = v["problems"].to_string();
    assert!(problems.contains("gone.png") && problems.contains("broken.png") && problems.contains("q.jsonl:1 and"), "{problems}");

    let (code, out, _) = run(dwim().args(["data", "inspect"]).arg(&j));
    assert_eq!(code, 2);
    assert!(out.contains("jsonl dataset, 4 questions") && out.contains("1 missing") && out.contains("duplicate ids: 1"), "{out}");
    assert!(out.contains("the rule judge is off"), "{out}");

    // A clean bench-world directory: exit 0, annotations reported.
    ok(dwim().args(["bench-world", "generate", "--n", "2", "--out"]).arg(d.path().join("bench")));
    let out = ok(dwim().args(["data", "inspect"]).arg(d.path().join("bench")));
    assert!(out.contains("bench-world dataset") && out.contains("annotations: 2 scenes"), "{out}");
}

#[test]
fn convert_then_load_gives_the_same_items() {
    let d = tempfile::tempdir().unwrap();
    let g = gqa_dir(d.path());
    let before = load(&g);
    let resolved = |ds: &Dataset| -> Vec<PathBuf> { ds.questions.iter().map(|q| std::fs::canonicalize(ds.image_path(&q.image).unwrap()).unwrap()).collect() };

    // Inside the dataset: paths stay plain relative ones.
    let inside = g.join("all.jsonl");
    let out = ok(dwim().args(["data", "convert"]).arg(&g).arg("--out").arg(&inside));
    assert!(out.contains("2 questions (gqa dataset)"), "{out}");
    let after = load(&inside);
    assert_eq!(after.format, DataFormat::Jsonl);
    assert_eq!(after.questions, before.questions, "the same items, image paths included");

    // Elsewhere: `../` paths, refused on reading unless allowed; the same items and files.
    let outside = d.path().join("elsewhere/gqa.jsonl");
    ok(dwim().args(["data", "convert"]).arg(&g).arg("--out").arg(&outside));
    let e = Dataset::load(&outside).err().unwrap();
    assert_eq!(e.code, Code::E509, "{}", e.message);
    let allowed = Dataset::load_with(&outside, &DataOptions { allow_outside_images: true, ..DataOptions::default() }).unwrap();
    assert_eq!(resolved(&allowed), resolved(&before));
    let strip = |ds: &Dataset| ds.questions.iter().map(|q| (q.id.clone(), q.question.clone(), q.answer.clone(), q.family.clone(), q.split.clone())).collect::<Vec<_>>();
    assert_eq!(strip(&allowed), strip(&before));

    // A bench-world directory converts too (programs and scene ids kept; annotations are not).
    ok(dwim().args(["bench-world", "generate", "--n", "2", "--out"]).arg(d.path().join("bench")));
    let b = load(&d.path().join("bench"));
    ok(dwim().args(["data", "convert"]).arg(d.path().join("bench")).arg("--out").arg(d.path().join("bench/plain.jsonl")));
    let p = load(&d.path().join("bench/plain.jsonl"));
    assert_eq!(p.questions, b.questions);
    assert!(!p.annotated());
}

#[test]
fn image_paths_that_leave_the_dataset_are_refused_unless_allowed() {
    let d = tempfile::tempdir().unwrap();
    png(&d.path().join("outside.png"));
    let j = d.path().join("ds");
    png(&j.join("in.png"));
    let write = |image: &str| std::fs::write(j.join("q.jsonl"), format!("{{\"id\": \"a\", \"image\": {image:?}, \"question\": \"q\", \"answer\": \"x\"}}\n")).unwrap();
    let abs = d.path().join("outside.png").display().to_string();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.path().join("outside.png"), j.join("link.png")).unwrap();
    let mut cases = vec!["../outside.png".to_string(), abs];
    if cfg!(unix) {
        cases.push("link.png".into());
    }
    for image in &cases {
        write(image);
        let e = Dataset::load(&j).err().unwrap_or_else(|| panic!("{image} must be refused"));
        assert_eq!(e.code, Code::E509, "{image}: {}", e.message);
        assert!(e.message.contains("q.jsonl:1"), "{}", e.message);
        let ds = Dataset::load_with(&j, &DataOptions { allow_outside_images: true, ..DataOptions::default() }).unwrap();
        assert_eq!(ds.item_image(&ds.questions[0]).unwrap().width(), 8, "{image} is read when allowed");
        // The same through a command.
        let (code, _, err) = run(dwim().args(["collect", "--split", "all", "--data"]).arg(&j).arg("--out").arg(d.path().join("c")));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("E509") && err.contains("--allow-outside-images"), "{err}");
    }
    write("in.png");
    assert!(Dataset::load(&j).is_ok());
}

#[test]
fn bad_records_duplicates_and_unknown_splits_have_codes() {
    let d = tempfile::tempdir().unwrap();
    let j = d.path().join("ds");
    png(&j.join("a.png"));
    let good = r#"{"id": "a", "image": "a.png", "question": "q", "answer": "x", "split": "train"}"#;
    let cases = [
        (format!("{good}\n{{\"id\": \"b\", \"image\": \n"), "q.jsonl:2"),
        (format!("{good}\n\n{{\"id\": \"b\", \"question\": \"q\", \"answer\": \"x\"}}\n"), "q.jsonl:3"),
        (format!("{good}\n{{\"id\": \"b\", \"image\": \"a.png\", \"question\": \"q\", \"answer\": null}}\n"), "q.jsonl:2"),
        (format!("{good}\n{{\"id\": \"b\", \"image\": \"a.png\", \"question\": \"q\", \"answer\": \"x\", \"colour\": 1}}\n"), "q.jsonl:2"),
    ];
    for (text, place) in cases {
        std::fs::write(j.join("q.jsonl"), &text).unwrap();
        let e = Dataset::load(&j).err().unwrap_or_else(|| panic!("{text}"));
        assert_eq!(e.code, Code::E504, "{}", e.message);
        assert!(e.message.contains(place), "{place}: {}", e.message);
    }
    let (code, _, err) = run(dwim().args(["data", "inspect"]).arg(&j));
    assert_eq!(code, 2);
    assert!(err.contains("E504") && err.contains("q.jsonl:2"), "{err}");

    std::fs::write(j.join("q.jsonl"), format!("{good}\n{}\n", good.replace("\"q\"", "\"another\""))).unwrap();
    let e = Dataset::load(&j).err().unwrap();
    assert_eq!(e.code, Code::E504);
    assert!(e.message.contains("\"a\" appears twice") && e.message.contains("q.jsonl:1") && e.message.contains("q.jsonl:2"), "{}", e.message);

    std::fs::write(j.join("q.jsonl"), format!("{good}\n")).unwrap();
    let ds = load(&j);
    assert_eq!(ds.check_split("train").map_err(|d| d.code), Ok(()));
    assert_eq!(ds.check_split("tain").unwrap_err().code, Code::E505);
    let (code, _, err) = run(dwim().args(["collect", "--split", "tain", "--data"]).arg(&j).arg("--out").arg(d.path().join("c")));
    assert_eq!(code, 2);
    assert!(err.contains("E505") && err.contains("no such split"), "{err}");
}

/// A bench-world dataset and its plain JSON Lines form (`program` fields, no annotations).
fn bench_and_plain(d: &Path, n: usize) -> (PathBuf, PathBuf) {
    let bench = d.join("bench");
    ok(dwim().args(["bench-world", "generate", "--n", &n.to_string(), "--seed", "3", "--out"]).arg(&bench));
    let plain = bench.join("plain.jsonl");
    ok(dwim().args(["data", "convert"]).arg(&bench).arg("--out").arg(&plain));
    (bench, plain)
}

fn workflows(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("workflows.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn collect_on_jsonl_with_programs_and_honest_judges() {
    let d = tempfile::tempdir().unwrap();
    let (bench, plain) = bench_and_plain(d.path(), 8);

    // The plain form has programs but no annotations: the rule judge is off, and says so once.
    let (code, out, err) = run(dwim().args(["collect", "--workers", "1", "--format", "json", "--data"]).arg(&plain).arg("--out").arg(d.path().join("plain-dw")));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(err.matches("no annotations: the rule judge is off").count(), 1, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["judge"], "answer-check");
    assert_eq!(s["tools"], "benchmark");
    let ws = workflows(&d.path().join("plain-dw"));
    assert!(ws.len() > 10 && ws.iter().any(|w| w["viable"] == true), "{}", ws.len());
    for w in &ws {
        let steps = w["steps"].as_array().unwrap();
        // No step is called a discrepancy without annotations: no rethink, no tool_failure flag.
        assert!(steps.iter().all(|r| r["kind"] != "rethink" && r["flag"]["reason"] != "tool_failure"), "{w}");
        // The ground-truth-conditioned check marks workflows whose answer misses the truth, only those.
        if w["discrepancy"].is_string() {
            assert_eq!(w["viable"], false, "{w}");
        }
        if w["viable"] == true {
            assert!(w["discrepancy"].is_null(), "{w}");
        }
    }
    assert!(ws.iter().any(|w| w["discrepancy"].as_str().is_some_and(|m| m.contains("does not match the ground truth"))));
    assert_eq!(s["answer_discrepancies"].as_u64().unwrap() as usize, ws.iter().filter(|w| w["discrepancy"].is_string()).count());

    // The same questions with annotations: the rule judge runs, finds discrepancies, the teacher rethinks.
    let (code, out, err) = run(dwim().args(["collect", "--workers", "1", "--format", "json", "--data"]).arg(&bench).arg("--out").arg(d.path().join("bench-dw")));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("no annotations"), "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["judge"], "rule");
    assert!(s["utilization"]["rethinks"].as_u64().unwrap() > 0);
    assert!(workflows(&d.path().join("bench-dw")).iter().all(|w| w["discrepancy"].is_null()));

    // No programs: the programmatic teacher cannot work; exit 2 at once, saying why.
    let bare = d.path().join("bare");
    png(&bare.join("a.png"));
    std::fs::write(bare.join("q.jsonl"), "{\"id\": \"a\", \"image\": \"a.png\", \"question\": \"How many?\", \"answer\": 1, \"split\": \"train\"}\n").unwrap();
    let (code, _, err) = run(dwim().args(["collect", "--data"]).arg(&bare).arg("--out").arg(d.path().join("bare-out")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E505") && err.contains("no reference programs"), "{err}");
    assert!(!d.path().join("bare-out/workflows.jsonl").exists(), "nothing was collected");
}

#[test]
fn tool_flags_choose_the_registry_collect_runs_with() {
    let d = tempfile::tempdir().unwrap();
    let (bench, _) = bench_and_plain(d.path(), 4);
    // `--tools builtin`: no `detect`, so the teacher's detector steps are rejected by the checker.
    let (code, out, err) = run(dwim().args(["collect", "--tools", "builtin", "--workers", "1", "--format", "json", "--data"]).arg(&bench).arg("--out").arg(d.path().join("builtin")));
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["tools"], "builtin");
    assert!(s["utilization"]["rejected"].as_u64().unwrap() > 0, "{s}");
    let text = std::fs::read_to_string(d.path().join("builtin/workflows.jsonl")).unwrap();
    assert!(text.contains("E101") && text.contains("detect"), "unknown tool `detect`");
    // The default is the benchmark set: far fewer rejections (only the teacher's typos).
    let (_, out, _) = run(dwim().args(["collect", "--workers", "1", "--format", "json", "--data"]).arg(&bench).arg("--out").arg(d.path().join("default")));
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(t["tools"], "benchmark");
    assert!(t["utilization"]["rejected"].as_u64().unwrap() < s["utilization"]["rejected"].as_u64().unwrap(), "{t} vs {s}");
    // Resuming a store with another tool set is refused: the workflows would not be one dataset.
    let (code, _, err) = run(dwim().args(["collect", "--tools", "benchmark", "--workers", "1", "--data"]).arg(&bench).arg("--out").arg(d.path().join("builtin")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("E505") && err.contains("was collected with tool set `builtin`"), "{err}");
    // The same flags resume it.
    let (code, _, err) = run(dwim().args(["collect", "--tools", "builtin", "--workers", "1", "--data"]).arg(&bench).arg("--out").arg(d.path().join("builtin")));
    assert_eq!(code, 0, "{err}");
    // A --plugins directory that is not there is E505 on the workflow commands.
    let x = d.path().join("x").display().to_string();
    for cmd in [&["collect", "--out", x.as_str()][..], &["bench-world", "score", "--split", "all"][..]] {
        let (code, _, err) = run(dwim().args(cmd).arg("--data").arg(&bench).arg("--plugins").arg(d.path().join("nope")));
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert!(err.contains("E505") && err.contains("--plugins"), "{err}");
    }
    // bench-world score uses the registry too: builtin tools cannot run the reference workflows.
    let out = ok(dwim().args(["bench-world", "score", "--split", "all", "--tools", "builtin", "--format", "json", "--data"]).arg(&bench));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tools"], "builtin");
    assert_eq!(v["workflow_accuracy"]["all"]["hits"], 0);
}

#[cfg(feature = "train")]
#[test]
fn eval_shards_merge_to_one_run_and_agent_takes_dataset_questions() {
    let d = tempfile::tempdir().unwrap();
    let (bench, plain) = bench_and_plain(d.path(), 20);
    ok(dwim().args(["collect", "--limit", "12", "--data"]).arg(&bench).arg("--out").arg(d.path().join("dw")));
    let samples = d.path().join("data/im.jsonl");
    ok(dwim().args(["mask", "--mode", "im", "--context", "packed", "--prompt", "minimal", "--tokenizer", "new:400", "--traces"]).arg(d.path().join("dw")).arg("--out").arg(&samples));
    let pol = d.path().join("pol");
    ok(dwim().args(["train", "--model", "micro", "--steps", "3", "--data"]).arg(&samples).arg("--tokenizer").arg(d.path().join("data/tokenizer.json")).arg("--out").arg(&pol));

    let eval = |extra: &[&str]| -> serde_json::Value {
        let out = ok(dwim().args(["eval", "--split", "all", "--limit", "10", "--max-steps", "2", "--format", "json", "--policy"]).arg(&pol).arg("--data").arg(&plain).args(extra));
        serde_json::from_str(&out).unwrap()
    };
    let whole = eval(&[]);
    assert_eq!(whole["report"]["episodes"], 10);
    let shards = d.path().join("shards");
    let s0 = eval(&["--shard", "0/2", "--out", shards.join("a").to_str().unwrap()]);
    let s1 = eval(&["--shard", "1/2", "--out", shards.join("b").to_str().unwrap()]);
    assert_eq!(s0["report"]["episodes"].as_u64().unwrap() + s1["report"]["episodes"].as_u64().unwrap(), 10);
    assert!(shards.join("a/episodes-0of2.jsonl").is_file());
    let merged: serde_json::Value = serde_json::from_str(&ok(dwim().args(["eval", "--format", "json", "--merge"]).arg(shards.join("a")).arg(shards.join("b")))).unwrap();
    assert_eq!(merged, whole, "two shards merged report what one run does");
    // Rerunning a shard resumes: nothing new, the same report.
    assert_eq!(eval(&["--shard", "0/2", "--out", shards.join("a").to_str().unwrap()]), s0);
    // The same shard twice in a merge is an error, not a double count.
    std::fs::copy(shards.join("a/episodes-0of2.jsonl"), shards.join("b/episodes-0of2.jsonl")).unwrap();
    let (code, _, err) = run(dwim().args(["eval", "--merge"]).arg(shards.join("b")).arg(shards.join("a")));
    assert_eq!(code, 2);
    assert!(err.contains("E504"), "{err}");

    // The agent on a dataset question, with the WASM build of the perception tools.
    let first: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&plain).unwrap().lines().next().unwrap()).unwrap();
    let trace = d.path().join("agent.jsonl");
    let (code, out, err) = run(dwim().args(["agent", "--max-steps", "2", "--tools", "benchmark-wasm", "--format", "json", "--policy"]).arg(&pol)
        .arg("--data").arg(&plain).arg("--question-id").arg(first["id"].as_str().unwrap()).arg("--trace").arg(&trace));
    assert!(matches!(code, 0 | 1), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["expected"].is_string(), "{v}");
    assert!(v["correct"].is_boolean());
    assert!(std::fs::read_to_string(&trace).unwrap().lines().count() >= 1);
    let (code, _, err) = run(dwim().args(["agent", "--policy"]).arg(&pol).arg("--data").arg(&plain).arg("--question-id").arg("no-such-id"));
    assert_eq!(code, 2);
    assert!(err.contains("E505") && err.contains("no-such-id"), "{err}");
}
