//! The easyocr "generation 2" text-line recogniser (`english_g2.pth`): a VGG-style convolutional
//! feature extractor, two bidirectional LSTMs and a linear CTC head over 96 characters + blank.
//! Tensor names follow easyocr's `model/vgg_model.py` (saved from `DataParallel`, hence `module.`).

use candle_core::{DType, Device, IndexOp, Module, ModuleT, Result, Tensor, D};
use candle_nn::{batch_norm, conv2d, conv2d_no_bias, linear, BatchNorm, Conv2d, Conv2dConfig, Linear, VarBuilder};

/// easyocr's `english_g2` character list; class 0 is the CTC blank, class i is `CHARSET[i-1]`.
pub const CHARSET: &str =
    "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Input height the network was trained at.
pub const IMG_H: usize = 64;

/// Sizes of the recogniser (`english_g2`: 1 input channel, 256 features, 256 hidden, 97 classes).
#[derive(Debug, Clone, Copy)]
pub struct CrnnConfig {
    pub output_channel: usize,
    pub hidden: usize,
    pub classes: usize,
}

impl CrnnConfig {
    pub fn english_g2() -> Self {
        CrnnConfig { output_channel: 256, hidden: 256, classes: CHARSET.chars().count() + 1 }
    }
}

struct Lstm {
    w_ih: Tensor,
    w_hh_t: Tensor,
    bias: Tensor,
    hidden: usize,
}

impl Lstm {
    fn load(vb: &VarBuilder, input: usize, hidden: usize, suffix: &str) -> Result<Lstm> {
        let w_ih = vb.get((4 * hidden, input), &format!("weight_ih_l0{suffix}"))?;
        let w_hh = vb.get((4 * hidden, hidden), &format!("weight_hh_l0{suffix}"))?;
        let b_ih = vb.get(4 * hidden, &format!("bias_ih_l0{suffix}"))?;
        let b_hh = vb.get(4 * hidden, &format!("bias_hh_l0{suffix}"))?;
        Ok(Lstm { w_ih, w_hh_t: w_hh.t()?.contiguous()?, bias: (b_ih + b_hh)?, hidden })
    }

    /// `x`: [B, T, I] → hidden states [B, T, H], run forward or backward in time (PyTorch gate order i, f, g, o).
    fn run(&self, x: &Tensor, reverse: bool) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        let xp = x.broadcast_matmul(&self.w_ih.t()?)?.broadcast_add(&self.bias)?;
        let mut h = Tensor::zeros((b, self.hidden), x.dtype(), x.device())?;
        let mut c = h.clone();
        let mut out = vec![h.clone(); t];
        let order: Vec<usize> = if reverse { (0..t).rev().collect() } else { (0..t).collect() };
        for step in order {
            let g = (xp.i((.., step, ..))? + h.matmul(&self.w_hh_t)?)?;
            let chunks = g.chunk(4, 1)?;
            let i = candle_nn::ops::sigmoid(&chunks[0])?;
            let f = candle_nn::ops::sigmoid(&chunks[1])?;
            let gg = chunks[2].tanh()?;
            let o = candle_nn::ops::sigmoid(&chunks[3])?;
            c = ((f * &c)? + (i * gg)?)?;
            h = (o * c.tanh()?)?;
            out[step] = h.clone();
        }
        Tensor::stack(&out, 1)
    }
}

struct BiLstm {
    fwd: Lstm,
    bwd: Lstm,
    linear: Linear,
}

impl BiLstm {
    fn load(vb: VarBuilder, input: usize, hidden: usize, output: usize) -> Result<BiLstm> {
        let rnn = vb.pp("rnn");
        Ok(BiLstm {
            fwd: Lstm::load(&rnn, input, hidden, "")?,
            bwd: Lstm::load(&rnn, input, hidden, "_reverse")?,
            linear: linear(2 * hidden, output, vb.pp("linear"))?,
        })
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let both = Tensor::cat(&[self.fwd.run(x, false)?, self.bwd.run(x, true)?], D::Minus1)?;
        self.linear.forward(&both)
    }
}

