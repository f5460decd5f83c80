//! Shared CLI plumbing: exit codes, loading programs, printing diagnostics.

use super::Format;
use dwim::diag::{diagnostics_json, Diagnostic};
use dwim::syntax::{parse_bytes, Program, SourceFile};
use dwim::Limits;
use std::path::Path;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    ProgramError = 1,
    BadInput = 2,
}

/// A failure already reported on stderr/stdout, or a bad-usage message still to print.
pub enum Failure {
    Reported(Exit),
    BadInput(String),
}

pub fn bad_input(d: &Diagnostic) -> Failure {
    Failure::BadInput(d.one_line(None))
}

/// Read and parse a workflow file; parse errors are printed here.
pub fn load_program(path: &Path, limits: &Limits, format: Format) -> Result<(SourceFile, Program), Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", path.display())))?;
    let name = path.display().to_string();
    parse_bytes(&name, &bytes, limits).map_err(|(src, d)| {
        let src = src.unwrap_or_else(|| SourceFile::new(name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        print_diagnostics(&[d], &src, format);
        Failure::Reported(Exit::ProgramError)
    })
}

pub fn print_diagnostics(diags: &[Diagnostic], src: &SourceFile, format: Format) {
    match format {
        Format::Json => println!("{}", diagnostics_json(diags, Some(src))),
        Format::Human => {
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
            for d in diags {
                eprintln!("{}", d.render_with(Some(src), color));
            }
            eprintln!("{} error{}", diags.len(), if diags.len() == 1 { "" } else { "s" });
        }
    }
}
