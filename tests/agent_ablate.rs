//! The DWIM loop end to end through the CLI on a small generated benchmark: generate → collect →
//! mask (packed) → train → eval, and `dwim ablate` printing every row of the table.

use std::path::Path;
use std::process::Command;

fn dwim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dwim"))
}

fn ok(c: &mut Command) -> String {
    let out = c.output().expect("dwim runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{c:?} failed:\n{text}");
    text
}

fn bench(dir: &Path) {
    // 20 scenes, so that the split has test questions (21; 12 scenes give none).
    ok(dwim().args(["bench-world", "generate", "--n", "20", "--seed", "5", "--out"]).arg(dir.join("bench")));
}

#[test]
fn packed_masks_record_how_the_policy_is_prompted_and_train_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    bench(dir.path());
    ok(dwim().args(["collect", "--data"]).arg(dir.path().join("bench")).arg("--out").arg(dir.path().join("dw")));
    let data = dir.path().join("data/im.jsonl");
    let out = ok(dwim().args(["mask", "--mode", "im", "--context", "packed", "--prompt", "minimal", "--tokenizer", "new:400", "--traces"])
        .arg(dir.path().join("dw")).arg("--out").arg(&data));
    assert!(out.contains("im samples"), "{out}");
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data.with_extension("policy.json")).unwrap()).unwrap();
    assert_eq!(meta["format"], "sft", "packed samples are conversations: the agent prompts with `Step k: `");
    let pol = dir.path().join("pol");
    ok(dwim().args(["train", "--model", "micro", "--steps", "3", "--data"]).arg(&data).arg("--tokenizer").arg(dir.path().join("data/tokenizer.json")).arg("--out").arg(&pol));
    let copied: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(pol.join("policy.json")).unwrap()).unwrap();
    assert_eq!(copied, meta);
    let ev = ok(dwim().args(["eval", "--limit", "4", "--max-steps", "2", "--tries", "2", "--policy"]).arg(&pol).arg("--data").arg(dir.path().join("bench")));
    assert!(ev.contains("rejected by the checker"), "{ev}");

    // The agent writes a trace of every turn, answered or not (exit 1 when no answer came).
    let trace = dir.path().join("agent.jsonl");
    let out = dwim()
        .args(["agent", "--max-steps", "2", "--policy"])
        .arg(&pol)
        .arg("--image")
        .arg(dir.path().join("bench/images/scene_00000.png"))
        .arg("--trace")
        .arg(&trace)
        .arg("How many red circles are there?")
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&trace).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!records.is_empty() && records.len() <= 2, "{records:?}");
    assert!(records.iter().all(|r| r["schema"] == "dwim.trace/1"));
}

#[test]
fn ablate_prints_every_row_with_its_seeds() {
    let dir = tempfile::tempdir().unwrap();
    bench(dir.path());
    let out = dwim()
        .args(["ablate", "--seeds", "2", "--steps", "2", "--model", "micro", "--eval-limit", "3", "--jobs", "2", "--format", "json", "--data"])
        .arg(dir.path().join("bench"))
        .arg("--out")
        .arg(dir.path().join("ablate"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = t["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["untrained baseline", "SFT", "IM", "DW + SFT", "DW + random masking", "DW + mask with rethink", "DW + IM"]);
    for r in rows {
        assert_eq!(r["accuracies"].as_array().unwrap().len(), 2, "one accuracy per seed: {r}");
    }
    // Rows on the same data see the same packed conversations (one per workflow; a few whose
    // targets do not fit in --max-seq are dropped); only the targets differ.
    let samples = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap()["samples"].as_u64().unwrap();
    assert!(samples("DW + SFT").abs_diff(samples("DW + random masking")) <= 2);
    assert!(samples("DW + IM") > samples("IM"), "DW keeps more workflows");
    for seed in 0..2 {
        assert!(dir.path().join(format!("ablate/runs/dwim-seed{seed}/model.safetensors")).is_file());
        let episodes = std::fs::read_to_string(dir.path().join(format!("ablate/runs/dwim-seed{seed}/episodes.jsonl"))).unwrap();
        assert_eq!(episodes.lines().count(), 3, "one line per evaluated question");
    }
    // Paired comparisons are the per-seed differences of the rows' accuracies.
    let acc = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap()["accuracies"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
    let p = &t["paired"][0];
    assert_eq!(p["name"], "DW + IM − DW + SFT");
    let diffs: Vec<f64> = p["differences"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let expect: Vec<f64> = acc("DW + IM").iter().zip(acc("DW + SFT")).map(|(a, b)| a - b).collect();
    assert_eq!(diffs, expect);
}
