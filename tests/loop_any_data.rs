//! The whole DWIM loop on data that is not dwim's own world, through the CLI as a user runs it:
//! data inspect → collect → mask → train → eval → agent, on a plain JSON Lines dataset in a folder
//! of its own (no scenes, no annotations), and on a two-image (NLVR2-style) dataset the test draws.
#![cfg(feature = "train")]

use dwim::world::demo::{draw_objects, Object};
use std::path::Path;
use std::process::Command;

fn dwim(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dwim"));
    c.current_dir(dir).env("DWIM_MODELS", dir.join("no-models"));
    c
}

fn ok(c: &mut Command) -> String {
    let o = c.output().unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert!(o.status.success(), "{c:?}\n{out}\n{err}");
    out + &err
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn lines(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p).unwrap().lines().map(json).collect()
}

/// collect → mask → train (a micro policy, 3 updates) on `data`; the policy's directory.
fn collect_mask_train(d: &Path, data: &Path) -> std::path::PathBuf {
    ok(dwim(d).args(["collect", "--workers", "1", "--data"]).arg(data).arg("--out").arg(d.join("dw")));
    let samples = d.join("masked/im.jsonl");
    let out = ok(dwim(d).args(["mask", "--mode", "im", "--context", "packed", "--prompt", "minimal", "--tokenizer", "new:400", "--traces"]).arg(d.join("dw")).arg("--out").arg(&samples));
    assert!(out.contains("im samples"), "{out}");
    let pol = d.join("pol");
    ok(dwim(d).args(["train", "--model", "micro", "--steps", "3", "--data"]).arg(&samples).arg("--tokenizer").arg(d.join("masked/tokenizer.json")).arg("--out").arg(&pol));
    assert!(pol.join("policy.json").is_file());
    pol
}

#[test]
fn the_whole_loop_on_a_json_lines_dataset_of_ones_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A user's dataset: a folder with images and one questions.jsonl (made here from a generated
    // world, then moved away from it: no scenes.jsonl, no annotations).
    ok(dwim(d).args(["bench-world", "generate", "--n", "20", "--seed", "5", "--out", "world"]));
    ok(dwim(d).args(["data", "convert", "world", "--out", "world/questions.jsonl"]));
    let mine = d.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::rename(d.join("world/images"), mine.join("images")).unwrap();
    std::fs::rename(d.join("world/questions.jsonl"), mine.join("questions.jsonl")).unwrap();
    std::fs::remove_dir_all(d.join("world")).unwrap();

    let inspected = json(&ok(dwim(d).args(["data", "inspect", "mine", "--format", "json"])));
    assert_eq!(inspected["format"], "jsonl", "{inspected}");

    let pol = collect_mask_train(d, &mine);
    let ws = lines(&d.join("dw/workflows.jsonl"));
    assert!(ws.len() >= 20 && ws.iter().any(|w| w["viable"] == true), "{}", ws.len());

    let ev = json(&ok(dwim(d).args(["eval", "--split", "all", "--limit", "6", "--max-steps", "2", "--format", "json", "--policy"]).arg(&pol).arg("--data").arg(&mine)));
    assert_eq!(ev["report"]["episodes"], 6, "{ev}");

    let first = &lines(&mine.join("questions.jsonl"))[0];
    let trace = d.join("agent.jsonl");
    let o = dwim(d).args(["agent", "--max-steps", "2", "--policy"]).arg(&pol).arg("--data").arg(&mine).arg("--question-id").arg(first["id"].as_str().unwrap()).arg("--trace").arg(&trace).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    let records = lines(&trace);
    assert!(!records.is_empty() && records.iter().all(|r| r["schema"] == "dwim.trace/1"), "{records:?}");
}

#[test]
fn a_two_image_dataset_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("pairs");
    std::fs::create_dir_all(data.join("img")).unwrap();
    // Pairs with 1–3 objects on the left and 1–3 on the right; the question compares the counts.
    let spots = [[20, 20, 70, 70], [150, 100, 210, 160], [240, 20, 300, 80]];
    let colours = ["red", "blue", "green"];
    let mut jsonl = String::new();
    for i in 0..16usize {
        let (l, r) = (1 + i % 3, 1 + (i / 3) % 3);
        let draw = |n: usize, path: &Path| {
            let objs: Vec<Object> = (0..n).map(|k| Object::new(if k % 2 == 0 { "circle" } else { "square" }, colours[(k + i) % 3], spots[k])).collect();
            draw_objects(320, 240, &objs).save(path).unwrap();
        };
        draw(l, &data.join(format!("img/{i}_l.png")));
        draw(r, &data.join(format!("img/{i}_r.png")));
        let answer = if l > r { "yes" } else { "no" };
        let rec = serde_json::json!({
            "id": format!("pair{i}"), "images": {"left": format!("img/{i}_l.png"), "right": format!("img/{i}_r.png")},
            "question": "Are there more objects in the left image than in the right one?", "answer": answer,
            "family": "compare", "split": if i % 4 == 3 { "test" } else { "train" },
            "program": "l = segment(left)\nr = segment(right)\nanswer to_yesno(len(l) > len(r))\n",
        });
        jsonl.push_str(&format!("{rec}\n"));
    }
    std::fs::write(data.join("pairs.jsonl"), jsonl).unwrap();

    let pol = collect_mask_train(d, &data);
    let ws = lines(&d.join("dw/workflows.jsonl"));
    assert_eq!(ws.len(), 12, "the train split's questions");
    let text = std::fs::read_to_string(d.join("dw/workflows.jsonl")).unwrap();
    assert!(text.contains("segment(left)") && text.contains("segment(right)"), "the workflows use both images");
    // Each workflow names both images; the reference programs answer right on these drawings, so
    // most workflows are viable (the programmatic teacher makes deliberate slips, as a model does),
    // and a viable one gave the ground truth.
    for w in &ws {
        assert_eq!(w["images"]["left"].as_str().unwrap(), w["image"].as_str().unwrap(), "{w}");
        assert!(w["images"]["right"].as_str().unwrap().ends_with("_r.png"), "{w}");
        if w["viable"] == true {
            assert_eq!(w["given"], w["answer"], "{w}");
        }
    }
    let viable = ws.iter().filter(|w| w["viable"] == true).count();
    assert!(viable >= 8, "{viable} of 12 viable");

    let ev = json(&ok(dwim(d).args(["eval", "--max-steps", "2", "--format", "json", "--policy"]).arg(&pol).arg("--data").arg(&data)));
    assert_eq!(ev["report"]["episodes"], 4, "the test split: {ev}");

    // The agent on one pair: both images are bound (a step naming them checks).
    let trace = d.join("agent.jsonl");
    let o = dwim(d).args(["agent", "--max-steps", "2", "--policy"]).arg(&pol).arg("--data").arg(&data).args(["--question-id", "pair3", "--trace"]).arg(&trace).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!lines(&trace).is_empty());
    // A program over the pair, checked against the dataset's input names.
    std::fs::write(d.join("pair.wf"), "answer to_yesno(len(segment(left)) > len(segment(right)))\n").unwrap();
    ok(dwim(d).args(["check", "pair.wf", "--input", "left", "--input", "right"]));
}
