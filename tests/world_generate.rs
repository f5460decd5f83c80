//! The benchmark generator: determinism, annotations that match the pixels, every reference
//! workflow right with the oracle tools.

use dwim::check::{check_program, input_scope};
use dwim::syntax::{parse_program, SourceFile};
use dwim::tools::bench::{oracle, OracleWorld};
use dwim::value::Image;
use dwim::world::dataset::{generate, make_scene, Dataset, GenConfig};
use dwim::world::questions::FAMILIES;
use dwim::{Limits, Session, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "images"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn generation_is_deterministic_byte_for_byte() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cfg = GenConfig { seed: 7, n: 12, ..GenConfig::default() };
    generate(a.path(), &cfg).unwrap();
    generate(b.path(), &cfg).unwrap();
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.len(), 12 + 4);
    assert_eq!(fa, fb);
    let c = tempfile::tempdir().unwrap();
    generate(c.path(), &GenConfig { seed: 8, ..cfg }).unwrap();
    assert_ne!(files(c.path())["images/scene_00000.png"], fa["images/scene_00000.png"]);
}

#[test]
fn annotations_describe_the_scene() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), &GenConfig { seed: 3, n: 40, ..GenConfig::default() }).unwrap();
    let ds = Dataset::load(d.path()).unwrap();
    assert_eq!(ds.scenes.len(), 40);
    let splits: Vec<&str> = ds.scenes.iter().map(|s| s.split.as_str()).collect();
    for s in ["train", "val", "test"] {
        assert!(splits.contains(&s), "split {s} is empty");
    }
    let mut labelled = 0;
    let mut occluded = 0;
    for s in &ds.scenes {
        assert!((3..=8).contains(&s.objects.len()));
        let img = ds.image(s).unwrap();
        assert_eq!((img.width(), img.height()), (320, 240));
        for o in &s.objects {
            let [x0, y0, x1, y1] = o.visible_box;
            assert!(x0 < x1 && y0 < y1 && x1 <= 320 && y1 <= 240);
            assert!((0.0..1.0).contains(&o.occluded));
            labelled += o.text.is_some() as usize;
            occluded += (o.occluded > 0.05) as usize;
        }
    }
    assert!(labelled > 20, "too few labels: {labelled}");
    assert!(occluded > 5, "too little occlusion: {occluded}");
    let fams: std::collections::BTreeSet<&str> = ds.questions.iter().map(|q| q.family.as_str()).collect();
    assert_eq!(fams.len(), FAMILIES.len(), "families present: {fams:?}");
}

#[test]
fn every_reference_workflow_is_right_with_the_oracle_tools() {
    let cfg = GenConfig { seed: 11, n: 60, ..GenConfig::default() };
    let world = OracleWorld::new();
    let mut scenes = Vec::new();
    for i in 0..cfg.n {
        let (img, scene, qs) = make_scene(&cfg, i);
        let img = Image::from_rgb(img);
        world.add(&img, scene);
        scenes.push((img, qs));
    }
    let reg = oracle(world);
    let mut per_family: BTreeMap<String, usize> = BTreeMap::new();
    for (img, qs) in &scenes {
        for q in qs {
            let prog = q.program.as_deref().unwrap();
            let src = SourceFile::new(&q.id, prog);
            let p = parse_program(&src, &Limits::default()).unwrap_or_else(|d| panic!("{}: {}\n{prog}", q.id, d.one_line(Some(&src))));
            let diags = check_program(&p, &reg, &input_scope(), true);
            assert!(diags.is_empty(), "{}: {:?}\n{prog}", q.id, diags);
            let mut s = Session::new(&reg, Limits::default());
            s.bind("image", Value::Image(img.clone()));
            let out = s.run_program(&src, &p.steps);
            if let Some(e) = out.iter().find_map(|o| o.error()) {
                panic!("{}: {}\n{prog}", q.id, e.one_line(Some(&src)));
            }
            let got = s.answer().unwrap();
            assert!(q.is_correct(got), "{} ({}): {:?} answered {} but the truth is {:?}\n{prog}", q.id, q.family, q.question, got.describe(), q.answer);
            *per_family.entry(q.family.clone()).or_default() += 1;
        }
    }
    for f in FAMILIES {
        assert!(per_family.get(*f).copied().unwrap_or(0) >= 10, "family {f}: {per_family:?}");
    }
}
