//! GQA-style question files: a JSON object mapping question id → `{"imageId", "question",
//! "answer", …}` (other fields, e.g. `semantic`, are ignored), plus a folder of images named
//! `<imageId>.jpg` (or `.jpeg` / `.png`).

use super::{Answer, Item};
use crate::diag::{Code, Diagnostic};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct GqaQuestion {
    #[serde(rename = "imageId")]
    image_id: String,
    question: String,
    answer: Option<String>,
    #[serde(default)]
    types: Option<serde_json::Value>,
}

/// Load questions, ordered by id. Every image must exist in `images`; a question without an
/// answer (GQA's test split) is an error, since dwim scores and collects against answers.
pub fn load(questions: &Path, images: &Path) -> Result<Vec<Item>, Diagnostic> {
    load_with(questions, images, true)
}

/// [`load`]; with `require_images` false a question whose image is not found keeps the path
/// `<images>/<imageId>.jpg` (E501 when it is read; `dwim data inspect` lists it as missing).
pub fn load_with(questions: &Path, images: &Path, require_images: bool) -> Result<Vec<Item>, Diagnostic> {
    let text = crate::io::read_text(questions, crate::Limits::default().max_file_bytes)?;
    let map: BTreeMap<String, GqaQuestion> = serde_json::from_str(&text).map_err(|e| {
        Diagnostic::new(Code::E504, format!("{}:{}:{}: not a GQA question file: {e}", questions.display(), e.line(), e.column()))
            .help("expected {\"<question id>\": {\"imageId\": …, \"question\": …, \"answer\": …}, …}")
    })?;
    map.into_iter()
        .map(|(id, q)| {
            let answer = q.answer.ok_or_else(|| Diagnostic::new(Code::E504, format!("{}: question {id} has no answer", questions.display())))?;
            let image = match find_image(images, &q.image_id) {
                Err(d) if d.code == Code::E501 && !require_images => images.join(format!("{}.jpg", q.image_id)),
                found => found?,
            };
            let family = q.types.as_ref().and_then(|t| t.get("structural")).and_then(|s| s.as_str()).unwrap_or("").to_string();
            Ok(Item {
                id,
                image: image.display().to_string(),
                images: Default::default(),
                question: q.question,
                answer: Answer::Text(answer),
                family,
                split: String::new(),
                scene: None,
                program: None,
                iou: None,
            })
        })
        .collect()
}

/// `<dir>/<id>.jpg`, `.jpeg` or `.png`.
pub fn find_image(dir: &Path, id: &str) -> Result<PathBuf, Diagnostic> {
    if id.contains(['/', '\\']) || id.contains("..") {
        return Err(Diagnostic::new(Code::E504, format!("image id {id:?} is not a plain file name")));
    }
    ["jpg", "jpeg", "png"]
        .iter()
        .map(|ext| dir.join(format!("{id}.{ext}")))
        .find(|p| p.is_file())
        .ok_or_else(|| Diagnostic::new(Code::E501, format!("image {id} not found in {} (tried .jpg, .jpeg, .png)", dir.display())))
}
