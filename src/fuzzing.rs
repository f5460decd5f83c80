//! The fuzz harness shared by `fuzz/` (cargo-fuzz) and `tests/fuzz_props.rs` (proptest).

use crate::check::{check_program, input_scope};
use crate::syntax::parse_bytes;
use crate::value::Image;
use crate::{Code, Limits, Registry, Session, Value};

/// Parse, check and run arbitrary bytes under the strict limits, on a small demo scene.
/// Returns an error only for an internal error (E499); panics are the caller's to catch.
/// The program runs even when the checker objects: the interpreter must cope with unchecked input.
pub fn exercise(bytes: &[u8]) -> Result<(), String> {
    let limits = Limits::strict();
    let registry = Registry::builtin();
    let internal = |d: &crate::Diagnostic| if d.code == Code::E499 { Err(d.to_string()) } else { Ok(()) };
    let (src, program) = match parse_bytes("fuzz.wf", bytes, &limits) {
        Ok(p) => p,
        Err((_, d)) => return internal(&d),
    };
    for d in check_program(&program, &registry, &input_scope(), false) {
        internal(&d)?;
    }
    let mut s = Session::new(&registry, limits);
    s.bind("image", Value::Image(Image::from_rgb(crate::world::demo::demo_scene(1).0)));
    for o in s.run_program(&src, &program.steps) {
        if let Some(d) = o.error() {
            internal(d)?;
        }
    }
    Ok(())
}
