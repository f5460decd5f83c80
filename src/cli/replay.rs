//! `dwim replay TRACE`: re-print a run from its trace; no tool runs.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::trace::read_trace;
use std::path::Path;

pub fn run(path: &Path, format: Format) -> Result<Exit, Failure> {
    let records = read_trace(path).map_err(|d| bad_input(&d))?;
    let answer = records.iter().rev().find(|r| r.kind == "answer" && r.error.is_none()).and_then(|r| r.result.as_ref());
    let failed = records.iter().any(|r| r.error.is_some() && r.kind != "rejected");
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "ok": !failed,
                "run_id": records.first().map(|r| r.run_id.clone()),
                "steps": records.len(),
                "answer": answer.map(|a| a.value.clone()),
                "records": records,
            });
            println!("{doc}");
        }
        Format::Human => {
            if let Some(r) = records.first() {
                println!("run {} ({}), {} records", r.run_id, r.file, records.len());
            }
            for r in &records {
                println!("[{}] {}:{}:{}  {}", r.step + 1, r.file, r.loc.line, r.loc.col, r.source.lines().next().unwrap_or(""));
                println!("      → {}", r.observation);
            }
            match answer {
                Some(a) => println!("answer: {}", dwim::tools::builtin::plain(&dwim::tools::signature::json_to_value(&a.value))),
                None => println!("no answer"),
            }
        }
    }
    Ok(if failed { Exit::ProgramError } else { Exit::Ok })
}
