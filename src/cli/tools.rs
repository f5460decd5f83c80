//! `dwim tools`: every tool of the set in use with its signature, kind and source; the native
//! models found, skipped or missing.

use super::common::{Exit, Failure, ToolArgs};
use super::Format;

pub fn run(format: Format, tools: &ToolArgs) -> Result<Exit, Failure> {
    let registry = super::common::registry(tools)?;
    let models = native_models(tools)?;
    match format {
        Format::Json => {
            let listed: Vec<serde_json::Value> = registry
                .signatures()
                .map(|s| {
                    let mut v = serde_json::to_value(s).unwrap_or_default();
                    v["origin"] = serde_json::to_value(registry.origin(&s.name)).unwrap_or_default();
                    v
                })
                .collect();
            let skipped: Vec<_> = registry.skipped.iter().map(|(n, why)| serde_json::json!({"name": n, "why": why})).collect();
            let mut doc = serde_json::json!({"set": registry.set_name, "fingerprint": registry.fingerprint(), "tools": listed, "skipped": skipped});
            if let Some(m) = models {
                doc["native_models"] = m;
            }
            println!("{doc}");
            for (name, why) in &registry.skipped {
                eprintln!("note: native `{name}` not added: {why}");
            }
        }
        Format::Human => {
            println!("tool set `{}` ({} tools, fingerprint {})\n", registry.set_name, registry.len(), registry.fingerprint());
            for s in registry.signatures() {
                let from = registry.origin(&s.name).map(|o| if o.base { format!("  [{}, {} set]", kind(o.kind), o.source) } else { format!("  [{}: {}]", kind(o.kind), o.source) }).unwrap_or_default();
                println!("{}{from}\n    {}", s.render(), s.doc);
            }
            for (name, why) in &registry.skipped {
                eprintln!("note: native `{name}` not added: {why} (`--override {name}` lets it replace that one)");
            }
            for m in models.iter().flat_map(|m| m.as_array().cloned().unwrap_or_default()) {
                let state = if m["found"] == true { "weights found".to_string() } else { format!("not found: {}", m["error"].as_str().unwrap_or("")) };
                println!("native model {} ({}): {state}", m["model"].as_str().unwrap_or(""), m["tools"].as_array().map(|t| t.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default());
            }
        }
    }
    Ok(Exit::Ok)
}

fn kind(k: dwim::tools::ToolKind) -> &'static str {
    match k {
        dwim::tools::ToolKind::Builtin => "built-in",
        dwim::tools::ToolKind::Wasm => "plugin",
        dwim::tools::ToolKind::WasmComponent => "component",
        dwim::tools::ToolKind::Native => "native",
        dwim::tools::ToolKind::Remote => "remote",
    }
}

/// Each native model with whether its weights were found: in the `--native` directory, else the
/// default models directory.
#[cfg(feature = "native")]
fn native_models(tools: &ToolArgs) -> Result<Option<serde_json::Value>, Failure> {
    let cfg = match super::common::native_config(tools)? {
        Some(cfg) => cfg.offline(),
        None => super::common::default_native_config(tools)?,
    };
    let list: Vec<_> = dwim::tools::native::available_models(&cfg)
        .into_iter()
        .map(|(m, r)| serde_json::json!({"model": m.name, "tools": m.tools, "dir": cfg.models_dir.join(m.name), "found": r.is_ok(), "error": r.err().map(|d| d.message)}))
        .collect();
    Ok(Some(serde_json::Value::Array(list)))
}

#[cfg(not(feature = "native"))]
fn native_models(_: &ToolArgs) -> Result<Option<serde_json::Value>, Failure> {
    Ok(None)
}
