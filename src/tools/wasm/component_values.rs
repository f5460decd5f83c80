//! dwim values ⇄ the flattened `values` of the `dwim:tool@0.1.0` world (`tools-wasm/wit`).
//!
//! What a component returns is checked while it is rebuilt, without recursion: children come
//! before their parent and each node is used once (so the tree has no cycles and cannot expand),
//! image indices are in range, new images have `width * height * 3` bytes within
//! `Limits::max_image_pixels`, numbers are finite, and nesting, list, text and node counts stay
//! within the output limits. Any breach is E407.

use super::abi::OutputLimits;
use super::component::wit;
use crate::diag::{Code, Diagnostic};
use crate::types::Type;
use crate::value::{BBox, Image, Region, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

fn bad(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::E407, msg)
}

/// The arguments as one `values` (one root per argument), each distinct image sent once; also
/// the images in the order sent, which output indices refer to first.
pub fn encode_args(args: &[Value]) -> Result<(wit::Values, Vec<Image>), Diagnostic> {
    let mut e = Encoder { nodes: Vec::new(), images: Vec::new() };
    let roots = args.iter().map(|a| e.value(a)).collect::<Result<Vec<_>, _>>()?;
    let images = e.images.iter().map(|i| wit::Image { width: i.width(), height: i.height(), pixels: i.pixels().as_raw().clone() }).collect();
    Ok((wit::Values { images, nodes: e.nodes, roots }, e.images))
}

struct Encoder {
    nodes: Vec<wit::Node>,
    images: Vec<Image>,
}

impl Encoder {
    fn image(&mut self, img: &Image) -> u32 {
        let i = self.images.iter().position(|i| i.same(img)).unwrap_or_else(|| {
            self.images.push(img.clone());
            self.images.len() - 1
        });
        i as u32
    }
    fn value(&mut self, v: &Value) -> Result<u32, Diagnostic> {
        let node = match v {
            Value::None => wit::Node::None,
            Value::Bool(b) => wit::Node::Boolean(*b),
            Value::Number(n) => wit::Node::Number(*n),
            Value::Text(t) => wit::Node::Text(t.to_string()),
            Value::Image(img) => wit::Node::Image(self.image(img)),
            Value::Region(r) => wit::Node::Region(wit::Region {
                image: self.image(&r.image),
                bbox: wit::Bbox { x0: r.bbox.x0, y0: r.bbox.y0, x1: r.bbox.x1, y1: r.bbox.y1 },
                label: r.label.as_deref().map(str::to_string),
                score: r.score,
            }),
            Value::List(items) => wit::Node::List(items.iter().map(|x| self.value(x)).collect::<Result<_, _>>()?),
            Value::Record(fields) => wit::Node::Record(
                fields.iter().map(|(k, x)| Ok(wit::Field { key: k.clone(), value: self.value(x)? })).collect::<Result<_, Diagnostic>>()?,
            ),
            Value::Lambda(_) => return Err(Diagnostic::new(Code::E402, "a function (lambda) cannot be passed to a plugin")),
        };
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as u32)
    }
}

/// Bytes a `values` holds (pixels, texts, and a fixed cost per node): what `max_output_bytes`
/// bounds.
pub fn byte_size(v: &wit::Values) -> usize {
    let texts: usize = v
        .nodes
        .iter()
        .map(|n| match n {
            wit::Node::Text(t) => t.len(),
            wit::Node::Region(r) => r.label.as_ref().map_or(0, String::len),
            wit::Node::List(l) => 4 * l.len(),
            wit::Node::Record(f) => f.iter().map(|f| f.key.len() + 4).sum(),
            _ => 0,
        })
        .fold(0, usize::saturating_add);
    let pixels = v.images.iter().map(|i| i.pixels.len()).fold(0, usize::saturating_add);
    texts.saturating_add(pixels).saturating_add(v.nodes.len().saturating_mul(16))
}

