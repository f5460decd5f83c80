//! The `benchmark` set's perception tools: thin wrappers over the `dwim-perception` crate, their
//! work charged to the run as it goes (`Meter`), so a huge image ends in E308/E306 mid-call.

use super::{signatures, Op};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Signature, Tool, ToolCtx, ToolKind};
use crate::value::{BBox, Region, Value};
use super::meter::Meter;
use dwim_perception::{Blob, Img, Rect};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// The blobs of one box of one image, with the work segmenting it took. Every perception tool
/// but `read_text` and `vqa` starts by segmenting its box, and DW collection asks about the same
/// scene again and again (each question, each object's colour), so a process keeps the last
/// [`MEMO_ENTRIES`] segmentations: the perception code is deterministic, so they are the same.
/// A call that reuses one is charged that work again (at once, so at least what a fresh call is
/// charged, to within one charge interval), so every limit (E308, E306) holds as for a fresh call;
/// only the time is saved.
type Key = (String, [u32; 4]);
const MEMO_ENTRIES: usize = 4096;

#[derive(Default)]
struct Memo {
    blobs: HashMap<Key, (Arc<Vec<Blob>>, u64)>,
    order: VecDeque<Key>,
}

fn memo() -> &'static Mutex<Memo> {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    MEMO.get_or_init(Mutex::default)
}

/// Forget every kept segmentation (benchmarks measure a cold start with it).
pub fn forget_segmentations() {
    if let Ok(mut m) = memo().lock() {
        *m = Memo::default();
    }
}

/// The blobs of `roi` in `img` (the image whose content hash is `hash`), segmented once.
fn segmented(hash: &str, img: &Img, roi: Rect, meter: &mut Meter<'_, '_>) -> Result<Arc<Vec<Blob>>, Diagnostic> {
    let key: Key = (hash.to_string(), [roi.x0, roi.y0, roi.x1, roi.y1]);
    if let Some((blobs, work)) = memo().lock().ok().and_then(|m| m.blobs.get(&key).cloned()) {
        meter.add(work)?;
        return Ok(blobs);
    }
    let before = meter.total();
    let blobs = Arc::new(meter.run(|p| dwim_perception::segment_with(img, roi, p))?);
    if let Ok(mut m) = memo().lock() {
        if m.blobs.insert(key.clone(), (blobs.clone(), meter.total() - before)).is_none() {
            m.order.push_back(key);
            while m.order.len() > MEMO_ENTRIES {
                if let Some(old) = m.order.pop_front() {
                    m.blobs.remove(&old);
                }
            }
        }
    }
    Ok(blobs)
}

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
        let hash = region.image.hash();
        Ok(match self.op {
            Op::Detect => {
                let query = args.text(1)?;
                refuse_unknown(dwim_perception::detect::unknown_words(query))?;
                let found = dwim_perception::detect::detect_in(&segmented(hash, &img, roi, &mut meter)?, query);
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
            Op::Color | Op::Shape => {
                let (inner, padded) = dwim_perception::detect::object_rois(&img, roi).ok_or_else(none)?;
                let o = dwim_perception::detect::main_object_in(&segmented(hash, &img, padded, &mut meter)?, inner).ok_or_else(none)?;
                Value::text(if matches!(self.op, Op::Shape) { o.shape } else { o.color })
            }
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

#[cfg(test)]
mod tests {
    use crate::syntax::{parse_program, SourceFile};
    use crate::value::Image;
    use crate::{Code, Limits, Session, Value};

    /// Run `text` on `img` with `limits`: the answer, or the first error's code.
    fn answer(text: &str, img: &Image, limits: Limits) -> Result<serde_json::Value, Code> {
        let registry = super::super::benchmark();
        let src = SourceFile::new("t.wf", text);
        let program = parse_program(&src, &limits).expect("parses");
        let mut s = Session::new(&registry, limits);
        s.bind("image", Value::Image(img.clone()));
        let out = s.run_program(&src, &program.steps);
        match out.iter().find_map(|o| o.error().map(|d| d.code)) {
            Some(c) => Err(c),
            None => Ok(s.answer().expect("answered").to_json()),
        }
    }

    /// A segmentation reused from an earlier call answers the same, and is charged its work
    /// again: a budget too small for the fresh call is too small for the repeated one.
    #[test]
    fn a_kept_segmentation_answers_the_same_and_costs_the_same_budget() {
        let (rgb, _) = crate::world::demo::demo_scene(7);
        let img = Image::from_rgb(rgb);
        let prog = "objs = detect(image, \"object\")\nanswer [len(objs), color(objs[0]), shape(objs[0])]\n";
        super::forget_segmentations();
        let tight = Limits { max_ticks: 200, ..Limits::default() };
        assert_eq!(answer(prog, &img, tight.clone()), Err(Code::E308), "cold");
        let first = answer(prog, &img, Limits::default()).expect("fresh");
        let again = answer(prog, &img, Limits::default()).expect("kept");
        assert_eq!(first, again);
        assert_eq!(answer(prog, &img, tight), Err(Code::E308), "a kept segmentation is charged too");
        super::forget_segmentations();
        assert_eq!(answer(prog, &img, Limits::default()).expect("fresh again"), first);
    }
}
