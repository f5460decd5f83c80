//! Skipping a test out loud: the reason goes to stderr and, when `DWIM_SKIP_LOG` names a file (as
//! scripts/test.sh does), one line is appended there, so the test command ends by listing every
//! skipped test and why.

/// Report that `test` is skipped because `why`.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIP {test}: {why}");
    if let Some(path) = std::env::var_os("DWIM_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{test}: {why}");
        }
    }
}
