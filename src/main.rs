#![allow(clippy::result_large_err)]
//! The `dwim` binary: see `dwim --help`.

mod cli;

use clap::Parser;
use cli::{Exit, Failure};
use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3 (the version the pinned crate builds).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Keep freed pages for reuse instead of returning them to the OS: candle allocates a fresh buffer
    // for every tensor op, and refaulting them cost ~30% of training wall time (see docs/training.md).
    // SAFETY: a plain option setter, called before any thread is spawned.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
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
