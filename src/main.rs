#![allow(clippy::result_large_err)]
//! The `dwim` binary: see `dwim --help`.

mod cli;

use clap::Parser;
use cli::{Exit, Failure};
use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Keep freed pages for reuse: see `dwim::alloc::keep_freed_pages`.
    dwim::alloc::keep_freed_pages();
    // A panic is a dwim bug; report it as such and never exit 101.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("dwim: internal error (please report): {info}");
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::BadInput as u8 } else { Exit::Ok as u8 });
        }
    };
    match std::panic::catch_unwind(|| cli::dispatch(cli)) {
        Ok(Ok(code)) => ExitCode::from(code as u8),
        Ok(Err(Failure::Reported(code))) => ExitCode::from(code as u8),
        Ok(Err(Failure::BadInput(msg))) => {
            eprintln!("dwim: {msg}");
            ExitCode::from(Exit::BadInput as u8)
        }
        Err(_) => ExitCode::from(70),
    }
}