/// Rebuild the values a component sent: its roots, in order. `inputs` are the images it was
/// given (indices count them first, then the images it sent).
pub fn decode(v: wit::Values, inputs: &[Image], lim: &OutputLimits) -> Result<Vec<Value>, Diagnostic> {
    if v.nodes.len() as u64 > lim.max_nodes {
        return Err(bad(format!("output has {} values; the limit is {} (Limits::max_value_nodes)", v.nodes.len(), lim.max_nodes)));
    }
    let mut images = inputs.to_vec();
    for img in v.images {
        images.push(image(img, lim)?);
    }
    let image_at = |k: u32| images.get(k as usize).cloned().ok_or_else(|| bad(format!("image index {k} out of range ({} images)", images.len())));
    let mut built: Vec<Option<(Value, usize)>> = Vec::with_capacity(v.nodes.len());
    for (i, node) in v.nodes.into_iter().enumerate() {
        let mut child = |k: u32| -> Result<(Value, usize), Diagnostic> {
            let k = k as usize;
            if k >= i {
                return Err(bad(format!("node {i} names node {k} as a child; children must come before their parent")));
            }
            built[k].take().ok_or_else(|| bad(format!("node {k} is used twice")))
        };
        let count = |n: usize| if n > lim.max_list_len { Err(bad(format!("a collection of {n} items exceeds the limit of {}", lim.max_list_len))) } else { Ok(()) };
        let (value, depth) = match node {
            wit::Node::None => (Value::None, 0),
            wit::Node::Boolean(b) => (Value::Bool(b), 0),
            wit::Node::Number(n) => (Value::Number(finite(n)?), 0),
            wit::Node::Text(t) => (Value::text(text(t, lim)?), 0),
            wit::Node::Image(k) => (Value::Image(image_at(k)?), 0),
            wit::Node::Region(r) => {
                let bbox = BBox { x0: finite(r.bbox.x0)?, y0: finite(r.bbox.y0)?, x1: finite(r.bbox.x1)?, y1: finite(r.bbox.y1)? };
                let mut region = Region::new(image_at(r.image)?, bbox);
                region.label = r.label.map(|l| text(l, lim)).transpose()?.map(Arc::from);
                region.score = r.score.map(finite).transpose()?;
                (Value::Region(region), 0)
            }
            wit::Node::List(items) => {
                count(items.len())?;
                let (mut out, mut depth) = (Vec::with_capacity(items.len()), 0);
                for k in items {
                    let (v, d) = child(k)?;
                    depth = depth.max(d + 1);
                    out.push(v);
                }
                (Value::list(out), depth.max(1))
            }
            wit::Node::Record(fields) => {
                count(fields.len())?;
                let (mut out, mut depth) = (BTreeMap::new(), 1);
                for f in fields {
                    let (v, d) = child(f.value)?;
                    depth = depth.max(d + 1);
                    let key = text(f.key, lim)?;
                    if out.contains_key(&key) {
                        return Err(bad(format!("record field `{}` appears twice", crate::tools::signature::clip(&key, 80))));
                    }
                    out.insert(key, v);
                }
                (Value::record(out), depth)
            }
        };
        if depth > lim.max_depth {
            return Err(bad(format!("output nested deeper than {}", lim.max_depth)));
        }
        built.push(Some((value, depth)));
    }
    let n = built.len();
    v.roots
        .iter()
        .map(|&r| {
            let slot = built.get_mut(r as usize).ok_or_else(|| bad(format!("root {r} names no node ({n} nodes)")))?;
            slot.take().map(|(v, _)| v).ok_or_else(|| bad(format!("root {r} is also used elsewhere")))
        })
        .collect()
}

fn finite(x: f64) -> Result<f64, Diagnostic> {
    if x.is_finite() { Ok(x) } else { Err(bad("a number is NaN or infinite")) }
}

fn text(t: String, lim: &OutputLimits) -> Result<String, Diagnostic> {
    if t.len() > lim.max_text_len {
        return Err(bad(format!("text of {} bytes exceeds the limit of {}", t.len(), lim.max_text_len)));
    }
    Ok(t)
}

fn image(img: wit::Image, lim: &OutputLimits) -> Result<Image, Diagnostic> {
    let (w, h) = (img.width, img.height);
    let pixels = u64::from(w) * u64::from(h);
    if pixels == 0 {
        return Err(bad(format!("a {w}×{h} image has no pixels")));
    }
    if pixels > lim.max_image_pixels {
        return Err(bad(format!("a {w}×{h} image has {pixels} pixels; the limit is {}", lim.max_image_pixels)));
    }
    if img.pixels.len() as u64 != pixels * 3 {
        return Err(bad(format!("a {w}×{h} image needs {} bytes of RGB; it has {}", pixels * 3, img.pixels.len())));
    }
    let reserved = Image::reserve(w, h, lim.max_live_pixels)?;
    let buf = image::RgbImage::from_raw(w, h, img.pixels).ok_or_else(|| bad("image buffer has the wrong size"))?;
    Ok(Image::from_reserved(reserved, buf))
}

/// A declared type: `element` inside `list-depth` lists.
pub fn type_of(t: &wit::ValueType) -> Type {
    let mut ty = match t.element {
        wit::ElementType::Any => Type::Any,
        wit::ElementType::None => Type::None,
        wit::ElementType::Boolean => Type::Bool,
        wit::ElementType::Number => Type::Number,
        wit::ElementType::Text => Type::Text,
        wit::ElementType::Image => Type::Image,
        wit::ElementType::Region => Type::Region,
        wit::ElementType::Visual => Type::Visual,
        wit::ElementType::Record => Type::Record,
    };
    for _ in 0..t.list_depth {
        ty = Type::list(ty);
    }
    ty
}

/// A parameter's default as the JSON a `Signature` holds: one root of none, bool, number, text
/// or lists of those (E409 otherwise).
pub fn default_json(v: wit::Values, lim: &OutputLimits) -> Result<serde_json::Value, Diagnostic> {
    let sig = |m: String| Diagnostic::new(Code::E409, m);
    if !v.images.is_empty() || v.roots.len() != 1 {
        return Err(sig("a default must be one value with no images".into()));
    }
    let mut vs = decode(v, &[], lim).map_err(|d| sig(format!("invalid default: {}", d.message)))?;
    json(&vs.remove(0), 0).ok_or_else(|| sig("a default may be none, a bool, a number, a text or a list of those".into()))
}

fn json(v: &Value, depth: usize) -> Option<serde_json::Value> {
    Some(match v {
        Value::None => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => (*n as i64).into(),
        Value::Number(n) => serde_json::Number::from_f64(*n)?.into(),
        Value::Text(t) => t.to_string().into(),
        Value::List(items) if depth < 8 => items.iter().map(|x| json(x, depth + 1)).collect::<Option<Vec<_>>>()?.into(),
        _ => return None,
    })
}
