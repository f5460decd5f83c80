//! Regions and spatial relations.

use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, FnTool, Param, Signature, ToolCtx};
use crate::types::Type;
use crate::value::{BBox, Region, Value};
use serde_json::json;

fn t(sig: Signature, f: fn(&Args, &mut ToolCtx<'_>) -> Result<Value, Diagnostic>) -> FnTool {
    FnTool { sig, f }
}

pub fn tools() -> Vec<FnTool> {
    let vis = || Param::req("image", Type::Visual);
    let reg = |n: &str| Param::req(n, Type::Region);
    vec![
        t(Signature::new("crop", vec![vis(), reg("region"), Param::opt("pad", Type::Number, json!(0))], Type::Region,
            "The part of `image` inside `region`, grown by `pad` pixels on each side (no pixels are copied)."), crop),
        t(Signature::new("crop_left_of", vec![vis(), reg("region")], Type::Region,
            "The part of `image` left of the centre of `region` (full height)."), |a, _| side(a, Side::Left)),
        t(Signature::new("crop_right_of", vec![vis(), reg("region")], Type::Region,
            "The part of `image` right of the centre of `region` (full height)."), |a, _| side(a, Side::Right)),
        t(Signature::new("crop_above", vec![vis(), reg("region")], Type::Region,
            "The part of `image` above the centre of `region` (full width)."), |a, _| side(a, Side::Above)),
        t(Signature::new("crop_below", vec![vis(), reg("region")], Type::Region,
            "The part of `image` below the centre of `region` (full width)."), |a, _| side(a, Side::Below)),
        t(Signature::new("box", vec![vis(), Param::req("x0", Type::Number), Param::req("y0", Type::Number),
            Param::req("x1", Type::Number), Param::req("y1", Type::Number)], Type::Region,
            "The region of `image` with corners (x0, y0) and (x1, y1), in pixels of the whole image."), make_box),
        t(Signature::new("area", vec![reg("region")], Type::Number, "Area of a region in pixels."),
            |a, _| Ok(Value::Number(a.region(0)?.bbox.area()))),
        t(Signature::new("center", vec![reg("region")], Type::Fields(Box::new([("x".into(), Type::Number), ("y".into(), Type::Number)])), "Centre of a region as {x, y}."), |a, _| {
            let (x, y) = a.region(0)?.bbox.center();
            Ok(Value::record([("x".into(), Value::Number(x)), ("y".into(), Value::Number(y))]))
        }),
        t(Signature::new("overlaps", vec![reg("a"), reg("b")], Type::Bool, "Do two regions overlap?"),
            |a, _| Ok(Value::Bool(a.region(0)?.bbox.intersect(&a.region(1)?.bbox).area() > 0.0))),
        t(Signature::new("iou", vec![reg("a"), reg("b")], Type::Number, "Intersection over union of two regions (0..1)."),
            |a, _| Ok(Value::Number(a.region(0)?.bbox.iou(&a.region(1)?.bbox)))),
        t(Signature::new("distance", vec![reg("a"), reg("b")], Type::Number, "Distance in pixels between region centres."),
            |a, _| Ok(Value::Number(dist(&a.region(0)?.bbox, &a.region(1)?.bbox)))),
        t(Signature::new("left_of", vec![reg("a"), reg("b")], Type::Bool, "Is the centre of `a` left of the centre of `b`?"),
            |a, _| rel(a, |p, q| p.0 < q.0)),
        t(Signature::new("right_of", vec![reg("a"), reg("b")], Type::Bool, "Is the centre of `a` right of the centre of `b`?"),
            |a, _| rel(a, |p, q| p.0 > q.0)),
        t(Signature::new("above", vec![reg("a"), reg("b")], Type::Bool, "Is the centre of `a` above the centre of `b`?"),
            |a, _| rel(a, |p, q| p.1 < q.1)),
        t(Signature::new("below", vec![reg("a"), reg("b")], Type::Bool, "Is the centre of `a` below the centre of `b`?"),
            |a, _| rel(a, |p, q| p.1 > q.1)),
        t(Signature::new("nearest", vec![Param::req("regions", Type::list(Type::Region)), reg("to")], Type::Region,
            "The region in `regions` whose centre is closest to `to` (ignoring `to` itself)."), nearest),
    ]
}

fn crop(a: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let outer = a.visual(0)?;
    let r = a.region(1)?;
    let pad = a.number(2)?;
    if !pad.is_finite() || pad < 0.0 {
        return Err(Diagnostic::new(Code::E205, format!("`pad` must be a non-negative number, got {pad}")));
    }
    let b = r.bbox;
    let grown = BBox { x0: b.x0 - pad, y0: b.y0 - pad, x1: b.x1 + pad, y1: b.y1 + pad }.intersect(&outer.bbox);
    if grown.area() <= 0.0 {
        return Err(Diagnostic::new(Code::E205, "the region lies outside the image").help("check the region came from this image"));
    }
    let mut out = Region::new(outer.image.clone(), grown);
    out.label = r.label.clone();
    out.score = r.score;
    Ok(Value::Region(out))
}

enum Side {
    Left,
    Right,
    Above,
    Below,
}

fn side(a: &Args, s: Side) -> Result<Value, Diagnostic> {
    let outer = a.visual(0)?;
    let (cx, cy) = a.region(1)?.bbox.center();
    let o = outer.bbox;
    let b = match s {
        Side::Left => BBox { x1: cx.min(o.x1), ..o },
        Side::Right => BBox { x0: cx.max(o.x0), ..o },
        Side::Above => BBox { y1: cy.min(o.y1), ..o },
        Side::Below => BBox { y0: cy.max(o.y0), ..o },
    };
    if b.area() <= 0.0 {
        return Err(Diagnostic::new(Code::E205, "nothing of the image lies on that side of the region"));
    }
    Ok(Value::Region(Region::new(outer.image, b)))
}

fn make_box(a: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let img = a.image(0)?.clone();
    let b = BBox { x0: a.number(1)?, y0: a.number(2)?, x1: a.number(3)?, y1: a.number(4)? };
    if ![b.x0, b.y0, b.x1, b.y1].iter().all(|v| v.is_finite()) || b.x1 <= b.x0 || b.y1 <= b.y0 {
        return Err(Diagnostic::new(Code::E205, "a box needs x0 < x1 and y0 < y1"));
    }
    let r = Region::new(img, b);
    if r.bbox.area() <= 0.0 {
        return Err(Diagnostic::new(Code::E205, "the box lies outside the image"));
    }
    Ok(Value::Region(r))
}

fn dist(a: &BBox, b: &BBox) -> f64 {
    let (p, q) = (a.center(), b.center());
    ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt()
}

fn rel(a: &Args, f: fn((f64, f64), (f64, f64)) -> bool) -> Result<Value, Diagnostic> {
    Ok(Value::Bool(f(a.region(0)?.bbox.center(), a.region(1)?.bbox.center())))
}

fn nearest(a: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
    let to = a.region(1)?;
    ctx.charge(a.list(0)?.len() as u64)?;
    let mut best: Option<(f64, &Region)> = None;
    for v in a.list(0)?.iter() {
        let Value::Region(r) = v else {
            return Err(Diagnostic::new(Code::E201, format!("`regions` must hold regions, found {}", v.kind())));
        };
        if r.bbox == to.bbox {
            continue;
        }
        let d = dist(&r.bbox, &to.bbox);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, r));
        }
    }
    best.map(|(_, r)| Value::Region(r.clone()))
        .ok_or_else(|| Diagnostic::new(Code::E205, "`regions` has no region other than `to`"))
}
