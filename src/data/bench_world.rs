//! Reading a `dwim bench-world generate` directory (layout in `world::dataset`): its questions,
//! and its scenes, which are the annotations the rule judge and the `oracle` tools use.

use super::Item;
use crate::diag::Diagnostic;
use crate::world::scene::Scene;
use crate::Limits;
use std::path::Path;

/// Scenes, and questions with the line each came from.
pub type Loaded = (Vec<Scene>, Vec<(usize, Item)>);

pub fn load(dir: &Path) -> Result<Loaded, Diagnostic> {
    let scenes = crate::io::read_jsonl(&dir.join("scenes.jsonl"), Limits::default().max_record_bytes)?;
    let mut items = Vec::new();
    crate::io::for_each_json_line(&dir.join("questions.jsonl"), Limits::default().max_record_bytes, |line, q: Item| {
        items.push((line, q));
        Ok(())
    })?;
    Ok((scenes, items))
}
