//! `depth`, on Depth-Anything-v2.

use super::depth::DepthEstimator;
use super::{native_sig, NativeConfig};
use crate::diag::Diagnostic;
use crate::tools::{Args, Param, Signature, Tool, ToolCtx};
use crate::types::Type;
use crate::value::Value;
use std::sync::Arc;

struct Depth {
    sig: Signature,
    cfg: NativeConfig,
}

pub fn tools(cfg: &NativeConfig) -> Vec<Arc<dyn Tool>> {
    vec![Arc::new(Depth {
        sig: native_sig(Signature::new(
            "depth",
            vec![Param::req("image", Type::Visual)],
            Type::Number,
            "Median relative depth of the region, 0 (nearest point of the image) to 1 (farthest); \
             regions of one image compare, e.g. `sort_by(objs, o -> depth(o))` is near to far (Depth-Anything-v2).",
        )),
        cfg: cfg.clone(),
    })]
}

impl Tool for Depth {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        let d = DepthEstimator::shared(&self.cfg)?.depth(&region)?;
        // Three decimals: enough to order regions, and stable in traces.
        Ok(Value::Number((d as f64 * 1000.0).round() / 1000.0))
    }
}
