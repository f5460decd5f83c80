//! The model's forward/backward: every weight gets a gradient (candle's fused ops would silently drop
//! them), the masked loss matches a hand computation, the KV cache matches the full forward, LoRA.
#![cfg(feature = "train")]

use candle_core::{Device, Tensor, D};
use dwim::train::data::make_batch;
use dwim::train::loss::{batch_loss, masked_cross_entropy};
use dwim::train::{Config, LoraConfig, Mlp, Model, Sample, IGNORE};

fn sample(len: usize, vocab: u32, prompt: usize, salt: u32) -> Sample {
    let ids: Vec<u32> = (0..len as u32).map(|i| (i * 7 + salt * 13 + 3) % vocab).collect();
    let labels = ids.iter().enumerate().map(|(i, &t)| if i < prompt { IGNORE } else { t as i64 }).collect();
    Sample::new(ids, labels)
}

fn assert_all_grads(model: &Model) {
    let samples = [sample(12, 50, 5, 0), sample(9, 50, 3, 1)];
    let refs: Vec<&Sample> = samples.iter().collect();
    let b = make_batch(&refs, 64, 0, &Device::Cpu).unwrap();
    let loss = batch_loss(model, &b, b.n_targets as f64).unwrap();
    let grads = loss.backward().unwrap();
    let vars = model.trainable();
    assert!(!vars.is_empty());
    for (name, var) in vars {
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} got no gradient"));
        let norm: f32 = g.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
        assert!(norm > 0.0 && norm.is_finite(), "{name}: gradient norm {norm}");
    }
}

#[test]
fn every_weight_gets_a_gradient_gated_gqa() {
    let cfg = Config { vocab: 50, ..Config::micro(50) };
    assert_eq!(cfg.mlp, Mlp::Gated);
    assert!(cfg.n_kv_heads < cfg.n_heads);
    assert_all_grads(&Model::init(&cfg, 1, &Device::Cpu).unwrap());
}

#[test]
fn every_weight_gets_a_gradient_plain_tied() {
    let cfg = Config { mlp: Mlp::Plain, tie_embeddings: true, n_kv_heads: 4, ..Config::micro(50) };
    assert_all_grads(&Model::init(&cfg, 2, &Device::Cpu).unwrap());
}

#[test]
fn every_weight_gets_a_gradient_qwen2_biases() {
    let cfg = Config { attn_bias: true, tie_embeddings: true, ..Config::micro(50) };
    let m = Model::init(&cfg, 4, &Device::Cpu).unwrap();
    assert_eq!(m.state().keys().filter(|k| k.ends_with("_proj.bias")).count(), cfg.n_layers * 3);
    assert_all_grads(&m);
}

#[test]
fn biases_change_the_logits_and_need_attn_bias() {
    let cfg = Config { attn_bias: true, ..Config::micro(50) };
    let m = Model::init(&cfg, 5, &Device::Cpu).unwrap();
    let ids = Tensor::new(&[[1u32, 2, 3, 4]], &Device::Cpu).unwrap();
    let before = m.forward(&ids).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let mut w = m.state();
    for (k, v) in w.iter_mut() {
        if k.ends_with("q_proj.bias") || k.ends_with("v_proj.bias") {
            *v = Tensor::full(0.5f32, v.shape(), &Device::Cpu).unwrap();
        }
    }
    let biased = Model::from_weights(&cfg, w.clone(), None, &Device::Cpu).unwrap();
    let after = biased.forward(&ids).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(before.iter().zip(&after).any(|(a, b)| (a - b).abs() > 1e-4), "the biases take part in the forward pass");
    let err = Model::from_weights(&Config { attn_bias: false, ..cfg }, w, None, &Device::Cpu).err().expect("a stray bias is refused");
    assert!(err.to_string().contains("_proj.bias"), "{err}");
}

