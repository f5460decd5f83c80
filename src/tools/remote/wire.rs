//! The JSON a remote tool call sends and receives (documented in `docs/remote-tools.md`).
//!
//! ```text
//! request  = {"tool": NAME, "args": {PARAM: value, ...}, "images": [image, ...]}
//! reply    = {"ok": value, "images": [image, ...]}      (images: new ones, optional)
//!          | {"error": "the tool's own message"}
//! image    = {"width": W, "height": H, "rgb": base64 of W*H*3 bytes, row-major RGB}
//! value    = null | true | false | number | "text" | [value, ...]
//!          | {"image": I}                                (I indexes the images)
//!          | {"region": [x0, y0, x1, y1], "image": I, "label"?: "text", "score"?: number}
//!          | {"record": {KEY: value, ...}}
//! ```
//! Image indices in a reply count the request's images first, then the reply's new ones, so a
//! region the tool returns refers to the caller's image without sending pixels back.

use super::base64;
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::tools::Args;
use crate::value::{BBox, Image, Region, Value};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The request body for one call, and the images it carries (a reply's indices refer to them).
pub fn encode_call(tool: &str, args: &Args) -> Result<(Vec<u8>, Vec<Image>), Diagnostic> {
    let mut images = Vec::new();
    let mut named = Map::new();
    for (name, v) in args.names.iter().zip(&args.values) {
        named.insert(name.clone(), encode_value(v, &mut images)?);
    }
    let pixels: Vec<Json> = images
        .iter()
        .map(|i: &Image| json!({"width": i.width(), "height": i.height(), "rgb": base64::encode(i.pixels().as_raw())}))
        .collect();
    let body = json!({"tool": tool, "args": named, "images": pixels});
    Ok((body.to_string().into_bytes(), images))
}

fn image_index(img: &Image, images: &mut Vec<Image>) -> usize {
    match images.iter().position(|i| i.same(img)) {
        Some(i) => i,
        None => {
            images.push(img.clone());
            images.len() - 1
        }
    }
}

fn number(n: f64) -> Result<Json, Diagnostic> {
    serde_json::Number::from_f64(n)
        .map(Json::Number)
        .ok_or_else(|| Diagnostic::new(Code::E402, format!("{n} cannot be sent to a remote tool (JSON numbers are finite)")))
}

fn encode_value(v: &Value, images: &mut Vec<Image>) -> Result<Json, Diagnostic> {
    Ok(match v {
        Value::None => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number(*n)?,
        Value::Text(t) => Json::String(t.to_string()),
        Value::Image(img) => json!({"image": image_index(img, images)}),
        Value::Region(r) => {
            let b = r.bbox;
            let mut o = json!({"region": [number(b.x0)?, number(b.y0)?, number(b.x1)?, number(b.y1)?], "image": image_index(&r.image, images)});
            if let Some(l) = &r.label {
                o["label"] = json!(l.as_ref());
            }
            if let Some(s) = r.score {
                o["score"] = number(s)?;
            }
            o
        }
        Value::List(items) => Json::Array(items.iter().map(|it| encode_value(it, images)).collect::<Result<_, _>>()?),
        Value::Record(fields) => {
            let mut o = Map::new();
            for (k, v) in fields.iter() {
                o.insert(k.clone(), encode_value(v, images)?);
            }
            json!({"record": o})
        }
        Value::Lambda(_) => return Err(Diagnostic::new(Code::E402, "a function cannot be sent to a remote tool")),
    })
}

/// What a tool server answered: a value, or the tool's own error message.
pub enum Reply {
    Ok(Value),
    ToolError(String),
}

/// Decode a reply body. A body that is not JSON, or JSON that is not `{"ok": ...}` or
/// `{"error": ...}`, is E415 (the endpoint's reply is malformed). A value that breaks the
/// encoding or the limits — an unknown object, an image index out of range, an image with no
/// pixels or over `max_image_pixels`, base64 of the wrong length, a list over `max_list_len`,
/// a text over `max_text_len`, nesting over `max_depth`, more than `max_value_nodes` values, a
/// whole value over the size limits — is E407, as for a plugin's output.
pub fn decode_reply(bytes: &[u8], inputs: &[Image], limits: &Limits) -> Result<Reply, Diagnostic> {
    let malformed = |m: String| Diagnostic::new(Code::E415, m);
    let doc: Json = serde_json::from_slice(bytes).map_err(|e| malformed(format!("the reply is not JSON: {e}")))?;
    let Json::Object(mut doc) = doc else { return Err(malformed("the reply is not a JSON object".into())) };
    if let Some(e) = doc.get("error") {
        let msg = match e {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Ok(Reply::ToolError(crate::tools::signature::clip(&msg, 2000).to_string()));
    }
    let Some(ok) = doc.remove("ok") else { return Err(malformed("the reply has neither `ok` nor `error`".into())) };
    let mut d = Decoder { limits, images: inputs.to_vec(), nodes: 0 };
    match doc.get("images") {
        None | Some(Json::Null) => {}
        Some(Json::Array(new)) => {
            for img in new {
                let img = d.image(img)?;
                d.images.push(img);
            }
        }
        Some(_) => return Err(bad("`images` is not a list")),
    }
    let v = d.value(&ok, 0)?;
    v.size().check(limits).map_err(|e| bad(format!("the tool returned a value over the limits: {}", e.message)))?;
    Ok(Reply::Ok(v))
}

fn bad(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::E407, msg)
}

struct Decoder<'a> {
    limits: &'a Limits,
    images: Vec<Image>,
    nodes: u64,
}

