//! `dwim check PROG`

use super::common::{load_program, print_diagnostics, Exit, Failure, ToolArgs};
use super::Format;
use dwim::check::{check_program_capped, input_scope, input_scope_for, vocabulary_warnings};
use dwim::Limits;
use std::path::Path;

pub fn run(path: &Path, format: Format, strict: bool, require_answer: bool, inputs: &[String], tools: &ToolArgs) -> Result<Exit, Failure> {
    let limits = if strict { Limits::strict() } else { Limits::default() };
    let (src, program) = load_program(path, &limits, format)?;
    let registry = super::common::registry_within(tools, &limits)?;
    let scope = if inputs.is_empty() { input_scope() } else { input_scope_for(inputs.iter().map(String::as_str)) };
    let diags = check_program_capped(&program, &registry, &scope, require_answer, limits.max_diagnostics);
    if !diags.is_empty() {
        print_diagnostics(&diags, &src, format);
        return Ok(Exit::ProgramError);
    }
    let warnings = vocabulary_warnings(&program.steps, &registry);
    match format {
        Format::Json => println!("{}", serde_json::json!({"ok": true, "steps": program.steps.len(), "diagnostics": [], "warnings": warnings.iter().map(|w| w.to_json(Some(&src))).collect::<Vec<_>>()})),
        Format::Human => {
            for w in &warnings {
                eprintln!("{}", w.render(Some(&src)));
            }
            println!("{}: ok ({} steps{})", src.name, program.steps.len(), if warnings.is_empty() { String::new() } else { format!(", {} warning{}", warnings.len(), if warnings.len() == 1 { "" } else { "s" }) });
        }
    }
    Ok(Exit::Ok)
}
