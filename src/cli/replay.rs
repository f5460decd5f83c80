//! `dwim replay TRACE`: re-print a run from its trace; no tool runs.
//!
//! The trace is read twice, one record at a time: once for what the output starts with (the run,
//! the record count, the answer), once to print. Memory is one record's, however long the trace.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::trace::{for_each_record, ResultSummary};
use std::io::Write;
use std::path::Path;

/// What the first pass finds.
#[derive(Default)]
struct Summary {
    records: usize,
    run: Option<(String, String)>,
    answer: Option<ResultSummary>,
    failed: bool,
}

pub fn run(path: &Path, format: Format) -> Result<Exit, Failure> {
    let mut s = Summary::default();
    for_each_record(path, |_, r| {
        s.records += 1;
        if s.run.is_none() {
            s.run = Some((r.run_id.to_string(), r.file.to_string()));
        }
        if r.kind == "answer" && r.error.is_none() {
            s.answer = r.result;
        } else if r.error.is_some() && r.kind != "rejected" {
            s.failed = true;
        }
        Ok(())
    })
    .map_err(|d| bad_input(&d))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A closed stdout (`| head`) ends the replay quietly; any other write error is E503.
    let broken = std::cell::Cell::new(false);
    let write_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            broken.set(true);
        }
        dwim::Diagnostic::new(dwim::Code::E503, format!("cannot write the replay: {e}"))
    };
    let done = |r: Result<(), dwim::Diagnostic>| match r {
        Err(_) if broken.get() => Err(Failure::Reported(Exit::Ok)),
        Err(d) => Err(bad_input(&d)),
        Ok(()) => Ok(()),
    };
    match format {
        Format::Json => {
            // The keys in the order `serde_json::json!` gives them (sorted), records streamed.
            let answer = serde_json::to_string(&s.answer.as_ref().map(|a| &a.value)).unwrap_or_else(|_| "null".into());
            done(write!(out, "{{\"answer\":{answer},\"ok\":{},\"records\":[", !s.failed).map_err(write_err))?;
            let mut first = true;
            done(for_each_record(path, |_, r| {
                let sep = if std::mem::take(&mut first) { "" } else { "," };
                let rec = serde_json::to_value(&r).map_err(|e| dwim::Diagnostic::new(dwim::Code::E499, e.to_string()))?;
                write!(out, "{sep}{rec}").map_err(write_err)
            }))?;
            let run_id = serde_json::to_string(&s.run.as_ref().map(|(id, _)| id)).unwrap_or_else(|_| "null".into());
            done(writeln!(out, "],\"run_id\":{run_id},\"steps\":{}}}", s.records).map_err(write_err))?;
        }
        Format::Human => {
            if let Some((id, file)) = &s.run {
                done(writeln!(out, "run {id} ({file}), {} records", s.records).map_err(write_err))?;
            }
            done(for_each_record(path, |_, r| {
                writeln!(out, "[{}] {}:{}:{}  {}\n      → {}", r.step + 1, r.file, r.loc.line, r.loc.col, r.source.lines().next().unwrap_or(""), r.observation).map_err(write_err)
            }))?;
            let last = match &s.answer {
                Some(a) => writeln!(out, "answer: {}", dwim::tools::builtin::plain(&dwim::tools::signature::json_to_value(&a.value))),
                None => writeln!(out, "no answer"),
            };
            done(last.map_err(write_err))?;
        }
    }
    done(out.flush().map_err(write_err))?;
    Ok(if s.failed { Exit::ProgramError } else { Exit::Ok })
}
