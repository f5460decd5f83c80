//! The hand-written pass against candle's autograd (the reference): same loss, same gradient for
//! every weight, on the configurations the trainer meets.

use super::*;
use crate::train::config::{Config, Mlp};
use crate::train::data::{make_batch, Sample, IGNORE};
use crate::train::loss::batch_loss;
use crate::train::optim::collect_grads;
use candle_core::Device;

/// Samples of different lengths (so the batch has right padding), prompts masked, a few targets each.
fn batch(vocab: u32) -> Batch {
    batch_of(vocab, &[(12, 5), (9, 3), (11, 10)])
}

/// Samples of the given (length, prompt length).
fn batch_of(vocab: u32, shape: &[(usize, usize)]) -> Batch {
    let sample = |len: usize, prompt: usize, salt: u32| {
        let ids: Vec<u32> = (0..len as u32).map(|i| (i * 7 + salt * 13 + 3 + i * i * salt) % vocab).collect();
        let labels = ids.iter().enumerate().map(|(i, &t)| if i < prompt { IGNORE } else { t as i64 }).collect();
        Sample::new(ids, labels)
    };
    let samples: Vec<Sample> = shape.iter().enumerate().map(|(i, &(len, prompt))| sample(len, prompt, i as u32)).collect();
    let refs: Vec<&Sample> = samples.iter().collect();
    make_batch(&refs, 256, 0, &Device::Cpu).unwrap()
}

/// Weights away from the N(0, 0.02) init, so no term of the gradient is negligible: norms off 1 and
/// matrices at 0.3.
fn model(cfg: &Config, seed: u64) -> Model {
    let m = Model::init(cfg, seed, &Device::Cpu).unwrap();
    let w = m.base_state().into_iter().map(|(n, t)| (n, if t.rank() == 1 { ((t + 0.1).unwrap() * 1.3).unwrap() } else { (t * 15.0).unwrap() })).collect();
    Model::from_weights(cfg, w, None, &Device::Cpu).unwrap()
}

fn compare(cfg: &Config) {
    compare_on(cfg, &batch(cfg.vocab as u32));
}

fn compare_on(cfg: &Config, b: &Batch) {
    let m = model(cfg, 3);
    let denom = b.n_targets as f64 + 2.0;
    let vars = m.trainable();
    let reference = batch_loss(&m, b, denom).unwrap();
    let want_loss = reference.to_scalar::<f32>().unwrap();
    let want = collect_grads(&reference.backward().unwrap(), &vars);
    let (loss, got) = loss_and_grads(&m, b, denom, &vars).unwrap();
    assert!((loss - want_loss).abs() < 1e-5 * want_loss.abs().max(1.0), "loss {loss} vs {want_loss}");
    for (((name, _), g), w) in vars.iter().zip(&got).zip(&want) {
        let (g, w) = (g.as_ref().unwrap_or_else(|| panic!("{name}: no gradient")), w.as_ref().unwrap());
        assert_eq!(g.dims(), w.dims(), "{name}");
        let scale = w.abs().unwrap().max_keepdim(0).unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        let diff = (g - w).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
        assert!(scale > 0.0, "{name}: the reference gradient is zero");
        assert!(diff <= 2e-4 * scale, "{name}: max difference {diff} against a largest entry of {scale}");
    }
}

#[test]
fn gated_mlp_with_grouped_query_heads_matches_autograd() {
    let cfg = Config::micro(40);
    assert!(cfg.mlp == Mlp::Gated && cfg.n_kv_heads < cfg.n_heads);
    compare(&cfg);
}

#[test]
fn plain_mlp_with_tied_embeddings_matches_autograd() {
    compare(&Config { mlp: Mlp::Plain, tie_embeddings: true, n_kv_heads: 4, n_layers: 3, ..Config::micro(40) });
}

#[test]
fn the_small_preset_matches_autograd_across_threads() {
    // `small` is what the ablation trains; run it on a two-thread pool as well as the caller's.
    let cfg = Config::small(60);
    compare(&cfg);
    rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(|| compare(&cfg));
}

#[test]
fn sequences_longer_than_an_attention_block_match_autograd() {
    // 150 and 130 positions: three query blocks of 64, the last one partial; targets in each block.
    let cfg = Config::micro(40);
    const _: () = assert!(150 > 2 * block::BLOCK && 150 < 3 * block::BLOCK);
    let b = batch_of(40, &[(150, 20), (130, 100)]);
    assert_eq!(b.seq, 150);
    compare_on(&cfg, &b);
}

#[test]
fn models_it_does_not_handle_are_refused_and_bad_tokens_are_errors() {
    let lora = Model::from_weights(
        &Config::micro(40),
        Model::init(&Config::micro(40), 1, &Device::Cpu).unwrap().base_state(),
        Some(crate::train::LoraConfig::all(2)),
        &Device::Cpu,
    )
    .unwrap();
    assert!(!supported(&lora));
    assert!(loss_and_grads(&lora, &batch(40), 1.0, &lora.trainable()).is_err());
    let m = Model::init(&Config::micro(40), 1, &Device::Cpu).unwrap();
    // Token ids from a larger vocabulary than the model's.
    let b = batch(90);
    let err = loss_and_grads(&m, &b, 1.0, &m.trainable()).unwrap_err().to_string();
    assert!(err.contains("outside the vocabulary"), "{err}");
}
