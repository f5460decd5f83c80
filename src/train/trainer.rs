//! The training loop, one optimizer update at a time: micro-batches → masked loss → backward →
//! accumulate → clip → AdamW with the scheduled learning rate. Checkpoints capture the whole state, and
//! batches depend only on (seed, step), so a resumed run continues exactly where the saved one was.

use super::checkpoint::{self, Hyper, TrainState};
use super::data::{make_batch, Order, Sample};
use super::cpu_grad;
use super::loss::batch_loss;
use super::model::Model;
use super::optim::{accumulate, clip_grad_norm, collect_grads, AdamW, AdamWParams, Moments, Schedule};
use crate::diag::{Code, Diagnostic};
use candle_core::{Device, Tensor};
use std::collections::BTreeMap;
use std::path::Path;

/// What one update did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    pub step: u64,
    pub loss: f64,
    pub grad_norm: f64,
    pub lr: f64,
    pub tokens: usize,
    pub targets: usize,
}

pub struct Trainer {
    pub model: Model,
    pub opt: AdamW,
    pub state: TrainState,
    pub train: Vec<Sample>,
    pub val: Vec<Sample>,
    order: Order,
}

/// A candle error inside training: a dwim bug or an impossible shape, reported as an internal error.
pub fn internal(e: candle_core::Error) -> Diagnostic {
    Diagnostic::new(Code::E499, format!("training: {e}"))
}

impl Trainer {
    /// A fresh run. `base` records how the model was given (see [`TrainState::base`]).
    pub fn new(model: Model, train: Vec<Sample>, val: Vec<Sample>, hyper: Hyper, base: &str) -> Trainer {
        let adamw = AdamWParams { lr: hyper.lr, ..AdamWParams::default() };
        let schedule = Schedule { peak: hyper.lr, min_lr: hyper.lr * hyper.min_lr_frac, warmup: hyper.warmup, total: hyper.steps };
        let opt = AdamW::new(model.trainable(), adamw);
        let order = Order::bucketed(&train, hyper.batch, hyper.seed);
        let state = TrainState {
            step: 0,
            config: model.cfg.clone(),
            lora: model.lora.clone(),
            base: base.to_string(),
            has_base: true,
            hyper,
            adamw,
            schedule,
            train_loss: Vec::new(),
            val_loss: Vec::new(),
            tokens_seen: 0,
            adam_t: 0,
        };
        Trainer { model, opt, state, train, val, order }
    }

    pub fn step(&self) -> u64 {
        self.state.step
    }

    /// One optimizer update over `accum` micro-batches.
    pub fn train_step(&mut self) -> Result<StepStats, Diagnostic> {
        if self.train.is_empty() {
            return Err(Diagnostic::new(Code::E601, "no training samples"));
        }
        let h = &self.state.hyper;
        let dev = self.model.device().clone();
        let step = self.state.step;
        let lr = self.state.schedule.lr(step);
        let mut batches = Vec::with_capacity(h.accum.max(1));
        for k in 0..h.accum.max(1) as u64 {
            let idx = self.order.batch_indices(step * h.accum.max(1) as u64 + k);
            let samples: Vec<&Sample> = idx.iter().map(|&i| &self.train[i]).collect();
            batches.push(make_batch(&samples, h.max_seq, h.pad_id, &dev).map_err(internal)?);
        }
        let targets: usize = batches.iter().map(|b| b.n_targets).sum();
        let tokens: usize = batches.iter().map(|b| b.n_tokens).sum();
        let denom = targets.max(1) as f64;
        let vars = self.opt.vars.clone();
        let mut grads = Vec::new();
        let mut loss = 0.0;
        for b in &batches {
            if b.n_targets == 0 {
                continue;
            }
            let (l, g) = if cpu_grad::supported(&self.model) {
                // The hand-written CPU pass; candle's autograd for LoRA, biases and GPUs.
                cpu_grad::loss_and_grads(&self.model, b, denom, &vars).map_err(internal)?
            } else {
                let l = batch_loss(&self.model, b, denom).map_err(internal)?;
                (l.to_scalar::<f32>().map_err(internal)?, collect_grads(&l.backward().map_err(internal)?, &vars))
            };
            loss += l as f64;
            accumulate(&mut grads, g).map_err(internal)?;
        }
        let grad_norm = if grads.is_empty() { 0.0 } else { clip_grad_norm(&mut grads, self.state.hyper.clip).map_err(internal)? };
        if !loss.is_finite() || !grad_norm.is_finite() {
            return Err(Diagnostic::new(Code::E602, format!("training diverged at step {step}: loss {loss}, gradient norm {grad_norm}")).help("lower --lr"));
        }
        if !grads.is_empty() {
            self.opt.step(&grads, lr).map_err(internal)?;
        }
        self.state.step += 1;
        self.state.tokens_seen += tokens as u64;
        self.state.train_loss.push((self.state.step, loss));
        Ok(StepStats { step: self.state.step, loss, grad_norm, lr, tokens, targets })
    }

