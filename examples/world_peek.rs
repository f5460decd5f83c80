fn main() {
    for seed in [1u64, 2, 3, 4] {
        let dir = std::path::PathBuf::from(format!("/tmp/peek{seed}"));
        let cfg = dwim::world::dataset::GenConfig { seed, n: 60, ..Default::default() };
        dwim::world::dataset::generate(&dir, &cfg).unwrap();
        let ds = dwim::world::dataset::Dataset::load(&dir).unwrap();
        let m = dwim::world::score::tool_metrics(&ds, "all").unwrap();
        let mut line = format!("seed {seed}:");
        if let serde_json::Value::Object(o) = serde_json::to_value(&m).unwrap() { for (k, v) in o { if let Some(t) = v.get("total") { line += &format!(" {k}={:.3}", v["hits"].as_f64().unwrap() / t.as_f64().unwrap().max(1.0)); } } }
        let w = dwim::world::score::workflow_accuracy(&ds, "all", &dwim::tools::bench::benchmark()).unwrap();
        for (k, v) in w { line += &format!(" wf_{k}={:.3}", v.rate()); }
        println!("{line}");
    }
}
