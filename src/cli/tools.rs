//! `dwim tools`

use super::common::{Exit, Failure, ToolArgs};
use super::Format;

pub fn run(format: Format, tools: &ToolArgs) -> Result<Exit, Failure> {
    let registry = super::common::registry(tools)?;
    let models = native_models(tools)?;
    match format {
        Format::Json => {
            let sigs: Vec<_> = registry.signatures().collect();
            let mut doc = serde_json::json!({"set": registry.set_name, "tools": sigs});
            if let Some(m) = models {
                doc["native_models"] = m;
            }
            println!("{doc}");
        }
        Format::Human => {
            println!("tool set `{}` ({} tools)\n", registry.set_name, registry.len());
            print!("{}", registry.prompt());
            for m in models.iter().flat_map(|m| m.as_array().cloned().unwrap_or_default()) {
                let state = if m["found"] == true { "weights found".to_string() } else { format!("not found: {}", m["error"].as_str().unwrap_or("")) };
                println!("native model {} ({}): {state}", m["model"].as_str().unwrap_or(""), m["tools"].as_array().map(|t| t.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default());
            }
        }
    }
    Ok(Exit::Ok)
}

/// Each native model with whether its weights were found (only when `--native` flags are given).
#[cfg(feature = "native")]
fn native_models(tools: &ToolArgs) -> Result<Option<serde_json::Value>, Failure> {
    let Some(cfg) = super::common::native_config(tools)? else { return Ok(None) };
    let cfg = cfg.offline();
    let list: Vec<_> = dwim::tools::native::available_models(&cfg)
        .into_iter()
        .map(|(m, r)| serde_json::json!({"model": m.name, "tools": m.tools, "found": r.is_ok(), "error": r.err().map(|d| d.message)}))
        .collect();
    Ok(Some(serde_json::Value::Array(list)))
}

#[cfg(not(feature = "native"))]
fn native_models(_: &ToolArgs) -> Result<Option<serde_json::Value>, Failure> {
    Ok(None)
}