impl Decoder<'_> {
    fn image(&self, j: &Json) -> Result<Image, Diagnostic> {
        let dim = |k: &str| j.get(k).and_then(Json::as_u64).ok_or_else(|| bad(format!("an image has no integer `{k}`")));
        let (w, h) = (dim("width")?, dim("height")?);
        let pixels = w.saturating_mul(h);
        if pixels == 0 {
            return Err(bad(format!("a {w}×{h} image has no pixels")));
        }
        if pixels > self.limits.max_image_pixels || w > u64::from(u32::MAX) || h > u64::from(u32::MAX) {
            return Err(bad(format!("a {w}×{h} image has {pixels} pixels; the limit is {}", self.limits.max_image_pixels)));
        }
        let text = j.get("rgb").and_then(Json::as_str).ok_or_else(|| bad("an image has no base64 `rgb`"))?;
        let want = pixels.saturating_mul(3);
        if (text.len() as u64) / 4 * 3 > want + 2 {
            return Err(bad(format!("a {w}×{h} image carries more than {want} bytes")));
        }
        let reserved = Image::reserve(w as u32, h as u32, self.limits.max_live_pixels)?;
        let raw = base64::decode(text).map_err(|e| bad(format!("image pixels: {e}")))?;
        if raw.len() as u64 != want {
            return Err(bad(format!("a {w}×{h} image needs {want} bytes of RGB, got {}", raw.len())));
        }
        let buf = image::RgbImage::from_raw(w as u32, h as u32, raw).ok_or_else(|| bad("image buffer has the wrong size"))?;
        Ok(Image::from_reserved(reserved, buf))
    }

    fn image_ref(&self, j: Option<&Json>) -> Result<Image, Diagnostic> {
        let i = j.and_then(Json::as_u64).ok_or_else(|| bad("an image reference is not an index"))?;
        usize::try_from(i)
            .ok()
            .and_then(|i| self.images.get(i).cloned())
            .ok_or_else(|| bad(format!("image index {i} out of range ({} images)", self.images.len())))
    }

    fn finite(j: &Json, what: &str) -> Result<f64, Diagnostic> {
        j.as_f64().filter(|x| x.is_finite()).ok_or_else(|| bad(format!("{what} is not a finite number")))
    }

    fn text(&self, s: &str) -> Result<Arc<str>, Diagnostic> {
        if s.len() > self.limits.max_text_len {
            return Err(bad(format!("text of {} bytes exceeds the limit of {}", s.len(), self.limits.max_text_len)));
        }
        Ok(Arc::from(s))
    }

    fn count(&self, n: usize) -> Result<(), Diagnostic> {
        if n > self.limits.max_list_len {
            return Err(bad(format!("collection of {n} items exceeds the limit of {}", self.limits.max_list_len)));
        }
        Ok(())
    }

    fn value(&mut self, j: &Json, depth: usize) -> Result<Value, Diagnostic> {
        if depth > self.limits.max_depth {
            return Err(bad(format!("output nested deeper than {}", self.limits.max_depth)));
        }
        self.nodes += 1;
        if self.nodes > self.limits.max_value_nodes {
            return Err(bad(format!("output has more than {} values (Limits::max_value_nodes)", self.limits.max_value_nodes)));
        }
        Ok(match j {
            Json::Null => Value::None,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(_) => Value::Number(Self::finite(j, "a number")?),
            Json::String(s) => Value::Text(self.text(s)?),
            Json::Array(items) => {
                self.count(items.len())?;
                Value::list(items.iter().map(|it| self.value(it, depth + 1)).collect::<Result<_, _>>()?)
            }
            Json::Object(o) => self.object(o, depth)?,
        })
    }

    fn object(&mut self, o: &Map<String, Json>, depth: usize) -> Result<Value, Diagnostic> {
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        if let Some(fields) = o.get("record") {
            let Json::Object(fields) = fields else { return Err(bad("`record` is not an object")) };
            if o.len() != 1 {
                return Err(bad(format!("a record object has other keys: {keys:?}")));
            }
            self.count(fields.len())?;
            let mut out = BTreeMap::new();
            for (k, v) in fields {
                self.text(k)?;
                out.insert(k.clone(), self.value(v, depth + 1)?);
            }
            return Ok(Value::record(out));
        }
        if let Some(bbox) = o.get("region") {
            if let Some(k) = keys.iter().find(|k| !matches!(**k, "region" | "image" | "label" | "score")) {
                return Err(bad(format!("a region has an unknown key `{}`", crate::tools::signature::clip(k, 40))));
            }
            let c = bbox.as_array().filter(|c| c.len() == 4).ok_or_else(|| bad("`region` is not [x0, y0, x1, y1]"))?;
            let image = self.image_ref(o.get("image"))?;
            let bbox = BBox { x0: Self::finite(&c[0], "x0")?, y0: Self::finite(&c[1], "y0")?, x1: Self::finite(&c[2], "x1")?, y1: Self::finite(&c[3], "y1")? };
            let mut r = Region::new(image, bbox);
            r.label = match o.get("label") {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => Some(self.text(s)?),
                Some(_) => return Err(bad("a region's `label` is not text")),
            };
            r.score = match o.get("score") {
                None | Some(Json::Null) => None,
                Some(s) => Some(Self::finite(s, "a region's `score`")?),
            };
            return Ok(Value::Region(r));
        }
        if o.len() == 1 && o.contains_key("image") {
            return Ok(Value::Image(self.image_ref(o.get("image"))?));
        }
        Err(bad(format!("an object that is not an image, region or record (keys {:?})", keys.iter().take(8).collect::<Vec<_>>())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str, inputs: &[Image], limits: &Limits) -> Result<Value, Diagnostic> {
        match decode_reply(s.as_bytes(), inputs, limits)? {
            Reply::Ok(v) => Ok(v),
            Reply::ToolError(m) => Err(Diagnostic::new(Code::E401, m)),
        }
    }

    #[test]
    fn values_roundtrip_through_the_wire() {
        let img = Image::from_rgb(image::RgbImage::from_raw(2, 1, vec![1, 2, 3, 4, 5, 6]).unwrap());
        let mut r = Region::new(img.clone(), BBox { x0: 0.0, y0: 0.0, x1: 1.0, y1: 1.0 });
        r.label = Some(Arc::from("cat"));
        let v = Value::list(vec![Value::Region(r), Value::Image(img.clone()), Value::record([("a".to_string(), Value::Number(1.5))]), Value::None, Value::text("x")]);
        let args = Args::new(vec!["x".into()], vec![v.clone()]);
        let (body, images) = encode_call("t", &args).unwrap();
        assert_eq!(images.len(), 1, "one image, sent once");
        let sent: Json = serde_json::from_slice(&body).unwrap();
        let reply = json!({"ok": sent["args"]["x"]}).to_string();
        let back = decode(&reply, &images, &Limits::default()).unwrap();
        assert!(back.equals(&v), "{}", back.describe());
        assert_eq!(sent["images"][0]["rgb"], "AQIDBAUG");
    }

    #[test]
    fn bad_values_are_e407_and_bad_envelopes_e415() {
        let lim = Limits { max_list_len: 3, max_text_len: 5, max_depth: 4, max_image_pixels: 4, ..Limits::default() };
        for (reply, code) in [
            ("nope", Code::E415),
            ("[1]", Code::E415),
            ("{\"result\": 1}", Code::E415),
            ("{\"ok\": [1, 2, 3, 4]}", Code::E407),
            ("{\"ok\": \"toolong\"}", Code::E407),
            ("{\"ok\": [[[[[[1]]]]]]}", Code::E407),
            ("{\"ok\": {\"image\": 0}}", Code::E407),
            ("{\"ok\": {\"cat\": 1}}", Code::E407),
            ("{\"ok\": 1, \"images\": [{\"width\": 3, \"height\": 3, \"rgb\": \"\"}]}", Code::E407),
            ("{\"ok\": 1, \"images\": [{\"width\": 1, \"height\": 1, \"rgb\": \"AQID\"}, {\"width\": 0, \"height\": 1, \"rgb\": \"\"}]}", Code::E407),
            ("{\"ok\": 1, \"images\": [{\"width\": 1, \"height\": 1, \"rgb\": \"AQIDBA==\"}]}", Code::E407),
            ("{\"ok\": {\"region\": [0, 0, 1], \"image\": 0}}", Code::E407),
            ("{\"error\": \"it broke\"}", Code::E401),
        ] {
            let e = decode(reply, &[], &lim).expect_err(reply);
            assert_eq!(e.code, code, "{reply}: {}", e.message);
        }
        let ok = decode("{\"ok\": {\"image\": 0}, \"images\": [{\"width\": 1, \"height\": 1, \"rgb\": \"AQID\"}]}", &[], &lim).unwrap();
        assert!(matches!(ok, Value::Image(i) if i.pixels().as_raw() == &vec![1, 2, 3]));
    }
}
