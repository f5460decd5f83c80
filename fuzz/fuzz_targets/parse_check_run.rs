//! `cargo +nightly fuzz run parse_check_run`: fails only on a panic or an internal error (E499).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = dwim::fuzzing::exercise(data) {
        panic!("internal error: {e}");
    }
});