#[test]
fn a_qwen2_config_json_turns_on_attention_biases() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.json");
    let hf = |model_type: &str| serde_json::json!({"model_type": model_type, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, "tie_word_embeddings": true});
    std::fs::write(&p, hf("qwen2").to_string()).unwrap();
    assert!(dwim::train::load::read_config(&p).unwrap().attn_bias);
    std::fs::write(&p, hf("llama").to_string()).unwrap();
    assert!(!dwim::train::load::read_config(&p).unwrap().attn_bias);
}

#[test]
fn every_adapter_gets_a_gradient_after_one_update() {
    // B starts at zero, so A's gradient is zero at first; B's is not.
    let cfg = Config::micro(50);
    let m = Model::init(&cfg, 3, &Device::Cpu).unwrap();
    let m = Model::from_weights(&cfg, m.state(), Some(LoraConfig::all(4)), &Device::Cpu).unwrap();
    let n = m.trainable().len();
    assert_eq!(n, cfg.n_layers * 7 * 2);
    // give B some values, as one optimizer step would
    for (name, v) in m.trainable() {
        if name.ends_with(".b") {
            v.set(&Tensor::full(0.01f32, v.shape(), &Device::Cpu).unwrap()).unwrap();
        }
    }
    assert_all_grads(&m);
}

#[test]
fn tiny_preset_matches_the_pytorch_baseline_size() {
    assert_eq!(Config::tiny(2048).n_params(), 4_196_608);
}

#[test]
fn masked_cross_entropy_matches_hand_computation() {
    let logits = [[1.0f32, 2.0, 0.5, -1.0], [0.0, 0.0, 0.0, 0.0], [3.0, -2.0, 1.0, 0.25]];
    let labels = [IGNORE, 2, 0];
    let t = Tensor::new(&logits, &Device::Cpu).unwrap();
    let (loss, n) = masked_cross_entropy(&t, &labels).unwrap();
    assert_eq!(n, 2);
    let nll = |row: &[f32; 4], k: usize| -> f64 {
        let lse = row.iter().map(|&x| (x as f64).exp()).sum::<f64>().ln();
        lse - row[k] as f64
    };
    let want = (nll(&logits[1], 2) + nll(&logits[2], 0)) / 2.0;
    let got = loss.to_scalar::<f32>().unwrap() as f64;
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    // a target on the ignored row would change it; changing the ignored row's logits must not
    let logits2 = [[9.0f32, -9.0, 4.0, 7.0], logits[1], logits[2]];
    let (loss2, _) = masked_cross_entropy(&Tensor::new(&logits2, &Device::Cpu).unwrap(), &labels).unwrap();
    assert_eq!(loss2.to_scalar::<f32>().unwrap(), got as f32);
}

#[test]
fn batch_loss_equals_masked_loss_over_shifted_labels() {
    let cfg = Config::micro(50);
    let model = Model::init(&cfg, 4, &Device::Cpu).unwrap();
    let samples = [sample(10, 50, 4, 0), sample(7, 50, 2, 5)];
    let refs: Vec<&Sample> = samples.iter().collect();
    let b = make_batch(&refs, 64, 0, &Device::Cpu).unwrap();
    let fast: f32 = (batch_loss(&model, &b, b.n_targets as f64).unwrap()).to_scalar().unwrap();
    let logits = model.forward(&b.ids).unwrap();
    let (bs, s, v) = logits.dims3().unwrap();
    let mut shifted = vec![IGNORE; bs * s];
    for (i, smp) in samples.iter().enumerate() {
        for t in 0..smp.labels.len() - 1 {
            shifted[i * s + t] = smp.labels[t + 1];
        }
    }
    let (slow, n) = masked_cross_entropy(&logits.reshape((bs * s, v)).unwrap(), &shifted).unwrap();
    assert_eq!(n, b.n_targets);
    let slow: f32 = slow.to_scalar().unwrap();
    assert!((fast - slow).abs() < 1e-5, "{fast} vs {slow}");
}

