//! RefCOCO-style referring expressions: a JSON array (or JSON Lines) of references, each with a
//! COCO box `[x, y, w, h]`, an image (`file_name`, or `image_id` → `<id>.jpg` /
//! `COCO_train2014_<012 id>.jpg`) and its expressions (`sentences: [{"sent": …}]`, `sentences:
//! ["…"]`, or one `expression` / `sent`). Each expression becomes one grounding item, scored at
//! IoU > 0.5.

use super::{Answer, Item};
use crate::diag::{Code, Diagnostic};
use serde_json::Value as J;
use std::path::Path;

pub fn load(file: &Path, images: &Path) -> Result<Vec<Item>, Diagnostic> {
    let text = crate::io::read_text(file, crate::Limits::default().max_file_bytes)?;
    let bad = |line: usize, msg: String| Diagnostic::new(Code::E504, format!("{}: reference {line}: {msg}", file.display()));
    let refs: Vec<J> = match serde_json::from_str::<J>(&text) {
        Ok(J::Array(a)) => a,
        Ok(other @ J::Object(_)) => vec![other],
        _ => text.lines().filter(|l| !l.trim().is_empty()).enumerate()
            .map(|(i, l)| serde_json::from_str(l).map_err(|e| bad(i + 1, format!("not JSON: {e}"))))
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let n = i + 1;
        let id = r.get("ref_id").or_else(|| r.get("id")).map(|v| v.to_string().trim_matches('"').to_string()).unwrap_or_else(|| n.to_string());
        let bbox: Vec<f64> = r.get("bbox").and_then(|b| b.as_array()).map(|a| a.iter().filter_map(|v| v.as_f64()).collect()).unwrap_or_default();
        let [x, y, w, h] = bbox[..] else { return Err(bad(n, "needs \"bbox\": [x, y, w, h]".into())) };
        if !(w > 0.0 && h > 0.0) {
            return Err(bad(n, format!("box {bbox:?} has no area")));
        }
        let image = match (r.get("file_name").and_then(|f| f.as_str()), r.get("image_id")) {
            (Some(f), _) => {
                let p = images.join(f);
                if !p.is_file() { return Err(bad(n, format!("image {} not found", p.display()))) }
                p
            }
            (None, Some(iid)) => {
                let iid = iid.to_string().trim_matches('"').to_string();
                let coco = iid.parse::<u64>().ok().map(|k| images.join(format!("COCO_train2014_{k:012}.jpg"))).filter(|p| p.is_file());
                match coco {
                    Some(p) => p,
                    None => super::gqa::find_image(images, &iid).map_err(|d| bad(n, d.message))?,
                }
            }
            _ => return Err(bad(n, "needs \"file_name\" or \"image_id\"".into())),
        };
        let mut sents: Vec<String> = Vec::new();
        if let Some(J::Array(ss)) = r.get("sentences") {
            for s in ss {
                match s {
                    J::String(t) => sents.push(t.clone()),
                    J::Object(_) => sents.extend(s.get("sent").or_else(|| s.get("raw")).and_then(|t| t.as_str()).map(String::from)),
                    _ => {}
                }
            }
        }
        sents.extend(["expression", "sent"].iter().filter_map(|k| r.get(*k).and_then(|t| t.as_str()).map(String::from)));
        if sents.is_empty() {
            return Err(bad(n, "has no expression (\"sentences\", \"expression\" or \"sent\")".into()));
        }
        for (k, s) in sents.into_iter().enumerate() {
            out.push(Item {
                id: format!("{id}_{k}"),
                image: image.display().to_string(),
                images: Default::default(),
                question: s,
                answer: Answer::Box([x, y, x + w, y + h]),
                family: "grounding".into(),
                split: r.get("split").and_then(|s| s.as_str()).unwrap_or("").to_string(),
                scene: None,
                program: None,
                iou: Some(0.5),
            });
        }
    }
    Ok(out)
}
