//! Map what wasmtime reports into dwim's typed tool errors. Typed downcasts, no string matching.

use super::imports::{GuestTrap, HostState};
use super::limiter::MemoryRefused;
use super::manifest::CallLimits;
use crate::diag::{Code, Diagnostic};
use wasmtime::{Store, Trap};

pub fn call_error(e: wasmtime::Error, store: &Store<HostState>, lim: CallLimits) -> Diagnostic {
    if let Some(g) = e.downcast_ref::<GuestTrap>() {
        return Diagnostic::new(Code::E406, g.to_string());
    }
    let refused = store.data().limiter.refused.clone();
    if let Some(m) = e.downcast_ref::<MemoryRefused>() {
        return memory(&m.0);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Diagnostic::new(Code::E403, format!("the plugin used all {} units of fuel", lim.fuel))
            .help("lower the work per call, or raise `fuel` in the manifest (up to the host's tool_fuel)"),
        Some(Trap::Interrupt) => Diagnostic::new(Code::E404, format!("the plugin ran past its {} ms deadline", lim.deadline.as_millis())),
        Some(Trap::StackOverflow) => Diagnostic::new(Code::E406, "stack overflow (recursion too deep)"),
        Some(t) if refused.is_some() => memory(&format!("{t} after {}", refused.unwrap_or_default())),
        Some(t) => Diagnostic::new(Code::E406, format!("trap: {t}")),
        None if refused.is_some() => memory(&refused.unwrap_or_default()),
        None if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() => {
            Diagnostic::new(Code::E401, format!("too many plugin calls at once: {}", super::plugin::first_line(&e)))
        }
        None => Diagnostic::new(Code::E406, super::plugin::first_line(&e)),
    }
}

fn memory(msg: &str) -> Diagnostic {
    Diagnostic::new(Code::E405, msg.to_string()).help("raise `memory_mb` in the manifest (up to the host's tool_memory)")
}
