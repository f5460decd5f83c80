//! The fuzz harness shared by `fuzz/` (cargo-fuzz) and `tests/fuzz_props.rs` (proptest).

use crate::check::{check_program, input_scope};
use crate::syntax::parse_bytes;
use crate::value::Image;
use crate::{Code, Limits, Registry, Session, Value};
use std::time::{Duration, Instant};

/// Parse, check and run arbitrary bytes under the strict limits (with a 2 s wall limit), on a small
/// demo scene. Returns an error for an internal error (E499) or a bound exceeded: the run taking
/// over a second past its wall limit, or a trace record or observation larger than the bounds
/// values are written within. Panics are the caller's to catch. The program runs even when the
/// checker objects: the interpreter must cope with unchecked input.
pub fn exercise(bytes: &[u8]) -> Result<(), String> {
    let limits = Limits { max_wall: Duration::from_secs(2), ..Limits::strict() };
    let t0 = Instant::now();
    let registry = Registry::builtin();
    let internal = |d: &crate::Diagnostic| if d.code == Code::E499 { Err(d.to_string()) } else { Ok(()) };
    let (src, program) = match parse_bytes("fuzz.wf", bytes, &limits) {
        Ok(p) => p,
        Err((_, d)) => return internal(&d),
    };
    for d in check_program(&program, &registry, &input_scope(), false) {
        internal(&d)?;
    }
    let mut s = Session::new(&registry, limits.clone());
    s.bind("image", Value::Image(Image::from_rgb(crate::world::demo::demo_scene(1).0)));
    for o in s.run_program(&src, &program.steps) {
        if let Some(d) = o.error() {
            internal(d)?;
        }
        let record = serde_json::to_string(&o.record).map_err(|e| e.to_string())?;
        // A record holds the step's source (bounded by the source limit) plus bounded values.
        let bound = src.text.len() * 2 + (1 << 20);
        if record.len() > bound {
            return Err(format!("a trace record of {} bytes (bound {bound})", record.len()));
        }
        if o.record.observation.len() > src.text.len() + (64 << 10) {
            return Err(format!("an observation of {} bytes", o.record.observation.len()));
        }
    }
    if t0.elapsed() > limits.max_wall + Duration::from_secs(1) {
        return Err(format!("the run took {:?} with a wall limit of {:?}", t0.elapsed(), limits.max_wall));
    }
    Ok(())
}
