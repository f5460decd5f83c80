//! `cargo +nightly fuzz run parse_check_run`: fails only on a panic or an internal error (E499).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = dwim::fuzzing::exercise(data) {
        panic!("internal error: {e}");
    }
    render_diagnostics(data);
});

/// Every diagnostic of a hostile input renders, for people and as JSON, without a panic.
fn render_diagnostics(data: &[u8]) {
    use dwim::check::{check_program, input_scope};
    let limits = dwim::Limits::strict();
    match dwim::syntax::parse_bytes("fuzz.wf", data, &limits) {
        Err((src, d)) => {
            let _ = (d.render(src.as_ref()), d.to_json(src.as_ref()));
        }
        Ok((src, program)) => {
            let found = check_program(&program, &dwim::Registry::builtin(), &input_scope(), false);
            for d in found.iter() {
                let _ = d.render(Some(&src));
            }
            let _ = dwim::diag::diagnostics_json(&found, Some(&src));
        }
    }
}
