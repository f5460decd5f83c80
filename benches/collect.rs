//! `cargo bench --bench collect`: DW collection throughput with the programmatic teacher
//! (workflows/s, goal ≥ 500/s on 2 cores), with and without DW, on a freshly generated benchmark.

use dwim::pipeline::collect::{run, CollectConfig};
use dwim::world::dataset::{generate, GenConfig};
use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("bench");
    let cfg = GenConfig { n: 300, seed: 11, ..GenConfig::default() };
    generate(&data, &cfg).expect("generate");
    let ds = dwim::data::Dataset::load(&data).expect("load");
    let tools = dwim::tools::bench::benchmark();
    for dw in [true, false] {
        let out = dir.path().join(if dw { "dw" } else { "nodw" });
        let c = CollectConfig { dw, split: "all".into(), ..CollectConfig::default() };
        // Each run starts cold, as a `dwim collect` process does: no segmentation kept from the last.
        dwim::tools::bench::pixels::forget_segmentations();
        let t = Instant::now();
        let w = run(&ds, &tools, &out, &c, false).expect("collect");
        let secs = t.elapsed().as_secs_f64();
        let viable = w.iter().filter(|w| w.viable).count();
        println!("collect ({}): {} workflows in {:.2} s = {:.0} workflows/s on {} workers; {:.1}% viable (goal >= 500/s)",
            if dw { "DW" } else { "no DW" }, w.len(), secs, w.len() as f64 / secs, c.workers, 100.0 * viable as f64 / w.len() as f64);
    }
}
