//! One function per question family. Each picks its subjects at random among the scene's objects,
//! makes sure the question is well posed (referents unique, relations not borderline), and writes
//! the answer and the reference workflow.

use super::demo::SplitMix;
use super::questions::{matching, plural, unique_desc, Draft};
use super::scene::{Scene, SceneObject, SHAPES};
use crate::data::Answer;
use dwim_perception::palette::OBJECT_COLORS;

pub fn draft(family: &str, scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    match family {
        "exists" => exists(scene, rng),
        "count" => count(scene, rng),
        "attribute" => attribute(scene, rng),
        "spatial" => spatial(scene, rng),
        "compare" => compare(scene, rng),
        "logic" => logic(scene, rng),
        "read_text" => read_text(scene, rng),
        "grounding" => grounding(scene, rng),
        _ => None,
    }
}

fn pick<'a, T>(rng: &mut SplitMix, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.below(items.len() as u64) as usize])
}

fn yes(b: bool) -> Answer {
    Answer::Text(if b { "yes" } else { "no" }.into())
}

/// Objects clear enough to be asked about: at most half hidden.
fn referents(scene: &Scene) -> Vec<&SceneObject> {
    scene.objects.iter().filter(|o| o.occluded <= 0.5).collect()
}

/// A "colour shape" description: half the time of an object in the scene, else random.
fn some_desc(scene: &Scene, rng: &mut SplitMix) -> String {
    if rng.below(2) == 0 {
        if let Some(o) = pick(rng, &scene.objects) {
            return format!("{} {}", o.color, o.shape);
        }
    }
    format!("{} {}", pick(rng, OBJECT_COLORS).unwrap_or(&"red"), pick(rng, SHAPES).unwrap_or(&"circle"))
}

/// A category for counting: a colour, a shape, or both.
fn category(scene: &Scene, rng: &mut SplitMix) -> String {
    let o = pick(rng, &scene.objects);
    let color = o.filter(|_| rng.below(10) < 7).map(|o| o.color.clone()).unwrap_or_else(|| pick(rng, OBJECT_COLORS).unwrap_or(&"red").to_string());
    let shape = o.filter(|_| rng.below(10) < 7).map(|o| o.shape.clone()).unwrap_or_else(|| pick(rng, SHAPES).unwrap_or(&"circle").to_string());
    match rng.below(3) {
        0 => format!("{color} object"),
        1 => shape,
        _ => format!("{color} {shape}"),
    }
}

fn exists(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let desc = some_desc(scene, rng);
    Some(Draft {
        family: "exists",
        question: format!("Is there a {desc}?"),
        answer: yes(!matching(scene, &desc).is_empty()),
        program: format!("objs = detect(image, \"{desc}\")\nanswer to_yesno(exists(objs))\n"),
        iou: None,
    })
}

fn count(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let desc = category(scene, rng);
    Some(Draft {
        family: "count",
        question: format!("How many {} are there?", plural(&desc)),
        answer: Answer::Text(matching(scene, &desc).len().to_string()),
        program: format!("objs = detect(image, \"{desc}\")\nanswer count(objs)\n"),
        iou: None,
    })
}

fn attribute(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let refs = referents(scene);
    for _ in 0..6 {
        let o = *pick(rng, &refs)?;
        let (styles, what): (&[&str], _) = match rng.below(3) {
            0 => (&["s", "zs"], "color"),
            1 => (&["co", "zco"], "shape"),
            _ => (&["s", "cs", "zcs"], "size"),
        };
        let Some(desc) = unique_desc(scene, o, styles) else { continue };
        let (ask, answer) = match what {
            "color" => ("color(o)".to_string(), o.color.clone()),
            "shape" => ("shape(o)".to_string(), o.shape.clone()),
            _ => ("vqa(o, \"What size is this object?\")".to_string(), o.size.clone()),
        };
        return Some(Draft {
            family: "attribute",
            question: format!("What {what} is the {desc}?"),
            answer: Answer::Text(answer),
            program: format!("o = detect(image, \"{desc}\")[0]\nanswer {ask}\n"),
            iou: None,
        });
    }
    None
}

