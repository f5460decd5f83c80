//! `classify` and `best_image_match`, on CLIP.

use super::{native_sig, ClipScorer, NativeConfig};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Param, Signature, Tool, ToolCtx};
use crate::types::Type;
use crate::value::{Region, Value};
use std::sync::Arc;

struct Classify {
    sig: Signature,
    cfg: NativeConfig,
}

struct BestImageMatch {
    sig: Signature,
    cfg: NativeConfig,
}

pub fn tools(cfg: &NativeConfig) -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(Classify {
            sig: native_sig(Signature::new(
                "classify",
                vec![Param::req("image", Type::Visual), Param::req("labels", Type::list(Type::Text))],
                Type::Text,
                "The label in `labels` that best describes the image or region (CLIP, prompt \"a photo of a <label>\").",
            )),
            cfg: cfg.clone(),
        }),
        Arc::new(BestImageMatch {
            sig: native_sig(Signature::new(
                "best_image_match",
                vec![Param::req("regions", Type::list(Type::Region)), Param::req("query", Type::Text)],
                Type::Region,
                "The region in `regions` that best matches the text `query` (CLIP).",
            )),
            cfg: cfg.clone(),
        }),
    ]
}

fn texts(list: &[Value], what: &str) -> Result<Vec<String>, Diagnostic> {
    if list.is_empty() {
        return Err(Diagnostic::new(Code::E402, format!("`{what}` is empty")));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Text(t) => Ok(t.to_string()),
            other => Err(Diagnostic::new(Code::E402, format!("{what}[{i}] is {}, not text", other.kind()))),
        })
        .collect()
}

impl Tool for Classify {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        let labels = texts(args.list(1)?, "labels")?;
        let prompts: Vec<String> = labels.iter().map(|l| format!("a photo of a {l}")).collect();
        let refs: Vec<&str> = prompts.iter().map(String::as_str).collect();
        let p = ClipScorer::shared(&self.cfg)?.probs(&region, &refs)?;
        let best = argmax(&p);
        Ok(Value::text(labels[best].as_str()))
    }
}

impl Tool for BestImageMatch {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let list = args.list(0)?;
        let query = args.text(1)?;
        if list.is_empty() {
            return Err(Diagnostic::new(Code::E402, "`regions` is empty"));
        }
        let regions: Vec<Region> = list
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Region(r) => Ok(r.clone()),
                Value::Image(img) => Ok(Region::whole(img.clone())),
                other => Err(Diagnostic::new(Code::E402, format!("regions[{i}] is {}, not a region", other.kind()))),
            })
            .collect::<Result<_, _>>()?;
        let logits = ClipScorer::shared(&self.cfg)?.logits(&regions, &[query])?;
        let column: Vec<f32> = logits.iter().map(|row| row[0]).collect();
        Ok(Value::Region(regions[argmax(&column)].clone()))
    }
}

/// Index of the largest value (the first on ties; NaN never wins).
fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] || v[best].is_nan() {
            best = i;
        }
    }
    best
}
