//! The visual rationale: a standalone page with every step and its regions drawn; rendered in
//! headless Chromium when one is installed (Debian's `chromium`).

#[path = "common/skip.rs"]
mod skip_log;
use skip_log::skip;
use dwim::syntax::{parse_program, SourceFile};
use dwim::tools::bench::{oracle, OracleWorld};
use dwim::trace::TraceWriter;
use dwim::value::Image;
use dwim::world::dataset::{make_scene, GenConfig};
use dwim::{Limits, Session, Value};
use std::path::Path;
use std::process::Command;

/// Run a small workflow on scene 0 with a trace; write the report. Returns (html, object count).
fn make_report(dir: &Path) -> (String, usize) {
    let (img, scene, _) = make_scene(&GenConfig { seed: 2, n: 1, ..GenConfig::default() }, 0);
    img.save(dir.join("scene.png")).unwrap();
    let image = Image::load(&dir.join("scene.png"), &dwim::Limits::default()).unwrap();
    let n = scene.objects.len();
    let world = OracleWorld::new();
    world.add(&image, scene);
    let reg = oracle(world);
    let prog = "objs = detect(image, \"object\")\nthink \"check the <first> one & its colour\"\nc = color(objs[0])\nanswer objs\n";
    let src = SourceFile::new("t.wf", prog);
    let p = parse_program(&src, &Limits::default()).unwrap();
    let trace = dir.join("t.jsonl");
    let mut s = Session::new(&reg, Limits::default()).with_trace(TraceWriter::create(&trace).unwrap());
    s.bind("image", Value::Image(image.clone()));
    let out = s.run_program(&src, &p.steps);
    assert!(out.iter().all(|o| o.error().is_none()));
    drop(s);
    let steps = dwim::report::write_report(&trace, &[image], &dir.join("t.html")).unwrap();
    assert_eq!(steps, 4);
    (std::fs::read_to_string(dir.join("t.html")).unwrap(), n)
}

#[test]
fn report_is_standalone_and_draws_regions() {
    let dir = tempfile::tempdir().unwrap();
    let (html, n) = make_report(dir.path());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<section class=\"step").count(), 4);
    assert_eq!(html.matches("data:image/png;base64,").count(), 1, "the image is embedded once");
    assert!(html.matches("<rect class=\"box result\"").count() >= n, "every detected object is drawn");
    assert!(html.contains("<rect class=\"box arg\""), "color(objs[0]) shows its argument region");
    assert!(html.contains("&lt;first&gt; one &amp; its colour"), "source is escaped");
    assert!(html.contains("detect(image, &quot;object&quot;)"));
    assert!(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"), "no scripts or external requests");
    // regions without a matching image are still listed, as text
    let bare = dwim::report::render(&dwim::trace::read_trace(&dir.path().join("t.jsonl")).unwrap(), &[], "t").unwrap();
    assert!(!bare.contains("<rect") && bare.contains("region"));
}

#[test]
fn bad_trace_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.jsonl"), "{not json\n").unwrap();
    let e = dwim::report::write_report(&dir.path().join("bad.jsonl"), &[], &dir.path().join("o.html")).unwrap_err();
    assert_eq!(e.code, dwim::Code::E504);
}

fn screenshot(html: &Path, png: &Path) -> Option<image::RgbImage> {
    let chromium = std::env::var("DWIM_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let status = Command::new(&chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1400"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .ok()?;
    if !status.status.success() {
        eprintln!("chromium failed: {}", String::from_utf8_lossy(&status.stderr));
        return None;
    }
    Some(image::open(png).ok()?.to_rgb8())
}

/// Headless Chromium renders the page: the image shows, and the boxes change the pixels.
#[test]
fn chromium_renders_image_and_boxes() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = make_report(dir.path());
    let with = dir.path().join("t.html");
    let Some(a) = screenshot(&with, &dir.path().join("a.png")) else {
        skip("world_report::chromium_renders_image_and_boxes", "no headless chromium (apt-get install chromium, or set DWIM_CHROMIUM)");
        return;
    };
    let without = dir.path().join("nobox.html");
    std::fs::write(&without, html.replace("<rect class=\"box", "<rect style=\"display:none\" class=\"box").replace("<text ", "<text style=\"display:none\" ")).unwrap();
    let b = screenshot(&without, &dir.path().join("b.png")).expect("second screenshot");
    let colours: std::collections::HashSet<[u8; 3]> = b.pixels().map(|p| p.0).collect();
    assert!(colours.len() > 2000, "the scene image is rendered ({} colours)", colours.len());
    let differ = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
    assert!(differ > 2000, "boxes are drawn ({differ} pixels differ)");
}
