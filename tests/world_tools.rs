//! The `benchmark` tools' measured rates fall in the ranges docs/benchmark.md documents, and
//! their failures are reproducible.

use dwim::tools::bench::benchmark;
use dwim::world::dataset::{generate, Dataset, GenConfig};
use dwim::world::score::{tool_metrics, workflow_accuracy};
use std::collections::BTreeMap;

/// `metric → (lo, hi)` from the table in docs/benchmark.md.
fn documented() -> BTreeMap<String, (f64, f64)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/benchmark.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 {
            if let Some((lo, hi)) = cells[2].split_once('–') {
                if let (Ok(lo), Ok(hi)) = (lo.parse::<f64>(), hi.parse::<f64>()) {
                    out.insert(cells[1].to_string(), (lo, hi));
                }
            }
        }
    }
    out
}

#[test]
fn measured_rates_are_in_the_documented_ranges() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &GenConfig { seed: 1, n: 60, ..GenConfig::default() }).unwrap();
    let ds = Dataset::load(dir.path()).unwrap();
    let m = serde_json::to_value(tool_metrics(&ds, "all").unwrap()).unwrap();
    let mut measured: BTreeMap<String, f64> = BTreeMap::new();
    for (k, v) in m.as_object().unwrap() {
        if let (Some(h), Some(t)) = (v.get("hits").and_then(|x| x.as_f64()), v.get("total").and_then(|x| x.as_f64())) {
            assert!(t > 10.0, "{k}: only {t} trials");
            measured.insert(k.clone(), h / t);
        }
    }
    let wf = workflow_accuracy(&ds, "all", &benchmark()).unwrap();
    measured.insert("workflow_all".into(), wf["all"].rate());
    let ranges = documented();
    assert_eq!(ranges.len(), measured.len(), "documented {:?} vs measured {:?}", ranges.keys(), measured.keys());
    for (k, (lo, hi)) in &ranges {
        let v = measured[k];
        assert!(*lo <= v && v <= *hi, "{k} = {v:.3}, documented {lo}–{hi}");
    }
}

#[test]
fn failures_come_from_pixels_and_reproduce() {
    use dwim::world::dataset::make_scene;
    let cfg = GenConfig { seed: 5, n: 30, ..GenConfig::default() };
    let mut missed = 0;
    for i in 0..cfg.n {
        let (img, scene, _) = make_scene(&cfg, i);
        let im = dwim_perception::Img::new(img.width(), img.height(), img.as_raw()).unwrap();
        let a = dwim_perception::detect(&im, im.full(), "object");
        let (img2, _, _) = make_scene(&cfg, i);
        let im2 = dwim_perception::Img::new(img2.width(), img2.height(), img2.as_raw()).unwrap();
        assert_eq!(a, dwim_perception::detect(&im2, im2.full(), "object"), "scene {i} detections differ between runs");
        missed += scene.objects.len().saturating_sub(a.len());
    }
    assert!(missed > 0, "the detector should miss some objects");
}
