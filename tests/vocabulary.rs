//! Tools say what they cannot do: a perception query word outside the detector's vocabulary is a
//! coded error naming it (not "match everything"), and the checker warns about it (W101) before
//! anything runs.

use dwim::world::demo::{draw_objects, Object};
use std::process::Command;

fn dwim(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dwim")).args(args).current_dir(dir).env("DWIM_MODELS", dir.join("none")).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70]), Object::new("square", "blue", [150, 100, 210, 160])]).save(dir.path().join("s.png")).unwrap();
    std::fs::write(dir.path().join("teal.wf"), "objs = detect(image, \"teal shape\")\nanswer count(objs)\n").unwrap();
    std::fs::write(dir.path().join("red.wf"), "objs = detect(image, \"the red circles\")\nanswer count(objs)\n").unwrap();
    std::fs::write(dir.path().join("vqa.wf"), "answer vqa(image, \"How many teal things are there?\")\n").unwrap();
    dir
}

#[test]
fn an_unknown_query_word_is_refused_by_the_tool_and_warned_about_by_the_checker() {
    let dir = setup();
    let d = dir.path();
    // The checker: a warning naming the word and the tool's vocabulary; the program still checks.
    let (code, out, err) = dwim(&["check", "teal.wf", "--tools", "benchmark"], d);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("W101") && err.contains("`teal`") && err.contains("teal.wf:1:"), "{err}");
    assert!(out.contains("1 warning"), "{out}");
    let (_, out, _) = dwim(&["check", "teal.wf", "--tools", "benchmark", "--format", "json"], d);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["warnings"][0]["code"], "W101");
    assert_eq!(doc["warnings"][0]["severity"], "warning");
    assert_eq!((doc["warnings"][0]["line"].as_u64(), doc["warnings"][0]["col"].as_u64()), (Some(1), Some(22)), "{doc}");

    // The tool: before, "teal shape" matched every object; now it is E402 naming the word.
    let (code, _, err) = dwim(&["run", "teal.wf", "--image", "s.png", "--tools", "benchmark"], d);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E402") && err.contains("does not know `teal`") && err.contains("colours: red"), "{err}");
    // The same code as a sandboxed plugin says the same, with the same code.
    let (code, _, err) = dwim(&["run", "teal.wf", "--image", "s.png", "--tools", "benchmark-wasm"], d);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E402") && err.contains("does not know `teal`"), "{err}");
    // vqa's counting questions read their object words the same way.
    let (code, _, err) = dwim(&["run", "vqa.wf", "--image", "s.png", "--tools", "benchmark"], d);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E402") && err.contains("`teal`"), "{err}");

    // Known words and fillers: no warning, the right answer, on both sets.
    for set in ["benchmark", "benchmark-wasm"] {
        let (code, out, err) = dwim(&["run", "red.wf", "--image", "s.png", "--tools", set, "--format", "json"], d);
        assert_eq!(code, 0, "{set}: {err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["answer"], 1.0, "{set}: {doc}");
        assert_eq!(doc["warnings"], serde_json::json!([]), "{set}");
    }
}

#[test]
fn the_vocabulary_is_part_of_the_signature() {
    let dir = setup();
    let (_, out, _) = dwim(&["tools", "--tools", "benchmark", "--format", "json"], dir.path());
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let detect = doc["tools"].as_array().unwrap().iter().find(|t| t["name"] == "detect").unwrap();
    let vocab: Vec<&str> = detect["params"][1]["vocab"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    for w in ["red", "teal"] {
        assert_eq!(vocab.contains(&w), w == "red", "{w}: {vocab:?}");
    }
    assert!(vocab.contains(&"circles") && vocab.contains(&"small") && vocab.contains(&"the"));
}
