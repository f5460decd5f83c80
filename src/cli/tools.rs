//! `dwim tools`

use super::common::{Exit, Failure, ToolArgs};
use super::Format;

pub fn run(format: Format, tools: &ToolArgs) -> Result<Exit, Failure> {
    let registry = super::common::registry(tools)?;
    match format {
        Format::Json => {
            let sigs: Vec<_> = registry.signatures().collect();
            println!("{}", serde_json::json!({"set": registry.set_name, "tools": sigs}));
        }
        Format::Human => {
            println!("tool set `{}` ({} tools)\n", registry.set_name, registry.len());
            print!("{}", registry.prompt());
        }
    }
    Ok(Exit::Ok)
}
