//! The built-in benchmark's throughput: scenes/s (render + annotate + questions, and with PNG
//! encoding) and pixel-tool calls/s, each tool alone and through the engine.
//!
//! `cargo bench --bench world` (optionally `-- N` scenes, default 200).

use dwim::tools::bench::benchmark;
use dwim::value::Image;
use dwim::world::dataset::{make_scene, GenConfig};
use dwim::world::score::run_reference;
use dwim_perception::{detect, detect::main_object, read_text, vqa, Img, Rect};
use std::time::Instant;

/// CPU time of this thread in seconds (Linux `/proc/thread-self/schedstat`), so that rates on a
/// shared machine are not hidden by other load; `None` elsewhere.
fn cpu_secs() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

thread_local!(static CPU0: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) });

fn start() -> Instant {
    CPU0.with(|c| c.set(cpu_secs().unwrap_or(0.0)));
    Instant::now()
}

fn rate(label: &str, n: usize, t0: Instant) {
    let s = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs().map(|c| c - CPU0.with(|c0| c0.get()));
    let per_cpu = cpu.map(|c| format!("{:>10.1}/cpu-s", n as f64 / c.max(1e-9))).unwrap_or_default();
    println!("{label:<44} {:>10.1}/s {per_cpu}  ({n} in {s:.2} s)", n as f64 / s.max(1e-9));
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200);
    let cfg = GenConfig { seed: 1, n, ..GenConfig::default() };

    let t0 = start();
    let scenes: Vec<_> = (0..n).map(|i| make_scene(&cfg, i)).collect();
    rate("scenes (render + annotations + questions)", n, t0);

    let t0 = start();
    let mut bytes = 0;
    for (img, _, _) in &scenes {
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        bytes += png.len();
    }
    rate(&format!("PNG encodes ({} KB avg)", bytes / n.max(1) / 1024), n, t0);

    let imgs: Vec<_> = scenes.iter().map(|(i, s, _)| (i, s)).collect();
    let t0 = start();
    let mut calls = 0;
    for (img, _) in &imgs {
        let im = Img::new(img.width(), img.height(), img.as_raw()).unwrap();
        std::hint::black_box(detect(&im, im.full(), "red circle"));
        calls += 1;
    }
    rate("detect(image, \"red circle\") calls", calls, t0);

    let boxes = |s: &dwim::world::scene::Scene| s.objects.iter().map(|o| { let b = o.visible_box; Rect { x0: b[0], y0: b[1], x1: b[2], y1: b[3] } }).collect::<Vec<_>>();
    for (name, f) in [
        ("color(region) calls", &(|im: &Img, r: Rect| { std::hint::black_box(main_object(im, r)); }) as &dyn Fn(&Img, Rect)),
        ("read_text(region) calls", &|im: &Img, r: Rect| { std::hint::black_box(read_text(im, r)); }),
        ("vqa(region, \"what color is it?\") calls", &|im: &Img, r: Rect| { std::hint::black_box(vqa(im, r, "what color is it?")); }),
    ] {
        let t0 = start();
        let mut calls = 0;
        for (img, s) in &imgs {
            let im = Img::new(img.width(), img.height(), img.as_raw()).unwrap();
            for r in boxes(s) {
                f(&im, r);
                calls += 1;
            }
        }
        rate(name, calls, t0);
    }

    let reg = benchmark();
    let images: Vec<Image> = scenes.iter().map(|(i, _, _)| Image::from_rgb(i.clone())).collect();
    let t0 = start();
    let mut runs = 0;
    for ((_, _, qs), img) in scenes.iter().zip(&images) {
        for q in qs {
            std::hint::black_box(run_reference(&reg, img, &q.id, q.program.as_deref().unwrap_or("")));
            runs += 1;
        }
    }
    rate("reference workflows with `benchmark` tools", runs, t0);
}
