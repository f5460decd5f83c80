//! `dwim train` / `dwim tokenizer train` end to end: outputs, kill -9 mid-run then --resume, bad input.
#![cfg(feature = "train")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn dwim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dwim"))
}

fn write_samples(path: &Path, n: usize) {
    let mut text = String::new();
    for i in 0..n {
        let a = 3 + i % 40;
        let prompt: Vec<i64> = (0..12).map(|k| ((i * 31 + k * 17) % 250 + 3) as i64).collect();
        let target: Vec<i64> = (0..6).map(|k| ((a * k + 7) % 250 + 3) as i64).collect();
        let mut ids = prompt.clone();
        ids.push(a as i64);
        ids.extend(&target);
        let mut labels = vec![-100i64; prompt.len() + 1];
        labels.extend(&target);
        text.push_str(&serde_json::json!({"input_ids": ids, "labels": labels, "id": format!("s{i}")}).to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn tokenizer_train_writes_a_loadable_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, "objs = detect(image, \"red circle\")\nanswer count(objs)\n".repeat(50)).unwrap();
    let out = dir.path().join("tok.json");
    let st = dwim().args(["tokenizer", "train", "--vocab", "300", "--corpus"]).arg(&corpus).arg("--out").arg(&out).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let tok = dwim::train::tokenizer::load(&out).unwrap();
    let ids = dwim::train::tokenizer::encode(&tok, "answer count(objs)").unwrap();
    assert!(ids.len() < 8, "{ids:?}");
    assert_eq!(dwim::train::tokenizer::decode(&tok, &ids).unwrap(), "answer count(objs)");
    assert_eq!(tok.token_to_id("<|endoftext|>"), Some(0));
}

#[test]
fn kill_mid_run_then_resume_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    write_samples(&data, 40);
    let out = dir.path().join("run");
    let args = |c: &mut Command| {
        c.args(["train", "--model", "micro", "--steps", "30", "--batch", "4", "--lr", "3e-3", "--ckpt-every", "2", "--val-every", "10", "--format", "json", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&out);
    };
    let mut c = dwim();
    args(&mut c);
    let mut child = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let ck = out.join("checkpoint.safetensors");
    let t0 = Instant::now();
    while !ck.exists() && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(ck.exists(), "no checkpoint before the kill");
    let mut c = dwim();
    args(&mut c);
    let res = c.arg("--resume").output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    assert_eq!(v["steps"], 30);
    let resumed = v["steps_this_run"].as_u64().unwrap();
    assert!(resumed > 0 && resumed < 30, "{v}");
    assert!(v["final_loss"].as_f64().unwrap() < v["first_loss"].as_f64().unwrap());
    for f in ["model.safetensors", "config.json", "loss.png", "log.jsonl", "summary.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // the interrupted run ends exactly where an uninterrupted one does
    let whole = dir.path().join("whole");
    let mut c = dwim();
    c.args(["train", "--model", "micro", "--steps", "30", "--batch", "4", "--lr", "3e-3", "--ckpt-every", "2", "--val-every", "10", "--format", "json", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&whole);
    let w: serde_json::Value = serde_json::from_slice(&c.output().unwrap().stdout).unwrap();
    assert_eq!(w["final_loss"], v["final_loss"]);
    assert_eq!(w["val_loss"], v["val_loss"]);
    let model = dwim::train::load::load_model(&out, &candle_core::Device::Cpu).unwrap();
    assert_eq!(model.cfg.vocab, 253);
}

#[test]
fn malformed_data_is_a_diagnostic_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.jsonl");
    std::fs::write(&data, "{\"input_ids\": [1, 2], \"labels\": [-100, 2]}\n{\"input_ids\": [1, 2], \"labels\": [2]}\n").unwrap();
    let r = dwim().args(["train", "--model", "micro", "--data"]).arg(&data).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("E504") && err.contains("bad.jsonl:2"), "{err}");
    let good = dir.path().join("good.jsonl");
    write_samples(&good, 3);
    let r = dwim().args(["train", "--model", "nope/none", "--data"]).arg(&good).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("E411"));
}

/// `--model hf:OWNER/NAME` reads a repository from the Hugging Face cache layout (`$HF_HOME/hub`); offline
/// and missing a file, the error names it.
#[test]
fn hf_model_spec_loads_from_the_hub_cache_and_names_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("samples.jsonl");
    write_samples(&data, 8);
    let base = dir.path().join("base");
    let st = dwim().args(["train", "--model", "micro", "--steps", "1", "--data"]).arg(&data).arg("--out").arg(&base).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let hub = dir.path().join("hf/hub/models--someone--micro-llama");
    let snap = hub.join("snapshots/0123abcd");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::create_dir_all(hub.join("refs")).unwrap();
    std::fs::write(hub.join("refs/main"), "0123abcd").unwrap();
    std::fs::copy(base.join("config.json"), snap.join("config.json")).unwrap();
    std::fs::copy(base.join("model.safetensors"), snap.join("model.safetensors")).unwrap();
    let tok_dir = dir.path().join("tok");
    std::fs::create_dir_all(&tok_dir).unwrap();
    std::fs::write(tok_dir.join("corpus.txt"), "Step 1: answer 1\n".repeat(40)).unwrap();
    let st = dwim().args(["tokenizer", "train", "--vocab", "300", "--corpus"]).arg(tok_dir.join("corpus.txt")).arg("--out").arg(snap.join("tokenizer.json")).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));

    let train = |out: &str| {
        dwim()
            .env("HF_HOME", dir.path().join("hf"))
            .env("HF_HUB_OFFLINE", "1")
            .args(["train", "--model", "hf:someone/micro-llama", "--steps", "1", "--format", "json", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(dir.path().join(out))
            .output()
            .unwrap()
    };
    let ok = train("ft");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(dir.path().join("ft/tokenizer.json").is_file(), "the repository's tokenizer comes along");

    std::fs::remove_file(snap.join("model.safetensors")).unwrap();
    let bad = train("ft2");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("model.safetensors") && err.contains("hf:someone/micro-llama"), "{err}");
}

#[test]
fn divergence_is_e602_and_every_label_masked_is_e601() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    write_samples(&good, 8);
    let r = dwim().args(["train", "--model", "micro", "--steps", "20", "--lr", "1e30", "--data"]).arg(&good).arg("--out").arg(dir.path().join("o")).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_ne!(r.status.code(), Some(0), "{err}");
    assert!(err.contains("E602") && !err.contains("E499"), "{err}");
    let masked = dir.path().join("masked.jsonl");
    std::fs::write(&masked, "{\"input_ids\": [5, 6, 7], \"labels\": [-100, -100, -100]}\n".repeat(3)).unwrap();
    let r = dwim().args(["train", "--model", "micro", "--steps", "2", "--data"]).arg(&masked).arg("--out").arg(dir.path().join("m")).output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_ne!(r.status.code(), Some(0), "{err}");
    assert!(err.contains("E601"), "{err}");
}

#[test]
fn a_vocabulary_over_the_limit_is_e505_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    std::fs::write(&corpus, "a b c\n").unwrap();
    let r = dwim().args(["tokenizer", "train", "--vocab", "4294967295", "--corpus"]).arg(&corpus).arg("--out").arg(dir.path().join("t.json")).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("E505"));
}
