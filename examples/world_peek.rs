fn main() {
    let dir = std::path::Path::new("/tmp/peek");
    let cfg = dwim::world::dataset::GenConfig { seed: 1, n: 100, ..Default::default() };
    dwim::world::dataset::generate(dir, &cfg).unwrap();
    let ds = dwim::world::dataset::Dataset::load(dir).unwrap();
    let m = dwim::world::score::tool_metrics(&ds, "all").unwrap();
    if let serde_json::Value::Object(o) = serde_json::to_value(&m).unwrap() { for (k, v) in o { if let Some(t) = v.get("total") { println!("{k}: {:.3} ({})", v["hits"].as_f64().unwrap() / t.as_f64().unwrap().max(1.0), t); } } }
    let w = dwim::world::score::workflow_accuracy(&ds, "all", &dwim::tools::bench::benchmark()).unwrap();
    for (k, v) in w { println!("{k}: {:.3} ({}/{})", v.rate(), v.hits, v.total); }
}
