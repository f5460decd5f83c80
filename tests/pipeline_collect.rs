//! DW collection end to end: resumable after `kill -9` (every question exactly once), shards merge to
//! the same result as one run, DW raises data utilization, and flags/masks come out of real runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn dwim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dwim"))
}

fn generate(dir: &Path, n: usize) -> std::path::PathBuf {
    let data = dir.join("bench");
    let o = dwim().args(["bench-world", "generate", "--out", data.to_str().unwrap(), "--n", &n.to_string(), "--seed", "7"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    data
}

fn collect(data: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["collect", "--data", data.to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let o = dwim().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// id → workflow JSON without what differs between runs (run ids, timings).
fn canonical(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(e.path()).unwrap().lines() {
            let mut w: serde_json::Value = serde_json::from_str(line).unwrap();
            for r in w["steps"].as_array_mut().unwrap() {
                r["run_id"] = "".into();
                r["wall_us"] = 0.into();
                for c in r["calls"].as_array_mut().unwrap() {
                    c["wall_us"] = 0.into();
                }
            }
            let id = w["id"].as_str().unwrap().to_string();
            assert!(out.insert(id.clone(), w).is_none(), "question {id} appears twice");
        }
    }
    out
}

#[test]
fn kill_9_then_rerun_gives_every_question_exactly_once_and_shards_merge() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), 120);
    let whole = dir.path().join("whole");
    let summary = collect(&data, &whole, &["--workers", "2"]);
    let reference = canonical(&whole);
    assert_eq!(summary["workflows"].as_u64().unwrap() as usize, reference.len());
    assert!(reference.len() > 300);

    // Kill -9 mid-run, then re-run.
    let killed = dir.path().join("killed");
    let mut child = dwim()
        .args(["collect", "--data", data.to_str().unwrap(), "--out", killed.to_str().unwrap(), "--workers", "1", "--format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let file = killed.join("workflows.jsonl");
    let t0 = Instant::now();
    while std::fs::read_to_string(&file).map(|t| t.lines().count()).unwrap_or(0) < 20 && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = std::fs::read_to_string(&file).unwrap().lines().count();
    assert!(partial < reference.len(), "the run was killed before it finished ({partial} of {})", reference.len());
    collect(&data, &killed, &["--workers", "2"]);
    assert_eq!(canonical(&killed), reference, "resumed run differs from an uninterrupted one");

    // Three shards into one directory read back as the single run.
    let sharded = dir.path().join("sharded");
    for k in 0..3 {
        collect(&data, &sharded, &["--shard", &format!("{k}/3")]);
    }
    assert_eq!(canonical(&sharded), reference, "shards differ from one run");
}

#[test]
fn dw_raises_utilization_and_real_workflows_flag_and_mask() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), 60);
    let dw = collect(&data, &dir.path().join("dw"), &[]);
    let nodw = collect(&data, &dir.path().join("nodw"), &["--no-dw"]);
    let rate = |s: &serde_json::Value| {
        let fams = s["utilization"]["families"].as_object().unwrap();
        let (v, n) = fams.values().fold((0, 0), |a, x| (a.0 + x[0].as_u64().unwrap(), a.1 + x[1].as_u64().unwrap()));
        v as f64 / n as f64
    };
    let (with, without) = (rate(&dw), rate(&nodw));
    assert!(with > without + 0.1, "DW {with:.3} vs no DW {without:.3}");
    assert!(dw["utilization"]["rethinks"].as_u64().unwrap() > 0);
    assert_eq!(nodw["utilization"]["rethinks"], 0);

    // Every step of every collected workflow carries κ; tool failures exist exactly where rethinks do.
    for line in std::fs::read_to_string(dir.path().join("dw/workflows.jsonl")).unwrap().lines() {
        let w: serde_json::Value = serde_json::from_str(line).unwrap();
        let steps = w["steps"].as_array().unwrap();
        assert!(steps.iter().all(|r| r["flag"].is_object()));
        let rethinks = steps.iter().filter(|r| r["kind"] == "rethink").count();
        let failures = steps.iter().filter(|r| r["flag"]["reason"] == "tool_failure").count();
        assert!(failures <= rethinks);
    }

    let out = dir.path().join("data/im.jsonl");
    let o = dwim()
        .args(["mask", "--traces", dir.path().join("dw").to_str().unwrap(), "--mode", "im", "--context", "prefix", "--tokenizer", "new:512",
            "--out", out.to_str().unwrap(), "--chat", dir.path().join("data/im.chat.jsonl").to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(s["samples"].as_u64().unwrap() > 100);
    let first: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&out).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["input_ids"].as_array().unwrap().len(), first["labels"].as_array().unwrap().len());
    assert!(dir.path().join("data/tokenizer.json").is_file());

    // Bad input: a workflow file that is not JSON names its file and line, exit 2.
    std::fs::write(dir.path().join("dw/workflows-bad.jsonl"), "{not json\n").unwrap();
    let o = dwim().args(["mask", "--traces", dir.path().join("dw").to_str().unwrap(), "--tokenizer", "new:512", "--out", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("workflows-bad.jsonl:1"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The detector queries among a sample's targets whose colour or shape words are not in the question
/// (plurals folded): the teacher's mistaken queries, habitual or not.
fn miscopied(question: &str, targets: &[&str]) -> (usize, usize) {
    let asked: Vec<String> = question.to_lowercase().split(|c: char| !c.is_alphabetic()).map(|w| w.trim_end_matches('s').to_string()).collect();
    let mut queries = 0;
    let mut wrong = 0;
    for t in targets {
        let Some(at) = t.find("detect(image, \"") else { continue };
        let rest = &t[at + 15..];
        let query = &rest[..rest.find('"').unwrap_or(rest.len())];
        queries += 1;
        wrong += usize::from(query.split_whitespace().map(|w| w.trim_end_matches('s')).any(|w| w != "object" && !asked.iter().any(|a| a == w)));
    }
    (wrong, queries)
}

#[test]
fn habitual_mistakes_are_sft_targets_and_im_masks_them() {
    use dwim::pipeline::collect::{run, CollectConfig};
    use dwim::pipeline::mask::{samples_with, Context, Mode};
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), 60);
    let ds = dwim::data::Dataset::load(&data).unwrap();
    let wfs = run(&ds, &dwim::tools::bench::benchmark(), &dir.path().join("dw"), &CollectConfig { dw: true, ..CollectConfig::default() }, false).unwrap();
    let share = |mode: Mode| {
        let (mut wrong, mut all) = (0, 0);
        for w in &wfs {
            for s in samples_with(w, mode, Context::Packed, "", 0) {
                let (x, n) = miscopied(&w.question, &s.targets());
                wrong += x;
                all += n;
            }
        }
        wrong as f64 / all.max(1) as f64
    };
    let (sft, im) = (share(Mode::Sft), share(Mode::Im));
    // SFT keeps every first attempt (a quarter of colour words are always mistaken, plus random slips);
    // IM targets only effective steps, and a mistaken query that changed a value is not one.
    assert!(sft > 0.15, "SFT targets with a mistaken query: {sft:.3}");
    assert!(im < sft / 2.0, "IM {im:.3} vs SFT {sft:.3}");
}
