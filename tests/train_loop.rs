//! The update loop: overfitting, exact resume from a checkpoint, schedule, clipping, AdamW, LoRA
//! training that leaves the base weights untouched.
#![cfg(feature = "train")]

use candle_core::{Device, Tensor, Var};
use dwim::train::optim::{clip_grad_norm, global_norm, AdamW, AdamWParams, Schedule};
use dwim::train::{Config, Hyper, LoraConfig, Model, Sample, Trainer, IGNORE};

fn samples(n: usize, vocab: u32) -> Vec<Sample> {
    (0..n as u32)
        .map(|k| {
            let len = 14 + (k as usize % 5);
            let ids: Vec<u32> = (0..len as u32).map(|i| (i * (k + 3) + k * 11 + 1) % vocab).collect();
            let prompt = len * 7 / 10;
            let labels = ids.iter().enumerate().map(|(i, &t)| if i < prompt { IGNORE } else { t as i64 }).collect();
            Sample::new(ids, labels)
        })
        .collect()
}

fn hyper(steps: u64) -> Hyper {
    Hyper { steps, batch: 4, accum: 1, lr: 1e-2, warmup: 5, clip: 1.0, seed: 9, val_frac: 0.0, max_seq: 64, ..Hyper::default() }
}

#[test]
fn overfits_a_few_samples() {
    let cfg = Config::micro(40);
    let model = Model::init(&cfg, 0, &Device::Cpu).unwrap();
    let mut t = Trainer::new(model, samples(4, 40), Vec::new(), hyper(60), "micro");
    let t0 = std::time::Instant::now();
    let first = t.train_step().unwrap().loss;
    let mut last = first;
    for _ in 1..60 {
        last = t.train_step().unwrap().loss;
    }
    assert!(first > 3.0, "start loss {first} should be near ln 40");
    assert!(last < 0.2 * first, "loss {first} -> {last}");
    eprintln!("overfit: {first:.3} -> {last:.3} in {:?}", t0.elapsed());
}

#[test]
fn resume_gives_the_same_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("checkpoint.safetensors");
    let cfg = Config::micro(40);
    let data = samples(10, 40);
    let h = Hyper { accum: 2, batch: 3, ..hyper(20) };
    let mut a = Trainer::new(Model::init(&cfg, 1, &Device::Cpu).unwrap(), data.clone(), Vec::new(), h, "micro");
    for _ in 0..4 {
        a.train_step().unwrap();
    }
    a.save(&ck).unwrap();
    let next_a: Vec<f64> = (0..3).map(|_| a.train_step().unwrap().loss).collect();
    let mut b = Trainer::resume(&ck, data, Vec::new(), None, &Device::Cpu).unwrap();
    assert_eq!(b.step(), 4);
    assert_eq!(b.state.train_loss.len(), 4);
    let next_b: Vec<f64> = (0..3).map(|_| b.train_step().unwrap().loss).collect();
    assert_eq!(next_a, next_b);
    assert!(!dir.path().join("checkpoint.safetensors.tmp").exists());
}

#[test]
fn lora_training_changes_only_adapters() {
    let cfg = Config::micro(40);
    let base = Model::init(&cfg, 2, &Device::Cpu).unwrap();
    let before = base.state();
    let model = Model::from_weights(&cfg, base.state(), Some(LoraConfig::all(4)), &Device::Cpu).unwrap();
    let adapters_before: std::collections::BTreeMap<_, _> = model.adapter_state().into_iter().map(|(k, v)| (k, v.copy().unwrap())).collect();
    let mut t = Trainer::new(model, samples(4, 40), Vec::new(), hyper(30), "micro");
    let first = t.train_step().unwrap().loss;
    let mut last = first;
    for _ in 0..29 {
        last = t.train_step().unwrap().loss;
    }
    assert!(last < first * 0.8, "LoRA loss {first} -> {last}");
    let after = t.model.base_state();
    for (k, v) in &before {
        let d: f32 = (v - &after[k]).unwrap().abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
        assert_eq!(d, 0.0, "base weight {k} changed");
    }
    for (k, v) in t.model.adapter_state() {
        let d: f32 = (&v - &adapters_before[&k]).unwrap().abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
        assert!(d > 0.0, "adapter {k} did not change");
    }
}

#[test]
fn schedule_values() {
    let s = Schedule { peak: 1.0, min_lr: 0.1, warmup: 10, total: 110 };
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    close(s.lr(0), 0.1);
    close(s.lr(4), 0.5);
    close(s.lr(9), 1.0);
    close(s.lr(10), 1.0);
    close(s.lr(60), 0.55);
    close(s.lr(110), 0.1);
    close(s.lr(500), 0.1);
    assert!(s.lr(30) > s.lr(31));
}

#[test]
fn clipping_bounds_the_global_norm() {
    let dev = Device::Cpu;
    let mut g = vec![Some(Tensor::new(&[3.0f32, 4.0], &dev).unwrap()), None, Some(Tensor::new(&[[0.0f32, 12.0]], &dev).unwrap())];
    assert!((global_norm(&g).unwrap() - 13.0).abs() < 1e-6);
    let before = clip_grad_norm(&mut g, 1.0).unwrap();
    assert!((before - 13.0).abs() < 1e-6);
    assert!((global_norm(&g).unwrap() - 1.0).abs() < 1e-5);
    let mut small = vec![Some(Tensor::new(&[0.3f32, 0.4], &dev).unwrap())];
    clip_grad_norm(&mut small, 1.0).unwrap();
    assert_eq!(small[0].as_ref().unwrap().to_vec1::<f32>().unwrap(), vec![0.3, 0.4]);
}

#[test]
fn adamw_matches_the_reference_update() {
    let dev = Device::Cpu;
    let p = AdamWParams { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 };
    let var = Var::new(&[1.0f32, -2.0], &dev).unwrap();
    let mut opt = AdamW::new(vec![("w".into(), var.clone())], p);
    let grads = [[0.5f64, -1.0], [0.25, 2.0]];
    let (mut th, mut m, mut v) = ([1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
    for (t, g) in grads.iter().enumerate() {
        opt.step(&[Some(Tensor::new(&[g[0] as f32, g[1] as f32], &dev).unwrap())], 0.1).unwrap();
        for i in 0..2 {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
            let mh = m[i] / (1.0 - 0.9f64.powi(t as i32 + 1));
            let vh = v[i] / (1.0 - 0.95f64.powi(t as i32 + 1));
            th[i] = th[i] * (1.0 - 0.1 * 0.1) - 0.1 * mh / (vh.sqrt() + 1e-8);
        }
    }
    let got = var.as_tensor().to_vec1::<f32>().unwrap();
    for i in 0..2 {
        assert!((got[i] as f64 - th[i]).abs() < 1e-5, "{got:?} vs {th:?}");
    }
}