    /// Mean target NLL over a set of samples (the validation set by default), in batches.
    pub fn eval_loss(&self, samples: &[Sample]) -> Result<Option<f64>, Diagnostic> {
        let h = &self.state.hyper;
        let mut sum = 0.0;
        let mut count = 0usize;
        for chunk in samples.chunks(h.batch.max(1)) {
            let refs: Vec<&Sample> = chunk.iter().collect();
            let b = make_batch(&refs, h.max_seq, h.pad_id, self.model.device()).map_err(internal)?;
            if b.n_targets == 0 {
                continue;
            }
            let l = batch_loss(&self.model, &b, 1.0).map_err(internal)?;
            sum += l.to_scalar::<f32>().map_err(internal)? as f64;
            count += b.n_targets;
        }
        Ok((count > 0).then(|| sum / count as f64))
    }

    pub fn validate(&mut self) -> Result<Option<f64>, Diagnostic> {
        let v = self.eval_loss(&self.val)?;
        if let Some(v) = v {
            self.state.val_loss.retain(|&(s, _)| s != self.state.step);
            self.state.val_loss.push((self.state.step, v));
        }
        Ok(v)
    }

    /// Tensors of a checkpoint: model (base only when `has_base`), adapters, and AdamW moments.
    fn checkpoint_tensors(&self) -> Result<BTreeMap<String, Tensor>, Diagnostic> {
        let mut t = BTreeMap::new();
        let model = if self.state.has_base { self.model.state() } else { self.model.adapter_state() };
        for (k, v) in model {
            t.insert(format!("model.{k}"), v);
        }
        let dev = Device::Cpu;
        for ((name, var), m) in self.opt.vars.iter().zip(&self.opt.moments) {
            let shape = var.shape().clone();
            t.insert(format!("adam.m.{name}"), Tensor::from_slice(&m.m, shape.clone(), &dev).map_err(internal)?);
            t.insert(format!("adam.v.{name}"), Tensor::from_slice(&m.v, shape, &dev).map_err(internal)?);
        }
        Ok(t)
    }

    /// Write a checkpoint atomically.
    pub fn save(&self, path: &Path) -> Result<(), Diagnostic> {
        let mut state = self.state.clone();
        state.config = self.model.cfg.clone();
        state.adam_t = self.opt.t;
        checkpoint::save(path, &self.checkpoint_tensors()?, &state)
    }

    /// Continue a run from a checkpoint. `base_weights` supplies the base model when the checkpoint
    /// holds only adapters.
    pub fn resume(path: &Path, train: Vec<Sample>, val: Vec<Sample>, base_weights: Option<BTreeMap<String, Tensor>>, dev: &Device) -> Result<Trainer, Diagnostic> {
        let (tensors, state) = checkpoint::load(path, dev)?;
        let mut weights = base_weights.unwrap_or_default();
        let mut moments: BTreeMap<String, (Option<Tensor>, Option<Tensor>)> = BTreeMap::new();
        for (k, v) in tensors {
            if let Some(n) = k.strip_prefix("model.") {
                weights.insert(n.to_string(), v);
            } else if let Some(n) = k.strip_prefix("adam.m.") {
                moments.entry(n.to_string()).or_default().0 = Some(v);
            } else if let Some(n) = k.strip_prefix("adam.v.") {
                moments.entry(n.to_string()).or_default().1 = Some(v);
            }
        }
        let model = Model::from_weights(&state.config, weights, state.lora.clone(), dev)
            .map_err(|e| Diagnostic::new(Code::E504, format!("checkpoint {}: {e}", path.display())))?;
        let mut opt = AdamW::new(model.trainable(), state.adamw);
        opt.t = state.adam_t;
        for ((name, _), slot) in opt.vars.iter().zip(opt.moments.iter_mut()) {
            let Some((Some(m), Some(v))) = moments.remove(name) else {
                return Err(Diagnostic::new(Code::E504, format!("checkpoint {}: optimizer state for {name} missing", path.display())));
            };
            let to_vec = |t: Tensor| t.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(internal);
            *slot = Moments { m: to_vec(m)?, v: to_vec(v)? };
        }
        let order = Order::bucketed(&train, state.hyper.batch, state.hyper.seed);
        Ok(Trainer { model, opt, state, train, val, order })
    }
}
