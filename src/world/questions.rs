//! Questions about a scene, in the families of GQA, TallyQA and RefCOCO: exists, count, attribute,
//! spatial, compare, logic, read text, grounding. Each comes with its ground-truth answer (from the
//! annotations) and a reference workflow that answers it with perfect tools.

use super::demo::SplitMix;
use super::scene::{Scene, SceneObject};
use super::templates;
use crate::data::{Answer, Item};
use dwim_perception::Query;

pub const FAMILIES: &[&str] = &["exists", "count", "attribute", "spatial", "compare", "logic", "read_text", "grounding"];

/// A question before it is tied to a scene: family, text, answer, reference workflow.
pub struct Draft {
    pub family: &'static str,
    pub question: String,
    pub answer: Answer,
    pub program: String,
    pub iou: Option<f64>,
}

/// Up to `per_scene` questions, at most one per family, in a seed-determined family order.
pub fn questions_for(scene: &Scene, per_scene: usize, rng: &mut SplitMix) -> Vec<Item> {
    let mut order: Vec<&str> = FAMILIES.to_vec();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut out = Vec::new();
    for fam in order {
        if out.len() >= per_scene {
            break;
        }
        if let Some(d) = templates::draft(fam, scene, rng) {
            out.push(Item {
                id: format!("{}_{}", scene.id, fam),
                image: scene.file.clone(),
                images: Default::default(),
                question: d.question,
                answer: d.answer,
                family: d.family.into(),
                split: scene.split.clone(),
                scene: Some(scene.id.clone()),
                program: Some(d.program),
                iou: d.iou,
            });
        }
    }
    out
}

/// Objects of a scene matching a query, the way a perfect detector sees them.
pub fn matching<'s>(scene: &'s Scene, query: &str) -> Vec<&'s SceneObject> {
    let q = Query::parse(query);
    scene.objects.iter().filter(|o| q.matches(&o.size, &o.color, &o.shape)).collect()
}

/// The shortest description (from `styles`) that picks out `o` alone: e.g. "triangle",
/// "red circle", "small square", "large blue rectangle". Styles: s = shape, c = colour, z = size,
/// o = "object" in place of the shape.
pub fn unique_desc(scene: &Scene, o: &SceneObject, styles: &[&str]) -> Option<String> {
    styles.iter().find_map(|style| {
        let words: Vec<&str> = style
            .chars()
            .map(|c| match c {
                'z' => o.size.as_str(),
                'c' => o.color.as_str(),
                's' => o.shape.as_str(),
                _ => "object",
            })
            .collect();
        let desc = words.join(" ");
        let m = matching(scene, &desc);
        (m.len() == 1 && m[0].id == o.id).then_some(desc)
    })
}

/// Plural of a description: "red circle" → "red circles", "red object" → "red objects".
pub fn plural(desc: &str) -> String {
    format!("{desc}s")
}
