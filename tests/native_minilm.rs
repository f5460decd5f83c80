//! MiniLM text embeddings with the real all-MiniLM-L6-v2 weights (skipped, with a note, when
//! scripts/fetch-models.sh has not been run), and the offline error when they are missing.
#![cfg(feature = "native")]

mod native_common;

use dwim::tools::native::{add_native_tools, NativeConfig, TextEmbedder};
use dwim::{Code, Limits, Registry, Session, Value};

fn answer(reg: &Registry, program: &str) -> Result<Value, dwim::Diagnostic> {
    let mut s = Session::new(reg, Limits::default());
    let outcomes = s.feed(program).map_err(|d| d[0].clone())?;
    if let Some(e) = outcomes.iter().find_map(|o| o.error()) {
        return Err(e.clone());
    }
    Ok(s.answer().cloned().unwrap_or(Value::None))
}

#[test]
fn known_pair_has_the_published_cosine() {
    let Some(_) = native_common::weights("all-MiniLM-L6-v2", "model.safetensors") else { return };
    let e = TextEmbedder::shared(&native_common::real_cfg()).unwrap();
    let s = e.similarity("A man is eating food.", "A man is eating a piece of bread.").unwrap();
    assert!((s - 0.755).abs() < 0.005, "cosine {s}");
    let v = e.embed(&["one", "two words", ""]).unwrap();
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), 384);
        let n: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-4);
    }
    assert!(e.embed(&[]).unwrap().is_empty());
}

#[test]
fn batch_and_single_embeddings_agree() {
    let Some(_) = native_common::weights("all-MiniLM-L6-v2", "model.safetensors") else { return };
    let e = TextEmbedder::shared(&native_common::real_cfg()).unwrap();
    let batch = e.embed(&["short", "a much longer sentence about a red bicycle leaning on a wall"]).unwrap();
    let single = e.embed(&["short"]).unwrap();
    let d: f32 = batch[0].iter().zip(&single[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(d < 1e-4, "padding changed the embedding by {d}");
    let long = "word ".repeat(2000);
    assert_eq!(e.embed(&[&long]).unwrap()[0].len(), 384, "long input is truncated, not an error");
}

#[test]
fn tools_run_in_a_session() {
    let Some(_) = native_common::weights("all-MiniLM-L6-v2", "model.safetensors") else { return };
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &native_common::real_cfg());
    let v = answer(&reg, "answer best_text_match(\"a small feline pet\", [\"truck\", \"kitten\", \"bridge\"])\n").unwrap();
    assert!(matches!(&v, Value::Text(t) if &**t == "kitten"), "{v:?}");
    let v = answer(&reg, "answer text_similarity(\"A man is eating food.\", \"A man is eating a piece of bread.\")\n").unwrap();
    let Value::Number(n) = v else { panic!("{v:?}") };
    assert!((n - 0.755).abs() < 0.005);
    let e = answer(&reg, "answer best_text_match(\"x\", [])\n").unwrap_err();
    assert_eq!(e.code, Code::E402);
}

#[test]
fn missing_weights_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = NativeConfig::default().offline().with_model_dir("all-MiniLM-L6-v2", dir.path());
    let err = TextEmbedder::shared(&cfg).err().expect("no weights there");
    assert_eq!(err.code, Code::E411);
    assert!(err.message.contains("config.json"), "{}", err.message);
    assert!(err.label.as_deref().unwrap_or("").contains(&dir.path().display().to_string()));

    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &cfg);
    let e = answer(&reg, "answer text_similarity(\"a\", \"b\")\n").unwrap_err();
    assert_eq!(e.code, Code::E411);
}

#[test]
fn native_tools_have_native_signatures() {
    let mut reg = Registry::builtin();
    add_native_tools(&mut reg, &NativeConfig::default().offline());
    for name in ["text_similarity", "best_text_match", "read_text", "classify", "best_image_match"] {
        let t = reg.get(name).unwrap_or_else(|| panic!("{name} registered"));
        assert_eq!(t.signature().kind, dwim::tools::ToolKind::Native);
    }
    assert!(reg.prompt().contains("best_text_match(text: text, candidates: list[text]) -> text"), "{}", reg.prompt());
}
