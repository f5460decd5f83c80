//! `dwim run PROG --image IMG [--trace OUT]`; `--image left=A --image right=B` for several images.

use super::common::{bad_input, load_program, print_diagnostics, Exit, Failure, ToolArgs};
use super::Format;
use dwim::check::{check_program_capped, input_scope_for, vocabulary_warnings};
use dwim::trace::TraceWriter;
use dwim::value::Image;
use dwim::{Code, Diagnostic, Limits, Session, Value};
use std::path::Path;

pub fn run(path: &Path, images: &[String], trace: Option<&Path>, format: Format, strict: bool, tools: &ToolArgs) -> Result<Exit, Failure> {
    let limits = if strict { Limits::strict() } else { Limits::default() };
    if let Some(t) = trace {
        super::common::check_output_path("--trace", t)?;
    }
    let mut inputs = Vec::new();
    for (name, file) in super::common::named_images(images)? {
        inputs.push((name, Image::load(&file, &limits).map_err(|d| bad_input(&d))?));
    }
    let (src, program) = load_program(path, &limits, format)?;
    let registry = super::common::registry_within(tools, &limits)?;
    let diags = check_program_capped(&program, &registry, &input_scope_for(inputs.iter().map(|(n, _)| n.as_str())), true, limits.max_diagnostics);
    if !diags.is_empty() {
        print_diagnostics(&diags, &src, format);
        return Ok(Exit::ProgramError);
    }
    let warnings = vocabulary_warnings(&program.steps, &registry);
    if format == Format::Human {
        for w in &warnings {
            eprintln!("{}", w.render(Some(&src)));
        }
    }
    let mut session = Session::new(&registry, limits);
    if let Some(t) = trace {
        session = session.with_trace(TraceWriter::create(t).map_err(|d| bad_input(&d))?);
    }
    for (name, img) in inputs {
        session.bind(&name, Value::Image(img));
    }
    let outcomes = session.run_program(&src, &program.steps);
    let failed = outcomes.iter().find_map(|o| o.error().cloned());
    let trace_lost = session.trace_error().map(|e| Diagnostic::new(Code::E503, format!("could not write the trace {}: {e}", trace.map(|t| t.display().to_string()).unwrap_or_default())));
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "ok": failed.is_none(),
                "run_id": session.run_id(),
                "answer": session.answer().map(|v| v.to_json()),
                "steps": outcomes.iter().map(|o| &o.record).collect::<Vec<_>>(),
                "error": failed.as_ref().map(|d| d.to_json(Some(&src))),
                "trace_error": trace_lost.as_ref().map(|d| d.to_json(None)),
                "warnings": warnings.iter().map(|w| w.to_json(Some(&src))).collect::<Vec<_>>(),
            });
            println!("{doc}");
        }
        Format::Human => {
            for o in &outcomes {
                let r = &o.record;
                println!("[{}] {:<48} {}", r.step + 1, r.source.lines().next().unwrap_or(""), if r.is_error() { "✗" } else { "" });
                if r.error.is_none() && !r.observation.is_empty() {
                    println!("      → {}", r.observation);
                }
            }
            if let Some(d) = &failed {
                eprintln!("{}", d.render(Some(&src)));
            } else if let Some(a) = session.answer() {
                println!("answer: {}", dwim::tools::builtin::plain(a));
            }
        }
    }
    // The run's own results are reported above; a lost trace is reported after them and fails the command.
    if let Some(d) = &trace_lost {
        eprintln!("dwim: {}", d.one_line(None));
    }
    Ok(if failed.is_some() { Exit::ProgramError } else if trace_lost.is_some() { Exit::BadInput } else { Exit::Ok })
}
