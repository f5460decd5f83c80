//! What every plugin call does around the guest, whatever its ABI (core module or component): its
//! deadline is the nearer of its own and the run's wall limit (E306 when the wall limit is what
//! stopped it), its arguments are charged as the work of copying them in, its fuel is recorded,
//! and what it returns is held to the value limits and to the signature's result type (E407).

use super::manifest::CallLimits;
use crate::diag::{Code, Diagnostic};
use crate::tools::{Args, Signature, ToolCtx};
use crate::value::Value;

/// Run `invoke` under `lim` inside the run of `ctx`.
pub(crate) fn within_run<T>(ctx: &mut ToolCtx<'_>, name: &str, mut lim: CallLimits, args: &Args, invoke: impl FnOnce(CallLimits) -> (Result<T, Diagnostic>, u64)) -> Result<T, Diagnostic> {
    let max_wall = ctx.limits().max_wall;
    let per_call = lim.deadline;
    lim.deadline = ctx.call_deadline(per_call);
    let wall_bound = lim.deadline < per_call;
    // Encoding copies every argument out: count it as the work it is.
    ctx.charge(args.values.iter().map(|v| v.size().nodes).fold(0, u64::saturating_add))?;
    let (out, fuel) = invoke(lim);
    ctx.add_fuel(fuel);
    out.map_err(|d| {
        if wall_bound && d.code == Code::E404 {
            Diagnostic::new(Code::E306, format!("the run reached its {max_wall:?} wall limit inside plugin `{name}`"))
        } else {
            d
        }
    })
}

/// A returned value within the limits and of the type the signature promises (E407 otherwise).
pub(crate) fn checked_result(v: Value, sig: &Signature, args: &Args, limits: &crate::Limits) -> Result<Value, Diagnostic> {
    v.size().check(limits).map_err(|d| Diagnostic::new(Code::E407, format!("the plugin returned a value over the limits: {}", d.message)))?;
    let want = match sig.result_like {
        Some(i) => args.get(i).type_of(),
        None => sig.result.clone(),
    };
    if !crate::fields::fits(&want, &v) {
        return Err(Diagnostic::new(Code::E407, format!("returned {}, but its signature promises {want}", v.type_of())));
    }
    Ok(v)
}
