//! The `benchmark` set's perception tools: thin wrappers over the `dwim-perception` crate, their
//! work charged to the run as it goes (`Meter`), so a huge image ends in E308/E306 mid-call.

use super::{signatures, Op};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Signature, Tool, ToolCtx, ToolKind};
use crate::value::{BBox, Region, Value};
use super::meter::Meter;
use dwim_perception::{Img, Rect};
use std::sync::Arc;


struct PixelTool {
    sig: Signature,
    op: Op,
}

pub fn tools() -> Vec<Arc<dyn Tool>> {
    let ops = [Op::Detect, Op::Color, Op::Shape, Op::ReadText, Op::Vqa];
    signatures(ToolKind::Native, "pixel perception")
        .into_iter()
        .zip(ops)
        .map(|(sig, op)| Arc::new(PixelTool { sig, op }) as Arc<dyn Tool>)
        .collect()
}

/// The pixel rectangle covering a region's box.
pub fn rect_of(b: &BBox) -> Rect {
    let c = |v: f64| if v.is_finite() { v.max(0.0) as u32 } else { 0 };
    Rect { x0: c(b.x0.floor()), y0: c(b.y0.floor()), x1: c(b.x1.ceil()), y1: c(b.y1.ceil()) }
}

impl Tool for PixelTool {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        let px = region.image.pixels();
        let img = Img::new(px.width(), px.height(), px.as_raw()).ok_or_else(|| Diagnostic::new(Code::E499, "image buffer has the wrong size"))?;
        let roi = rect_of(&region.bbox);
        let none = || Diagnostic::new(Code::E401, "no object found in this region").help("detect objects first and pass one of them");
        let max_list = ctx.limits().max_list_len;
        let mut meter = Meter::new(ctx);
        Ok(match self.op {
            Op::Detect => {
                let query = args.text(1)?;
                refuse_unknown(dwim_perception::detect::unknown_words(query))?;
                let found = meter.run(|p| dwim_perception::detect_with(&img, roi, query, p))?;
                if found.len() > max_list {
                    return Err(Diagnostic::new(Code::E303, format!("more than {max_list} detections")));
                }
                Value::list(found.iter().map(|d| {
                    let b = BBox { x0: d.rect.x0 as f64, y0: d.rect.y0 as f64, x1: d.rect.x1 as f64, y1: d.rect.y1 as f64 };
                    let mut r = Region::new(region.image.clone(), b);
                    r.label = Some(d.label().into());
                    r.score = Some((d.score as f64 * 100.0).round() / 100.0);
                    Value::Region(r)
                }).collect())
            }
            Op::Color => Value::text(meter.run(|p| dwim_perception::detect::main_object_with(&img, roi, p))?.ok_or_else(none)?.color),
            Op::Shape => Value::text(meter.run(|p| dwim_perception::detect::main_object_with(&img, roi, p))?.ok_or_else(none)?.shape),
            Op::ReadText => Value::text(meter.run(|p| dwim_perception::read_text_with(&img, roi, p))?),
            Op::Vqa => {
                let question = args.text(1)?;
                refuse_unknown(dwim_perception::vqa::unknown_words(question))?;
                Value::text(meter.run(|p| dwim_perception::vqa_with(&img, roi, question, p))?)
            }
        })
    }
}

/// E402 naming the query words the detector does not understand, and the words it does: a
/// query it cannot read is not silently read as "any object".
pub(crate) fn refuse_unknown(words: Vec<String>) -> Result<(), Diagnostic> {
    if words.is_empty() {
        return Ok(());
    }
    let quoted: Vec<String> = words.iter().take(8).map(|w| format!("`{w}`")).collect();
    Err(Diagnostic::new(Code::E402, format!("this detector does not know {}", quoted.join(", "))).help(format!("it knows {}", dwim_perception::detect::vocabulary())))
}