#[test]
fn padding_does_not_change_a_sample_loss() {
    let model = Model::init(&Config::micro(50), 5, &Device::Cpu).unwrap();
    let short = sample(6, 50, 2, 1);
    let long = sample(15, 50, 3, 2);
    let alone = make_batch(&[&short], 64, 0, &Device::Cpu).unwrap();
    let padded = make_batch(&[&short, &long], 64, 0, &Device::Cpu).unwrap();
    let l1: f32 = batch_loss(&model, &alone, 1.0).unwrap().to_scalar().unwrap();
    let both: f32 = batch_loss(&model, &padded, 1.0).unwrap().to_scalar().unwrap();
    let l2: f32 = batch_loss(&model, &make_batch(&[&long], 64, 0, &Device::Cpu).unwrap(), 1.0).unwrap().to_scalar().unwrap();
    assert!((l1 + l2 - both).abs() < 1e-4, "{l1} + {l2} vs {both}");
}

#[test]
fn kv_cache_decoding_matches_full_forward() {
    let cfg = Config::micro(50);
    let model = Model::init(&cfg, 6, &Device::Cpu).unwrap();
    let ids: Vec<u32> = vec![3, 17, 42, 8, 8, 1, 30];
    let full = model.forward(&Tensor::new(ids.as_slice(), &Device::Cpu).unwrap().unsqueeze(0).unwrap()).unwrap();
    let mut cache = dwim::train::model::KvCache::default();
    let prefix = Tensor::new(&ids[..4], &Device::Cpu).unwrap().unsqueeze(0).unwrap();
    let mut parts = vec![model.lm_head(&model.hidden(&prefix, Some(&mut cache)).unwrap()).unwrap()];
    for &t in &ids[4..] {
        let x = Tensor::new(&[t], &Device::Cpu).unwrap().unsqueeze(0).unwrap();
        parts.push(model.lm_head(&model.hidden(&x, Some(&mut cache)).unwrap()).unwrap());
    }
    let inc = Tensor::cat(&parts, 1).unwrap();
    let diff: f32 = (full - inc).unwrap().abs().unwrap().max_keepdim(D::Minus1).unwrap().max_all().unwrap().to_scalar().unwrap();
    assert!(diff < 1e-4, "max diff {diff}");
    let out = dwim::train::generate(&model, &ids, &dwim::train::GenOptions { max_new: 5, ..Default::default() }).unwrap();
    assert_eq!(out.len(), 5);
    let stop = out[0];
    let out = dwim::train::generate(&model, &ids, &dwim::train::GenOptions { max_new: 5, stop_ids: vec![stop], ..Default::default() }).unwrap();
    assert_eq!(out, vec![stop]);
}

#[test]
fn lora_merge_gives_the_same_logits() {
    let cfg = Config::micro(50);
    let base = Model::init(&cfg, 7, &Device::Cpu).unwrap();
    let lora = Model::from_weights(&cfg, base.state(), Some(LoraConfig::all(4)), &Device::Cpu).unwrap();
    for (name, v) in lora.trainable() {
        if name.ends_with(".b") {
            let r = Tensor::randn(0f32, 0.05, v.shape(), &Device::Cpu).unwrap();
            v.set(&r).unwrap();
        }
    }
    let ids = Tensor::new(&[[1u32, 5, 9, 2]], &Device::Cpu).unwrap();
    let a = lora.forward(&ids).unwrap();
    let merged = lora.merged().unwrap();
    let b = merged.forward(&ids).unwrap();
    let base_logits = base.forward(&ids).unwrap();
    let d: f32 = (&a - &b).unwrap().abs().unwrap().max_keepdim(D::Minus1).unwrap().max_all().unwrap().to_scalar().unwrap();
    let moved: f32 = (&a - &base_logits).unwrap().abs().unwrap().max_keepdim(D::Minus1).unwrap().max_all().unwrap().to_scalar().unwrap();
    assert!(d < 1e-4, "merge differs by {d}");
    assert!(moved > 1e-3, "adapters had no effect");
}
