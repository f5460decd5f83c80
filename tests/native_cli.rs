//! `--native DIR`, `--native-tools`, `--device`, `--dtype` on `dwim run` and `dwim tools`, with
//! small random-initialised checkpoints the test writes (Depth-Anything-v2, PaliGemma, CLIP).
#![cfg(feature = "native")]

use dwim::tools::native::fixtures;
use std::path::Path;
use std::process::{Command, Output};

fn dwim(args: &[&str], hf_home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("HF_HOME", hf_home)
        .env("HF_HUB_OFFLINE", "1")
        .env_remove("DWIM_MODELS")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A models dir with tiny depth, PaliGemma and CLIP checkpoints, an empty HF home, a photo.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    fixtures::write_tiny_depth(&models.join("depth-anything-v2"), 1, false).unwrap();
    fixtures::write_tiny_paligemma(&models.join("paligemma"), 1).unwrap();
    fixtures::write_tiny_clip(&models.join("clip"), 1).unwrap();
    let hf = tmp.path().join("hf");
    std::fs::create_dir_all(&hf).unwrap();
    let img = image::RgbImage::from_fn(80, 60, |x, y| image::Rgb([(x * 3) as u8, (y * 4) as u8, 90]));
    let png = tmp.path().join("photo.png");
    img.save(&png).unwrap();
    (tmp, models, hf, png.display().to_string())
}

#[test]
fn run_a_workflow_with_native_tools_from_a_models_dir() {
    let (_tmp, models, hf, png) = setup();
    let prog = "tests/fixtures/native/depth_vqa_detect.wf";
    let m = models.display().to_string();
    let o = dwim(&["run", prog, "--image", &png, "--native", &m, "--format", "json"], &hf);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    assert_eq!(doc["ok"], true);
    let a = doc["answer"].as_array().unwrap();
    assert_eq!(a.len(), 4);
    assert!(a[0].as_f64().is_some_and(|d| (0.0..=1.0).contains(&d)));
    assert!(a[2].is_string() && a[3].is_number());
    // Same flags, explicit device and precision, human output.
    let o = dwim(&["run", prog, "--image", &png, "--native", &m, "--device", "cpu", "--dtype", "f32"], &hf);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("answer: "));
    // Half precision on CPU: f16 runs; bf16 is refused up front (candle has no CPU bf16 matmul).
    let o = dwim(&["run", prog, "--image", &png, "--native", &m, "--dtype", "f16"], &hf);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = dwim(&["run", prog, "--image", &png, "--native", &m, "--dtype", "bf16"], &hf);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bf16"), "{}", text(&o.stderr));
    // Without --native the checker does not know `depth`.
    let o = dwim(&["check", prog], &hf);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("depth"));
}

#[test]
fn tools_lists_native_tools_and_missing_models() {
    let (_tmp, models, hf, _) = setup();
    let m = models.display().to_string();
    let o = dwim(&["tools", "--native", &m], &hf);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("tool set `builtin+native`"), "{out}");
    for sig in [
        "depth(image: image|region) -> number",
        "vqa(image: image|region, question: text) -> text",
        "detect(image: image|region, query: text) -> list[region]",
        "classify(image: image|region, labels: list[text]) -> text",
    ] {
        assert!(out.contains(sig), "missing {sig} in\n{out}");
    }
    assert!(!out.contains("text_similarity("), "no MiniLM weights, no MiniLM tools");
    assert!(out.contains("native model all-MiniLM-L6-v2 (text_similarity, best_text_match): not found"), "{out}");
    assert!(out.contains("native model paligemma (vqa, detect): weights found"), "{out}");

    let o = dwim(&["tools", "--native", &m, "--format", "json"], &hf);
    let doc: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let depth = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "depth").unwrap();
    assert_eq!(depth["kind"], "native");
    assert_eq!(doc["native_models"].as_array().unwrap().len(), 5);
}

#[test]
fn missing_weights_are_errors_naming_the_file() {
    let (tmp, models, hf, png) = setup();
    let m = models.display().to_string();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = empty.display().to_string();

    // Requested but absent: exit 2, the file named, where it was looked for.
    let o = dwim(&["tools", "--native", &e, "--native-tools", "depth"], &hf);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("E411") && err.contains("depth_anything_v2_vits.safetensors") && err.contains("searched:"), "{err}");

    // A model folder missing one file.
    std::fs::remove_file(models.join("paligemma/tokenizer.json")).unwrap();
    let o = dwim(&["run", "tests/fixtures/native/depth_vqa_detect.wf", "--image", &png, "--native", &m], &hf);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("tokenizer.json"), "{}", text(&o.stderr));

    // Only the tools asked for are added.
    let o = dwim(&["tools", "--native", &m, "--native-tools", "depth,classify"], &hf);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("depth(") && out.contains("classify(") && !out.contains("best_image_match("), "{out}");

    for (flag, value) in [("--native-tools", "teleport"), ("--device", "tpu"), ("--dtype", "f8"), ("--native", "/nonexistent/models")] {
        let mut args = vec!["tools", flag, value];
        if flag != "--native" {
            args.extend(["--native", m.as_str()]);
        }
        let o = dwim(&args, &hf);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(value), "{flag} {value}: {}", text(&o.stderr));
    }
}

/// `dwim` with `$DWIM_MODELS` set to `models`.
fn dwim_models(args: &[&str], hf_home: &Path, models: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dwim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("HF_HOME", hf_home)
        .env("HF_HUB_OFFLINE", "1")
        .env("DWIM_MODELS", models)
        .output()
        .unwrap()
}

#[test]
fn the_default_models_dir_is_searched_without_a_flag_and_collisions_are_explicit() {
    let (_tmp, models, hf, png) = setup();
    let prog = "tests/fixtures/native/depth_vqa_detect.wf";
    // No --native: $DWIM_MODELS is searched, its tools are added with their origin.
    let o = dwim_models(&["run", prog, "--image", &png, "--format", "json"], &hf, &models);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let o = dwim_models(&["tools", "--format", "json"], &hf, &models);
    let doc: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let depth = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "depth").expect("depth listed");
    assert_eq!(depth["origin"]["kind"], "native", "{depth}");
    assert_eq!(depth["origin"]["source"], models.display().to_string());
    // --no-default-native turns that off.
    let o = dwim_models(&["check", prog, "--no-default-native"], &hf, &models);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    // The benchmark set has its own `vqa` and `detect`: found native ones are skipped, and said so.
    let o = dwim_models(&["tools", "--tools", "benchmark"], &hf, &models);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("native `vqa` not added"), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("depth("), "{}", text(&o.stdout));
    // Asked for explicitly, the same collision is an error until --override says which wins.
    let m = models.display().to_string();
    let o = dwim(&["tools", "--tools", "benchmark", "--native", &m], &hf);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("E506"), "{}", text(&o.stderr));
    let o = dwim(&["tools", "--tools", "benchmark", "--native", &m, "--override", "vqa,detect", "--format", "json"], &hf);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let vqa = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "vqa").expect("vqa listed");
    assert_eq!(vqa["origin"]["kind"], "native", "{vqa}");
}