/// The recogniser. `forward` maps [B, 1, 64, W] images in -1..1 to [B, W/4 - 1, classes] logits.
pub struct Crnn {
    convs: Vec<Conv2d>,
    bn: [BatchNorm; 2],
    seq: [BiLstm; 2],
    prediction: Linear,
}

impl Crnn {
    /// Load from a `VarBuilder` rooted at the checkpoint's `module.` prefix.
    pub fn load(vb: VarBuilder, cfg: CrnnConfig) -> Result<Crnn> {
        let oc = cfg.output_channel;
        let ch = [oc / 8, oc / 4, oc / 2, oc];
        let fe = vb.pp("FeatureExtraction").pp("ConvNet");
        let p1 = Conv2dConfig { padding: 1, ..Default::default() };
        let convs = vec![
            conv2d(1, ch[0], 3, p1, fe.pp("0"))?,
            conv2d(ch[0], ch[1], 3, p1, fe.pp("3"))?,
            conv2d(ch[1], ch[2], 3, p1, fe.pp("6"))?,
            conv2d(ch[2], ch[2], 3, p1, fe.pp("8"))?,
            conv2d_no_bias(ch[2], ch[3], 3, p1, fe.pp("11"))?,
            conv2d_no_bias(ch[3], ch[3], 3, p1, fe.pp("14"))?,
            conv2d(ch[3], ch[3], 2, Conv2dConfig::default(), fe.pp("18"))?,
        ];
        let bn = [batch_norm(ch[3], 1e-5, fe.pp("12"))?, batch_norm(ch[3], 1e-5, fe.pp("15"))?];
        let sm = vb.pp("SequenceModeling");
        let seq = [
            BiLstm::load(sm.pp("0"), oc, cfg.hidden, cfg.hidden)?,
            BiLstm::load(sm.pp("1"), cfg.hidden, cfg.hidden, cfg.hidden)?,
        ];
        let prediction = linear(cfg.hidden, cfg.classes, vb.pp("Prediction"))?;
        Ok(Crnn { convs, bn, seq, prediction })
    }

    pub fn load_pth(path: &std::path::Path, device: &Device) -> Result<Crnn> {
        let vb = VarBuilder::from_pth(path, DType::F32, device)?;
        Crnn::load(vb.pp("module"), CrnnConfig::english_g2())
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let c = &self.convs;
        let x = c[0].forward(x)?.relu()?.max_pool2d(2)?;
        let x = c[1].forward(&x)?.relu()?.max_pool2d(2)?;
        let x = c[2].forward(&x)?.relu()?;
        let x = c[3].forward(&x)?.relu()?.max_pool2d_with_stride((2, 1), (2, 1))?;
        let x = self.bn[0].forward_t(&c[4].forward(&x)?, false)?.relu()?;
        let x = self.bn[1].forward_t(&c[5].forward(&x)?, false)?.relu()?.max_pool2d_with_stride((2, 1), (2, 1))?;
        let x = c[6].forward(&x)?.relu()?;
        // [B, C, H, W] → [B, W, C]: average over the remaining height.
        let x = x.mean(2)?.transpose(1, 2)?.contiguous()?;
        let x = self.seq[0].forward(&x)?;
        let x = self.seq[1].forward(&x)?;
        self.prediction.forward(&x)
    }
}

/// Greedy CTC decoding of one sequence of logits [T, classes]: best class per step, repeats
/// merged, blanks dropped. Returns the text and the mean probability of the kept characters.
pub fn ctc_greedy(logits: &Tensor) -> Result<(String, f32)> {
    let probs = candle_nn::ops::softmax_last_dim(logits)?;
    let best = probs.argmax(D::Minus1)?.to_vec1::<u32>()?;
    let p = probs.max(D::Minus1)?.to_vec1::<f32>()?;
    let chars: Vec<char> = CHARSET.chars().collect();
    let (mut text, mut conf, mut n, mut prev) = (String::new(), 0f32, 0usize, 0u32);
    for (k, &cls) in best.iter().enumerate() {
        if cls != 0 && cls != prev {
            if let Some(ch) = chars.get(cls as usize - 1) {
                text.push(*ch);
                conf += p[k];
                n += 1;
            }
        }
        prev = cls;
    }
    Ok((text, if n == 0 { 0.0 } else { conf / n as f32 }))
}
