//! Flattened WIT values ⇄ [`Value`]. The host sends well-formed trees (children before parents,
//! each node used once); what a tool returns is written the same way, children first.

use crate::args::Args;
use crate::bindings::exports::dwim::tool::plugin::{self as wit, ErrorCode, Field, Node, ToolError, Values};
use crate::value::{BBox, Image, Region, Value};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

fn decode(i: u32, nodes: &mut [Option<Node>], images: &[Image]) -> Value {
    let Some(node) = nodes.get_mut(i as usize).and_then(Option::take) else { return Value::None };
    let image = |k: u32| images.get(k as usize).cloned().unwrap_or_else(|| Image { index: None, width: 0, height: 0, pixels: Rc::new(Vec::new()) });
    match node {
        Node::None => Value::None,
        Node::Boolean(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        Node::Text(t) => Value::Text(t),
        Node::Image(k) => Value::Image(image(k)),
        Node::Region(r) => Value::Region(Region {
            image: image(r.image),
            bbox: BBox { x0: r.bbox.x0, y0: r.bbox.y0, x1: r.bbox.x1, y1: r.bbox.y1 },
            label: r.label,
            score: r.score,
        }),
        Node::List(items) => Value::List(items.into_iter().map(|k| decode(k, nodes, images)).collect()),
        Node::Record(fields) => Value::Record(fields.into_iter().map(|f| (f.key, decode(f.value, nodes, images))).collect()),
    }
}

/// The values `v` as a WIT `values`; images without an input index are appended after the
/// `inputs` images the host sent.
pub(crate) fn encode_values(vs: &[Value], inputs: u32) -> Values {
    let mut e = Encoder { nodes: Vec::new(), images: Vec::new(), inputs };
    let roots = vs.iter().map(|v| e.value(v)).collect();
    Values { images: e.images.into_iter().map(|i| wit::Image { width: i.width, height: i.height, pixels: (*i.pixels).clone() }).collect(), nodes: e.nodes, roots }
}

struct Encoder {
    nodes: Vec<Node>,
    images: Vec<Image>,
    inputs: u32,
}

impl Encoder {
    fn push(&mut self, n: Node) -> u32 {
        self.nodes.push(n);
        (self.nodes.len() - 1) as u32
    }
    fn image(&mut self, img: &Image) -> u32 {
        if let Some(i) = img.index {
            return i;
        }
        let k = match self.images.iter().position(|o| Rc::ptr_eq(&o.pixels, &img.pixels)) {
            Some(k) => k,
            None => {
                self.images.push(img.clone());
                self.images.len() - 1
            }
        };
        self.inputs + k as u32
    }
    fn value(&mut self, v: &Value) -> u32 {
        let node = match v {
            Value::None => Node::None,
            Value::Bool(b) => Node::Boolean(*b),
            Value::Number(n) => Node::Number(*n),
            Value::Text(t) => Node::Text(t.clone()),
            Value::Image(img) => Node::Image(self.image(img)),
            Value::Region(r) => Node::Region(wit::Region {
                image: self.image(&r.image),
                bbox: wit::Bbox { x0: r.bbox.x0, y0: r.bbox.y0, x1: r.bbox.x1, y1: r.bbox.y1 },
                label: r.label.clone(),
                score: r.score,
            }),
            Value::List(items) => Node::List(items.iter().map(|x| self.value(x)).collect()),
            Value::Record(fields) => Node::Record(fields.iter().map(|(k, x)| Field { key: k.clone(), value: self.value(x) }).collect()),
        };
        self.push(node)
    }
}

/// Decode the arguments, run the tool, encode its answer: what `tool!`'s `call` does.
pub fn run(args: Values, f: fn(&Args) -> Result<Value, String>) -> Result<Values, ToolError> {
    let inputs = args.images.len() as u32;
    let images: Vec<Image> = args
        .images
        .into_iter()
        .enumerate()
        .map(|(i, img)| Image { index: Some(i as u32), width: img.width, height: img.height, pixels: Rc::new(img.pixels) })
        .collect();
    let mut nodes: Vec<Option<Node>> = args.nodes.into_iter().map(Some).collect();
    let values = args.roots.iter().map(|&r| decode(r, &mut nodes, &images)).collect();
    match f(&Args { values }) {
        Ok(v) => Ok(encode_values(&[v], inputs)),
        Err(msg) => Err(match msg.strip_prefix("E402 ") {
            Some(rest) => ToolError { code: ErrorCode::InvalidInput, message: rest.into() },
            None => ToolError { code: ErrorCode::Failed, message: msg },
        }),
    }
}
