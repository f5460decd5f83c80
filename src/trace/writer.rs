//! Writing and reading JSON Lines traces. Each record is flushed as it is written, so a run that
//! dies keeps every step it finished.

use super::record::{TraceRecord, SCHEMA};
use crate::diag::{Code, Diagnostic};
use std::io::Write;
use std::path::Path;

pub struct TraceWriter {
    out: Box<dyn Write + Send>,
}

impl TraceWriter {
    pub fn create(path: &Path) -> Result<TraceWriter, Diagnostic> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Diagnostic::new(Code::E503, format!("cannot create {}: {e}", dir.display())))?;
        }
        let f = crate::output::create(path).map_err(|d| Diagnostic::new(Code::E503, format!("trace: {}", d.message)))?;
        Ok(TraceWriter { out: Box::new(f) })
    }

    pub fn to_writer(w: impl Write + Send + 'static) -> TraceWriter {
        TraceWriter { out: Box::new(w) }
    }

    pub fn write(&mut self, rec: &TraceRecord) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(rec).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()
    }
}

/// Read a trace file through [`crate::io`] (regular files only, E501 / E502; a line over
/// `Limits::max_record_bytes` is E311). A line that is not a valid record is E504 naming the line.
pub fn read_trace(path: &Path) -> Result<Vec<TraceRecord>, Diagnostic> {
    let mut out = Vec::new();
    for_each_record(path, |_, rec| {
        out.push(rec);
        Ok(())
    })?;
    Ok(out)
}

/// Every record of a trace, one at a time (the file is streamed: memory is one record's, however
/// long the trace), with its 1-based line.
pub fn for_each_record(path: &Path, mut f: impl FnMut(usize, TraceRecord) -> Result<(), Diagnostic>) -> Result<(), Diagnostic> {
    crate::io::for_each_json_line(path, crate::Limits::default().max_record_bytes, |n, v: serde_json::Value| {
        let rec: TraceRecord = serde_json::from_value(v).map_err(|e| crate::io::bad_record(path, n, format!("not a trace record: {e}")))?;
        if rec.schema != SCHEMA {
            return Err(crate::io::bad_record(path, n, format!("unsupported trace schema {:?} (this dwim reads {SCHEMA})", rec.schema)));
        }
        f(n, rec)
    })
}
