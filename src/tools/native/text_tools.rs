//! `text_similarity` and `best_text_match`, on MiniLM embeddings.

use super::{native_sig, NativeConfig, TextEmbedder};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Param, Signature, Tool, ToolCtx};
use crate::types::Type;
use crate::value::Value;
use std::sync::Arc;

struct TextSimilarity {
    sig: Signature,
    cfg: NativeConfig,
}

struct BestTextMatch {
    sig: Signature,
    cfg: NativeConfig,
}

pub fn tools(cfg: &NativeConfig) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(TextSimilarity {
            sig: native_sig(Signature::new(
                "text_similarity",
                vec![Param::req("a", Type::Text), Param::req("b", Type::Text)],
                Type::Number,
                "Semantic similarity of two texts, -1..1 (cosine of all-MiniLM-L6-v2 sentence embeddings).",
            )),
            cfg: cfg.clone(),
        }),
        Arc::new(BestTextMatch {
            sig: native_sig(Signature::new(
                "best_text_match",
                vec![Param::req("text", Type::Text), Param::req("candidates", Type::list(Type::Text))],
                Type::Text,
                "The candidate closest in meaning to `text` (all-MiniLM-L6-v2 embeddings).",
            )),
            cfg: cfg.clone(),
        }),
    ]
}

impl Tool for TextSimilarity {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let (a, b) = (args.text(0)?, args.text(1)?);
        let s = TextEmbedder::shared(&self.cfg)?.similarity(a, b)?;
        Ok(Value::Number(round4(s as f64)))
    }
}

impl Tool for BestTextMatch {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let text = args.text(0)?;
        let mut inputs = vec![text];
        for (i, c) in args.list(1)?.iter().enumerate() {
            match c {
                Value::Text(t) => inputs.push(t),
                other => {
                    return Err(Diagnostic::new(Code::E402, format!("candidate {i} is {}, not text", other.kind())))
                }
            }
        }
        if inputs.len() == 1 {
            return Err(Diagnostic::new(Code::E402, "`candidates` is empty"));
        }
        let v = TextEmbedder::shared(&self.cfg)?.embed(&inputs)?;
        let best = (1..v.len())
            .map(|i| (super::minilm::cosine(&v[0], &v[i]), i))
            .fold((f32::NEG_INFINITY, 1), |acc, x| if x.0 > acc.0 { x } else { acc });
        Ok(Value::text(inputs[best.1]))
    }
}

/// Four decimals: enough to compare, stable across BLAS orderings in traces.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
