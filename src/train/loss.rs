//! Masked cross-entropy: the loss is taken on target tokens only (candle's `cross_entropy` has no
//! ignore-index): log-softmax → gather the target → × mask → sum / number of targets.

use super::data::{Batch, IGNORE};
use super::model::{log_softmax_last, Model};
use candle_core::{DType, Result, Tensor, D};

/// Mean negative log-likelihood over the positions whose label is not −100.
/// `logits` (N, V), `labels` N values (already aligned: label i is the target of row i).
/// Returns the loss and the number of targets (loss 0 when there are none).
pub fn masked_cross_entropy(logits: &Tensor, labels: &[i64]) -> Result<(Tensor, usize)> {
    let dev = logits.device();
    let count = labels.iter().filter(|&&l| l != IGNORE).count();
    let safe: Vec<u32> = labels.iter().map(|&l| if l == IGNORE { 0 } else { l as u32 }).collect();
    let mask: Vec<f32> = labels.iter().map(|&l| if l == IGNORE { 0.0 } else { 1.0 }).collect();
    let n = labels.len();
    let lp = log_softmax_last(logits)?;
    let picked = lp.gather(&Tensor::from_vec(safe, (n, 1), dev)?, D::Minus1)?.squeeze(D::Minus1)?;
    let total = (picked * Tensor::from_vec(mask, n, dev)?)?.sum_all()?;
    Ok(((total.neg()? / count.max(1) as f64)?, count))
}

/// Sum of target negative log-likelihoods of a batch divided by `denom` (the number of targets over all
/// micro-batches of an accumulated step, so the accumulated gradient is that of the mean). Only the
/// supervised rows go through the LM head.
pub fn batch_loss(model: &Model, batch: &Batch, denom: f64) -> Result<Tensor> {
    if batch.n_targets == 0 {
        return Tensor::zeros((), DType::F32, model.device());
    }
    let h = model.hidden(&batch.ids, None)?;
    let d = h.dim(D::Minus1)?;
    let h = h.reshape((batch.batch * batch.seq, d))?.index_select(&batch.rows, 0)?;
    let lp = log_softmax_last(&model.lm_head(&h)?)?;
    let picked = lp.gather(&batch.targets.unsqueeze(1)?, 1)?;
    picked.sum_all()?.neg()? / denom
}
