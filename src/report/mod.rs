//! The visual rationale: a trace rendered as one standalone HTML page (like VisProg's, with the
//! image embedded once and every step's regions drawn over it as SVG).
//!
//! | file | what it holds |
//! |---|---|
//! | `html.rs` | the page: one card per step with source, calls, result, observation, error |
//! | `figure.rs` | finding regions in JSON values, SVG figures, base64 PNG embedding |

mod figure;
mod html;

pub use figure::{base64, regions_in, RegionRef};
pub use html::render;

use crate::diag::Diagnostic;
use crate::trace::read_trace;
use crate::value::Image;
use std::path::Path;

/// Bytes of a trace `report` renders: the page holds every record, so its memory grows with the
/// trace (about ten times its size); a run within the default limits writes far less.
pub const MAX_REPORT_TRACE_BYTES: u64 = 64 << 20;

/// Read a trace (at most [`MAX_REPORT_TRACE_BYTES`], E311), render it with the given images,
/// write `out`.
pub fn write_report(trace: &Path, images: &[Image], out: &Path) -> Result<usize, Diagnostic> {
    let size = crate::io::check_regular(trace)?;
    if size > MAX_REPORT_TRACE_BYTES {
        return Err(Diagnostic::new(
            crate::diag::Code::E311,
            format!("{} is {size} bytes; a report renders traces of at most {MAX_REPORT_TRACE_BYTES} bytes", trace.display()),
        )
        .help("`dwim replay` reads a trace of any length"));
    }
    let records = read_trace(trace)?;
    let html = render(&records, images, &trace.display().to_string())?;
    crate::output::write_bytes(out, html.as_bytes())?;
    Ok(records.len())
}
