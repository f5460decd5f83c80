//! The `oracle` set: perception answered exactly from scene annotations, found by the image's
//! content hash. What a perfect detector/OCR/VQA would say; used to check that every reference
//! workflow is right, and as the upper bound in evaluations.

use super::{signatures, Op};
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Signature, Tool, ToolCtx, ToolKind};
use crate::value::{BBox, Image, Region, Value};
use crate::world::scene::{Scene, SceneObject};
use dwim_perception::Query;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Annotated scenes by image hash.
#[derive(Default)]
pub struct OracleWorld {
    scenes: RwLock<HashMap<String, Arc<Scene>>>,
}

impl OracleWorld {
    pub fn new() -> Arc<OracleWorld> {
        Arc::new(OracleWorld::default())
    }
    /// Make `scene` the truth about `image`.
    pub fn add(&self, image: &Image, scene: Scene) {
        if let Ok(mut m) = self.scenes.write() {
            m.insert(image.hash().to_string(), Arc::new(scene));
        }
    }
    pub fn scene(&self, image: &Image) -> Result<Arc<Scene>, Diagnostic> {
        self.scenes.read().ok().and_then(|m| m.get(image.hash()).cloned()).ok_or_else(|| {
            Diagnostic::new(Code::E402, format!("the oracle has no annotations for image {}", image.hash()))
                .help("the oracle tool set only knows images of the bench-world dataset it was given")
        })
    }
}

fn vbox(o: &SceneObject) -> BBox {
    let b = o.visible_box;
    BBox { x0: b[0] as f64, y0: b[1] as f64, x1: b[2] as f64, y1: b[3] as f64 }
}

/// The object a region shows: best IoU ≥ 0.5, else the largest object mostly inside the region.
pub fn object_in<'s>(scene: &'s Scene, b: &BBox) -> Option<&'s SceneObject> {
    let best = scene.objects.iter().map(|o| (vbox(o).iou(b), o)).max_by(|x, y| x.0.total_cmp(&y.0));
    if let Some((iou, o)) = best.filter(|(iou, _)| *iou >= 0.5) {
        let _ = iou;
        return Some(o);
    }
    scene.objects.iter()
        .filter(|o| { let v = vbox(o); v.intersect(b).area() >= 0.5 * v.area() })
        .max_by_key(|o| o.visible_pixels)
}

fn inside<'s>(scene: &'s Scene, b: &BBox) -> impl Iterator<Item = &'s SceneObject> + 's {
    let b = *b;
    scene.objects.iter().filter(move |o| {
        let (cx, cy) = vbox(o).center();
        cx >= b.x0 && cx <= b.x1 && cy >= b.y0 && cy <= b.y1
    })
}


struct OracleTool {
    sig: Signature,
    op: Op,
    world: Arc<OracleWorld>,
}

pub fn tools(world: Arc<OracleWorld>) -> Vec<Arc<dyn Tool>> {
    let ops = [Op::Detect, Op::Color, Op::Shape, Op::ReadText, Op::Vqa];
    signatures(ToolKind::Builtin, "oracle: exact, from the annotations")
        .into_iter()
        .zip(ops)
        .map(|(sig, op)| Arc::new(OracleTool { sig, op, world: world.clone() }) as Arc<dyn Tool>)
        .collect()
}

impl Tool for OracleTool {
    fn signature(&self) -> &Signature {
        &self.sig
    }
    fn call(&self, args: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let region = args.visual(0)?;
        let scene = self.world.scene(&region.image)?;
        let obj = || object_in(&scene, &region.bbox).ok_or_else(|| Diagnostic::new(Code::E401, "no object in this region"));
        Ok(match self.op {
            Op::Detect => {
                super::pixels::refuse_unknown(dwim_perception::detect::unknown_words(args.text(1)?))?;
                detect(&scene, &region, args.text(1)?)
            }
            Op::Color => Value::text(obj()?.color.as_str()),
            Op::Shape => Value::text(obj()?.shape.as_str()),
            Op::ReadText => Value::text(object_in(&scene, &region.bbox).and_then(|o| o.text.clone()).unwrap_or_default()),
            Op::Vqa => {
                super::pixels::refuse_unknown(dwim_perception::vqa::unknown_words(args.text(1)?))?;
                Value::text(vqa(&scene, &region, args.text(1)?))
            }
        })
    }
}

fn detect(scene: &Scene, region: &Region, query: &str) -> Value {
    let q = Query::parse(query);
    let mut found: Vec<&SceneObject> = inside(scene, &region.bbox).filter(|o| q.matches(&o.size, &o.color, &o.shape)).collect();
    found.sort_by_key(|o| (o.visible_box[0], o.visible_box[1]));
    Value::list(found.into_iter().map(|o| {
        let mut r = Region::new(region.image.clone(), vbox(o));
        r.label = Some(o.describe().into());
        r.score = Some(1.0);
        Value::Region(r)
    }).collect())
}

fn vqa(scene: &Scene, region: &Region, question: &str) -> String {
    let q = question.to_ascii_lowercase();
    let has = |w: &str| q.split(|c: char| !c.is_ascii_alphanumeric()).any(|x| x == w);
    let count = |rest: &str| {
        let qq = Query::parse(rest);
        inside(scene, &region.bbox).filter(|o| qq.matches(&o.size, &o.color, &o.shape)).count()
    };
    if let Some(rest) = q.strip_prefix("how many") {
        return count(rest).to_string();
    }
    if let Some(rest) = q.strip_prefix("is there").or_else(|| q.strip_prefix("are there")) {
        return if count(rest) > 0 { "yes" } else { "no" }.into();
    }
    let Some(o) = object_in(scene, &region.bbox) else { return "nothing".into() };
    if has("say") || has("says") || has("written") || has("text") || has("label") || has("read") {
        o.text.clone().unwrap_or_default().to_lowercase()
    } else if has("color") || has("colour") {
        o.color.clone()
    } else if has("shape") {
        o.shape.clone()
    } else if has("size") || has("big") || has("large") || has("small") {
        o.size.clone()
    } else {
        "unknown".into()
    }
}
