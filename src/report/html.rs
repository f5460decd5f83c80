//! The HTML page. Self-contained: styles inline, each image embedded once as a base64 PNG and
//! referenced by every figure, no scripts, no external requests.

use super::figure::{data_url, escape, regions_in, svg, RegionRef};
use crate::diag::Diagnostic;
use crate::trace::TraceRecord;
use crate::value::Image;
use std::fmt::Write;

const STYLE: &str = "body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}\
header{background:#1d1f23;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#b9bec7}\
main{max-width:1100px;margin:20px auto;padding:0 16px}.step{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;margin:14px 0;padding:14px 18px;display:flex;gap:18px}\
.step.error{border-left:5px solid #d93025}.step.rethink{border-left:5px solid #f29900}.step.answer{border-left:5px solid #188038}\
.text{flex:1;min-width:0;overflow-wrap:anywhere}.num{font-weight:700;color:#5f6368;margin-right:6px}.kind{font-size:12px;padding:1px 8px;border-radius:9px;background:#e8eaed;margin-right:6px}\
pre{background:#f1f3f4;padding:8px 10px;border-radius:6px;overflow-x:auto;margin:8px 0;white-space:pre-wrap}\
table{border-collapse:collapse;font-size:13px;margin:6px 0}td{padding:2px 8px;vertical-align:top;border-bottom:1px solid #eee}td.k{color:#5f6368;white-space:nowrap}\
.obs{font-family:ui-monospace,monospace;font-size:13px}.err{background:#fce8e6;color:#a50e0e;padding:6px 10px;border-radius:6px;font-family:ui-monospace,monospace;font-size:13px}\
svg.fig{width:420px;max-width:45%;height:auto;align-self:flex-start;border-radius:6px;background:#ddd;flex:none}.final{font-size:18px;font-weight:600}";

fn short(v: &serde_json::Value, max: usize) -> String {
    let s = v.to_string();
    if s.len() <= max {
        return s;
    }
    let cut = (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    format!("{}…", &s[..cut])
}

/// Render a trace as an HTML page. `images` are matched to regions by content hash; regions of
/// an image not given are listed as text only.
pub fn render(records: &[TraceRecord], images: &[Image], title: &str) -> Result<String, Diagnostic> {
    let mut h = String::new();
    let run = records.first().map(|r| &*r.run_id).unwrap_or("");
    let answer = records.iter().rev().find(|r| r.kind == "answer" && r.error.is_none());
    let _ = write!(h, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>dwim rationale — {}</title><style>{STYLE}</style></head><body>", escape(title));
    let _ = write!(h, "<header><h1>Visual rationale</h1><p>{} · run {} · {} step{}</p></header>", escape(title), escape(run),
        records.len(), if records.len() == 1 { "" } else { "s" });
    h.push_str("<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>");
    for img in images {
        let _ = write!(h, "<image id=\"{}\" href=\"{}\" width=\"{}\" height=\"{}\"/>", img.hash().replace(':', "-"), data_url(img)?, img.width(), img.height());
    }
    h.push_str("</defs></svg><main>");
    if let Some(a) = answer {
        let _ = write!(h, "<p class=\"final\" id=\"answer\">Answer: {}</p>", escape(a.observation.trim_start_matches("answer: ")));
    }
    for r in records {
        step(&mut h, r, images);
    }
    h.push_str("</main></body></html>\n");
    Ok(h)
}

fn step(h: &mut String, r: &TraceRecord, images: &[Image]) {
    let class = if r.error.is_some() { "error" } else { &*r.kind };
    let _ = write!(h, "<section class=\"step {}\" id=\"step-{}\"><div class=\"text\"><span class=\"num\">Step {}</span><span class=\"kind\">{}</span>",
        escape(class), r.step + 1, r.step + 1, escape(&r.kind));
    if let Some(t) = &r.tool {
        let _ = write!(h, "<span class=\"kind\">tool {}</span>", escape(t));
    }
    if let Some(f) = &r.flag {
        let (label, title) = match &f.reason {
            None => ("κ effective".to_string(), String::new()),
            Some(why) => (format!("κ ineffective: {why}"), f.detail.clone()),
        };
        let _ = write!(h, "<span class=\"kind flag\" title=\"{}\">{}</span>", escape(&title), escape(&label));
    }
    let _ = write!(h, "<pre><code>{}</code></pre>", escape(&r.source));
    let mut arg_regions = Vec::new();
    if !r.calls.is_empty() {
        h.push_str("<table class=\"calls\">");
        for c in &r.calls {
            let args: Vec<String> = c.args.iter().map(|(k, v)| format!("{k}={}", short(v, 120))).collect();
            let _ = write!(h, "<tr><td class=\"k\">{}</td><td>{}</td><td class=\"k\">{} µs</td></tr>", escape(&c.tool), escape(&args.join(", ")), c.wall_us);
            for v in c.args.values() {
                regions_in(v, 64, &mut arg_regions);
            }
        }
        if r.calls_total > r.calls.len() {
            let _ = write!(h, "<tr><td class=\"k\">…</td><td>{} more calls</td></tr>", r.calls_total - r.calls.len());
        }
        h.push_str("</table>");
    }
    let mut results: Vec<RegionRef> = Vec::new();
    if let Some(res) = &r.result {
        let _ = write!(h, "<table><tr><td class=\"k\">result</td><td>{} <code>{}</code></td></tr></table>", escape(&res.ty), escape(&short(&res.value, 400)));
        regions_in(&res.value, 64, &mut results);
    }
    if !r.observation.is_empty() {
        let _ = write!(h, "<div class=\"obs\">→ {}</div>", escape(&r.observation));
    }
    if let Some(e) = &r.error {
        let _ = write!(h, "<div class=\"err\">{} {}: {}</div>", e.code, escape(e.code.title()), escape(&e.message));
    }
    h.push_str("</div>");
    let shown: Vec<&Image> = images.iter().filter(|img| results.iter().chain(&arg_regions).any(|x| x.image == img.hash())).collect();
    for img in shown {
        h.push_str(&svg(img, &results, &arg_regions));
    }
    h.push_str("</section>");
}