fn center(o: &SceneObject) -> (f64, f64) {
    let b = o.visible_box;
    ((b[0] + b[2]) as f64 / 2.0, (b[1] + b[3]) as f64 / 2.0)
}

/// An object and the description that picks it out.
type Referent<'s> = (&'s SceneObject, String);

fn two_referents<'s>(scene: &'s Scene, rng: &mut SplitMix, styles: &[&str]) -> Option<(Referent<'s>, Referent<'s>)> {
    let refs = referents(scene);
    for _ in 0..8 {
        let (a, b) = (*pick(rng, &refs)?, *pick(rng, &refs)?);
        if a.id == b.id {
            continue;
        }
        if let (Some(da), Some(db)) = (unique_desc(scene, a, styles), unique_desc(scene, b, styles)) {
            return Some(((a, da), (b, db)));
        }
    }
    None
}

fn spatial(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    if rng.below(3) == 0 {
        if let Some(d) = nearest(scene, rng) {
            return Some(d);
        }
    }
    let ((a, da), (b, db)) = two_referents(scene, rng, &["s", "cs", "zcs"])?;
    let (pa, pb) = (center(a), center(b));
    let rels = [("to the left of", "left_of", pb.0 - pa.0), ("to the right of", "right_of", pa.0 - pb.0),
        ("above", "above", pb.1 - pa.1), ("below", "below", pa.1 - pb.1)];
    let (words, tool, margin) = rels[rng.below(4) as usize];
    if margin.abs() < 12.0 {
        return None;
    }
    Some(Draft {
        family: "spatial",
        question: format!("Is the {da} {words} the {db}?"),
        answer: yes(margin > 0.0),
        program: format!("a = detect(image, \"{da}\")[0]\nb = detect(image, \"{db}\")[0]\nanswer to_yesno({tool}(a, b))\n"),
        iou: None,
    })
}

fn nearest(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let refs = referents(scene);
    let a = *pick(rng, &refs)?;
    let da = unique_desc(scene, a, &["s", "cs", "zcs"])?;
    let pa = center(a);
    let mut d: Vec<(f64, &SceneObject)> = scene.objects.iter().filter(|o| o.id != a.id)
        .map(|o| { let p = center(o); ((p.0 - pa.0).powi(2) + (p.1 - pa.1).powi(2), o) }).collect();
    d.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (first, second) = (d.first()?, d.get(1));
    if second.is_some_and(|s| s.0 < first.0 * 1.6) {
        return None;
    }
    Some(Draft {
        family: "spatial",
        question: format!("What color is the object nearest to the {da}?"),
        answer: Answer::Text(first.1.color.clone()),
        program: format!("a = detect(image, \"{da}\")[0]\nothers = detect(image, \"object\")\nanswer color(nearest(others, a))\n"),
        iou: None,
    })
}

fn compare(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    if rng.below(3) == 0 {
        let ((a, da), (b, db)) = if rng.below(2) == 0 { same_color_pair(scene) } else { None }
            .or_else(|| two_referents(scene, rng, &["s", "zs"]))?;
        return Some(Draft {
            family: "compare",
            question: format!("Do the {da} and the {db} have the same color?"),
            answer: yes(a.color == b.color),
            program: format!("a = detect(image, \"{da}\")[0]\nb = detect(image, \"{db}\")[0]\nanswer to_yesno(color(a) == color(b))\n"),
            iou: None,
        });
    }
    let (x, y) = (category(scene, rng), category(scene, rng));
    let (nx, ny) = (matching(scene, &x).len(), matching(scene, &y).len());
    if x == y || nx == ny {
        return None;
    }
    let (word, op) = if rng.below(2) == 0 { ("more", ">") } else { ("fewer", "<") };
    Some(Draft {
        family: "compare",
        question: format!("Are there {word} {} than {}?", plural(&x), plural(&y)),
        answer: yes(if op == ">" { nx > ny } else { nx < ny }),
        program: format!("x = detect(image, \"{x}\")\ny = detect(image, \"{y}\")\nanswer to_yesno(count(x) {op} count(y))\n"),
        iou: None,
    })
}

