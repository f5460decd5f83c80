//! Writing and reading JSON Lines traces. Each record is flushed as it is written, so a run that
//! dies keeps every step it finished.

use super::record::{TraceRecord, SCHEMA};
use crate::diag::{Code, Diagnostic};
use std::io::{BufRead, Write};
use std::path::Path;

pub struct TraceWriter {
    out: Box<dyn Write + Send>,
}

impl TraceWriter {
    pub fn create(path: &Path) -> Result<TraceWriter, Diagnostic> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Diagnostic::new(Code::E402, format!("cannot create {}: {e}", dir.display())))?;
        }
        let f = std::fs::File::create(path)
            .map_err(|e| Diagnostic::new(Code::E402, format!("cannot write trace {}: {e}", path.display())))?;
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

/// Read a trace file. A line that is not a valid record is an error naming the line.
pub fn read_trace(path: &Path) -> Result<Vec<TraceRecord>, Diagnostic> {
    let f = std::fs::File::open(path)
        .map_err(|e| Diagnostic::new(Code::E402, format!("cannot read trace {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Diagnostic::new(Code::E402, format!("{}:{}: {e}", path.display(), i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: TraceRecord = serde_json::from_str(&line).map_err(|e| {
            Diagnostic::new(Code::E402, format!("{}:{}:{}: not a trace record: {e}", path.display(), i + 1, e.column()))
        })?;
        if rec.schema.split('/').next() != SCHEMA.split('/').next() || rec.schema != SCHEMA {
            return Err(Diagnostic::new(Code::E402, format!("{}:{}: unsupported trace schema {:?} (this dwim reads {SCHEMA})",
                path.display(), i + 1, rec.schema)));
        }
        out.push(rec);
    }
    Ok(out)
}
