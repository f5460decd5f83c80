#![allow(clippy::result_large_err)]
//! The `dwim` binary: see `dwim --help`.

mod cli;

use clap::Parser;
use cli::{Exit, Failure};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set by the panic hook when a panic is `println!` failing: 1 when stdout was closed by its reader
/// (`dwim tools | head -1`: not a dwim bug and not a failure of the command), 2 for any other write
/// error (`> /dev/full`: E503).
static STDOUT_FAILED: AtomicU8 = AtomicU8::new(0);

fn stdout_failure(info: &std::panic::PanicHookInfo) -> u8 {
    let msg = info.payload().downcast_ref::<String>().map(String::as_str).or_else(|| info.payload().downcast_ref::<&str>().copied()).unwrap_or("");
    if !msg.starts_with("failed printing to stdout") {
        0
    } else if msg.contains("Broken pipe") || msg.contains("os error 32") {
        1
    } else {
        2
    }
}

fn main() -> ExitCode {
    // Keep freed pages for reuse: see `dwim::alloc::keep_freed_pages`.
    dwim::alloc::keep_freed_pages();
    // A panic is a dwim bug; report it as such and never exit 101. The hook itself must never
    // panic (a panic while panicking aborts with 134): it writes to stderr ignoring errors.
    std::panic::set_hook(Box::new(|info| {
        let failed = stdout_failure(info);
        if failed != 0 {
            STDOUT_FAILED.store(failed, Ordering::SeqCst);
            return;
        }
        let _ = writeln!(std::io::stderr(), "dwim: internal error (please report): {info}");
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            let _ = e.print(); // --help, --version
            return ExitCode::from(Exit::Ok as u8);
        }
        Err(e) => {
            // A bad command line carries its code like every other error (E505).
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            let text = if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                format!("a command is needed\n\n{text}")
            } else {
                text.to_string()
            };
            let _ = write!(std::io::stderr(), "dwim: E505 invalid command line: {text}");
            return ExitCode::from(Exit::BadInput as u8);
        }
    };
    let code = match std::panic::catch_unwind(|| cli::dispatch(cli)) {
        Ok(Ok(code)) => code as u8,
        Ok(Err(Failure::Reported(code))) => code as u8,
        Ok(Err(Failure::BadInput(msg))) => {
            let _ = writeln!(std::io::stderr(), "dwim: {msg}");
            Exit::BadInput as u8
        }
        Err(_) if STDOUT_FAILED.load(Ordering::SeqCst) == 1 => Exit::Ok as u8,
        Err(_) if STDOUT_FAILED.load(Ordering::SeqCst) == 2 => 0xFF,
        Err(_) => 70,
    };
    // Output still buffered at exit: a closed pipe ends quietly, any other error is E503.
    let unflushed = std::io::stdout().flush().err().filter(|e| e.kind() != std::io::ErrorKind::BrokenPipe);
    if code == 0xFF || unflushed.is_some() {
        let _ = writeln!(std::io::stderr(), "dwim: E503 cannot write output: stdout{}", unflushed.map(|e| format!(": {e}")).unwrap_or_default());
        return ExitCode::from(Exit::BadInput as u8);
    }
    ExitCode::from(code)
}
