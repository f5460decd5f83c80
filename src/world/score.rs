//! Measuring the `benchmark` tools against the annotations: per-tool precision/recall/accuracy,
//! and end-to-end accuracy of the reference workflows with any tool set.

use crate::data::Dataset;
use super::scene::{Scene, SceneObject};
use crate::diag::Diagnostic;
use crate::syntax::{parse_program, SourceFile};
use crate::tools::bench::pixels::rect_of;
use crate::value::{BBox, Image};
use crate::{Limits, Registry, Session, Value};
use dwim_perception::{detect, detect::main_object, read_text, vqa, Img, Rect};
use serde::Serialize;
use std::collections::BTreeMap;

/// Hits out of trials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Ratio {
    pub hits: usize,
    pub total: usize,
}

impl Ratio {
    pub fn rate(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.hits as f64 / self.total as f64 }
    }
    fn add(&mut self, hit: bool) {
        self.hits += hit as usize;
        self.total += 1;
    }
}

/// What the pixel tools got right on a split. Regions given to classifiers and OCR are the
/// annotated visible boxes, so each tool is measured on its own.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ToolMetrics {
    pub scenes: usize,
    /// `detect(image, "object")`: detections matching an annotated object (IoU ≥ 0.5) / detections.
    pub detect_precision: Ratio,
    /// Annotated objects found (IoU ≥ 0.5) / annotated objects.
    pub detect_recall: Ratio,
    pub detect_recall_small: Ratio,
    pub detect_recall_occluded: Ratio,
    /// `detect(image, "<colour> <shape>")` for every colour–shape pair in a scene: precision/recall.
    pub query_precision: Ratio,
    pub query_recall: Ratio,
    /// `color(box)` / `shape(box)` on objects at most half hidden.
    pub color_accuracy: Ratio,
    pub shape_accuracy: Ratio,
    /// `read_text(box)` exactly right on labelled objects at most 30% hidden.
    pub read_text_accuracy: Ratio,
    /// `read_text(box)` is "" on unlabelled objects.
    pub read_text_blank: Ratio,
    /// `vqa(box, "What color is this?")` right.
    pub vqa_color_accuracy: Ratio,
}

fn vbox(o: &SceneObject) -> BBox {
    let b = o.visible_box;
    BBox { x0: b[0] as f64, y0: b[1] as f64, x1: b[2] as f64, y1: b[3] as f64 }
}

fn rbox(r: &Rect) -> BBox {
    BBox { x0: r.x0 as f64, y0: r.y0 as f64, x1: r.x1 as f64, y1: r.y1 as f64 }
}

/// Greedy one-to-one matching by IoU ≥ 0.5: (matched detections, matched truths).
fn match_boxes(found: &[BBox], truth: &[BBox]) -> (Vec<bool>, Vec<bool>) {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, f) in found.iter().enumerate() {
        for (j, t) in truth.iter().enumerate() {
            let iou = f.iou(t);
            if iou >= 0.5 {
                pairs.push((iou, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut df, mut dt) = (vec![false; found.len()], vec![false; truth.len()]);
    for (_, i, j) in pairs {
        if !df[i] && !dt[j] {
            df[i] = true;
            dt[j] = true;
        }
    }
    (df, dt)
}

/// Measure every pixel tool on one scene, adding to `m`.
pub fn measure_scene(m: &mut ToolMetrics, scene: &Scene, image: &Image) {
    let px = image.pixels();
    let Some(img) = Img::new(px.width(), px.height(), px.as_raw()) else { return };
    m.scenes += 1;
    let all = detect(&img, img.full(), "object");
    let truth: Vec<BBox> = scene.objects.iter().map(vbox).collect();
    let (df, dt) = match_boxes(&all.iter().map(|d| rbox(&d.rect)).collect::<Vec<_>>(), &truth);
    df.iter().for_each(|&h| m.detect_precision.add(h));
    for (o, &hit) in scene.objects.iter().zip(&dt) {
        m.detect_recall.add(hit);
        if o.size == "small" {
            m.detect_recall_small.add(hit);
        }
        if o.occluded > 0.2 {
            m.detect_recall_occluded.add(hit);
        }
    }
    let mut pairs: Vec<(String, String)> = scene.objects.iter().map(|o| (o.color.clone(), o.shape.clone())).collect();
    pairs.sort();
    pairs.dedup();
    for (c, s) in &pairs {
        let found: Vec<BBox> = detect(&img, img.full(), &format!("{c} {s}")).iter().map(|d| rbox(&d.rect)).collect();
        let t: Vec<BBox> = scene.objects.iter().filter(|o| &o.color == c && &o.shape == s).map(vbox).collect();
        let (df, dt) = match_boxes(&found, &t);
        df.iter().for_each(|&h| m.query_precision.add(h));
        dt.iter().for_each(|&h| m.query_recall.add(h));
    }
    for o in &scene.objects {
        let roi = rect_of(&vbox(o));
        if o.occluded <= 0.5 {
            let main = main_object(&img, roi);
            m.color_accuracy.add(main.as_ref().is_some_and(|d| d.color == o.color));
            m.shape_accuracy.add(main.as_ref().is_some_and(|d| d.shape == o.shape));
            m.vqa_color_accuracy.add(vqa(&img, roi, "What color is this?") == o.color);
        }
        match &o.text {
            Some(t) if o.occluded <= 0.3 => m.read_text_accuracy.add(&read_text(&img, roi) == t),
            None => m.read_text_blank.add(read_text(&img, roi).is_empty()),
            _ => {}
        }
    }
}

/// Tool metrics over the scenes of `split` (`all` for every scene).
pub fn tool_metrics(ds: &Dataset, split: &str) -> Result<ToolMetrics, Diagnostic> {
    let mut m = ToolMetrics::default();
    for s in ds.split(split) {
        measure_scene(&mut m, s, &ds.image(s)?);
    }
    Ok(m)
}

/// Reference workflows run with a tool set: correct answers per family (and `all`).
pub fn workflow_accuracy(ds: &Dataset, split: &str, registry: &Registry) -> Result<BTreeMap<String, Ratio>, Diagnostic> {
    let mut out: BTreeMap<String, Ratio> = BTreeMap::new();
    for q in ds.items(split) {
        let Some(prog) = &q.program else { continue };
        let ok = run_reference(registry, &ds.item_image(q)?, &q.id, prog).is_some_and(|v| q.is_correct(&v));
        out.entry(q.family.clone()).or_default().add(ok);
        out.entry("all".into()).or_default().add(ok);
    }
    Ok(out)
}

/// Run a workflow on an image; its answer, or `None` if it failed.
pub fn run_reference(registry: &Registry, image: &Image, name: &str, prog: &str) -> Option<Value> {
    let src = SourceFile::new(name, prog);
    let p = parse_program(&src, &Limits::default()).ok()?;
    let mut s = Session::new(registry, Limits::default());
    s.bind("image", Value::Image(image.clone()));
    let out = s.run_program(&src, &p.steps);
    if out.iter().any(|o| o.error().is_some()) {
        return None;
    }
    s.answer().cloned()
}