/// Two objects of one colour that can be named without their colour (so "same color?" is not
/// always "no").
fn same_color_pair(scene: &Scene) -> Option<(Referent<'_>, Referent<'_>)> {
    let refs = referents(scene);
    for (i, a) in refs.iter().enumerate() {
        for b in &refs[i + 1..] {
            if a.color == b.color {
                if let (Some(da), Some(db)) = (unique_desc(scene, a, &["s", "zs"]), unique_desc(scene, b, &["s", "zs"])) {
                    return Some(((a, da), (b, db)));
                }
            }
        }
    }
    None
}

fn logic(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let (x, y) = (some_desc(scene, rng), some_desc(scene, rng));
    if x == y {
        return None;
    }
    let (ex, ey) = (!matching(scene, &x).is_empty(), !matching(scene, &y).is_empty());
    let (question, ans, expr) = match rng.below(3) {
        0 => (format!("Is there a {x} and a {y}?"), ex && ey, "exists(x) and exists(y)"),
        1 => (format!("Is there a {x} or a {y}?"), ex || ey, "exists(x) or exists(y)"),
        _ => (format!("Is there a {x} but no {y}?"), ex && !ey, "exists(x) and not exists(y)"),
    };
    Some(Draft {
        family: "logic",
        question,
        answer: yes(ans),
        program: format!("x = detect(image, \"{x}\")\ny = detect(image, \"{y}\")\nanswer to_yesno({expr})\n"),
        iou: None,
    })
}

fn read_text(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let labelled: Vec<&SceneObject> = scene.objects.iter().filter(|o| o.text.is_some() && o.occluded <= 0.3).collect();
    let o = *pick(rng, &labelled)?;
    let text = o.text.clone()?;
    let unique_text = scene.objects.iter().filter(|p| p.text.as_deref() == Some(&text)).count() == 1;
    if rng.below(2) == 0 && unique_text {
        return Some(Draft {
            family: "read_text",
            question: format!("What color is the object labelled \"{text}\"?"),
            answer: Answer::Text(o.color.clone()),
            program: format!("objs = detect(image, \"object\")\no = filter(objs, x -> read_text(x) == \"{text}\")[0]\nanswer color(o)\n"),
            iou: None,
        });
    }
    let desc = unique_desc(scene, o, &["s", "cs", "zcs"])?;
    Some(Draft {
        family: "read_text",
        question: format!("What does the label on the {desc} say?"),
        answer: Answer::Text(text),
        program: format!("o = detect(image, \"{desc}\")[0]\nanswer read_text(o)\n"),
        iou: None,
    })
}

fn grounding(scene: &Scene, rng: &mut SplitMix) -> Option<Draft> {
    let b = |o: &SceneObject| Answer::Box(o.visible_box.map(|v| v as f64));
    if rng.below(2) == 0 {
        let shape = *pick(rng, SHAPES)?;
        let mut objs = matching(scene, shape);
        objs.sort_by(|p, q| center(p).0.total_cmp(&center(q).0));
        let right = rng.below(2) == 0;
        if right {
            objs.reverse();
        }
        if objs.len() >= 2 && (center(objs[0]).0 - center(objs[1]).0).abs() >= 8.0 && objs[0].occluded <= 0.5 {
            let (word, tool) = if right { ("rightmost", "max_by") } else { ("leftmost", "min_by") };
            return Some(Draft {
                family: "grounding",
                question: format!("Find the {word} {shape}."),
                answer: b(objs[0]),
                program: format!("objs = detect(image, \"{shape}\")\nanswer {tool}(objs, o -> o.cx)\n"),
                iou: Some(0.5),
            });
        }
    }
    let refs = referents(scene);
    let o = *pick(rng, &refs)?;
    let desc = unique_desc(scene, o, &["s", "cs", "zs", "zcs"])?;
    Some(Draft {
        family: "grounding",
        question: format!("Find the {desc}."),
        answer: b(o),
        program: format!("answer detect(image, \"{desc}\")[0]\n"),
        iou: Some(0.5),
    })
}
