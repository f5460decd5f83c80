//! Native model calls bounded by the run's wall limit.
//!
//! A candle forward pass cannot be interrupted from outside. So each native call runs on its own
//! thread and the engine waits for it at most until the run's wall limit: a call still running
//! then ends the step with E306 at the limit, and its thread is abandoned (it finishes its pass,
//! bounded by the input size limits, and its reply is dropped). A model that panics ends the call
//! with E401 naming the tool, never the host.

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::tools::{Applier, Args, Signature, Tool, ToolCtx};
use crate::value::{Lambda, Value};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::Arc;

/// A native tool whose calls end at the run's wall limit.
pub(crate) struct WallBounded(pub Arc<dyn Tool>);

/// Wrap every tool of a native set.
pub(crate) fn bound(tools: Vec<Arc<dyn Tool>>) -> Vec<Arc<dyn Tool>> {
    tools.into_iter().map(|t| Arc::new(WallBounded(t)) as Arc<dyn Tool>).collect()
}

/// What a native tool sees of the engine on its own thread: the limits, and no lambdas (no
/// native tool takes one).
struct Detached(Limits);

impl Applier for Detached {
    fn apply(&mut self, _: &Lambda, _: Value) -> Result<Value, Diagnostic> {
        Err(Diagnostic::new(Code::E401, "a native tool cannot apply a lambda"))
    }
    fn limits(&self) -> &Limits {
        &self.0
    }
}

impl Tool for WallBounded {
    fn signature(&self) -> &Signature {
        self.0.signature()
    }

    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let Some(left) = ctx.wall_left() else { return self.0.call(args, ctx) };
        let name = self.0.signature().name.clone();
        if left.is_zero() {
            return Err(wall_error(ctx.limits(), &name));
        }
        let tool = self.0.clone();
        let owned = Args::new(args.names.clone(), args.values.clone());
        let limits = ctx.limits().clone();
        let (tx, rx) = sync_channel(1);
        let spawned = std::thread::Builder::new().name(format!("dwim-native-{name}")).stack_size(16 << 20).spawn(move || {
            let mut detached = Detached(limits);
            let mut inner = ToolCtx::new(&mut detached);
            let _ = tx.send(tool.call(&owned, &mut inner));
        });
        if let Err(e) = spawned {
            return Err(Diagnostic::new(Code::E401, format!("native tool `{name}`: cannot start its thread: {e}")));
        }
        match rx.recv_timeout(left) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(wall_error(ctx.limits(), &name)),
            Err(RecvTimeoutError::Disconnected) => Err(Diagnostic::new(Code::E401, format!("native tool `{name}` failed inside its model (it panicked)"))),
        }
    }
}

fn wall_error(limits: &Limits, name: &str) -> Diagnostic {
    Diagnostic::new(Code::E306, format!("the run reached its {:?} wall limit inside native tool `{name}`", limits.max_wall))
        .help("the model's work was abandoned; give the run a longer wall limit or a smaller input")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ToolKind;
    use std::time::{Duration, Instant};

    struct Slow(Signature, Duration);
    impl Tool for Slow {
        fn signature(&self) -> &Signature {
            &self.0
        }
        fn call(&self, _: &Args, _: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
            std::thread::sleep(self.1);
            if self.1 == Duration::ZERO {
                panic!("model bug");
            }
            Ok(Value::Number(1.0))
        }
    }

    struct Wall(Limits, Duration);
    impl Applier for Wall {
        fn apply(&mut self, _: &Lambda, _: Value) -> Result<Value, Diagnostic> {
            unreachable!()
        }
        fn limits(&self) -> &Limits {
            &self.0
        }
        fn wall_left(&self) -> Option<Duration> {
            Some(self.1)
        }
    }

    fn sig() -> Signature {
        Signature { name: "slow".into(), params: vec![], result: crate::types::Type::Number, doc: String::new(), kind: ToolKind::Native, result_like: None, result_elem_of: None, result_list_of_fn: None }
    }

    fn call(work: Duration, left: Duration) -> (Result<Value, Diagnostic>, Duration) {
        let tool = WallBounded(Arc::new(Slow(sig(), work)));
        let mut wall = Wall(Limits::strict(), left);
        let t0 = Instant::now();
        let r = tool.call(&Args::new(vec![], vec![]), &mut ToolCtx::new(&mut wall));
        (r, t0.elapsed())
    }

    #[test]
    fn a_call_past_the_wall_limit_ends_at_it() {
        let (r, took) = call(Duration::from_secs(3), Duration::from_millis(200));
        assert_eq!(r.err().map(|d| d.code), Some(Code::E306));
        assert!(took < Duration::from_secs(1), "waited {took:?}");
    }

    #[test]
    fn a_call_within_the_limit_returns_its_value() {
        let (r, _) = call(Duration::from_millis(10), Duration::from_secs(5));
        assert!(matches!(r, Ok(Value::Number(n)) if n == 1.0));
    }

    #[test]
    fn a_panicking_model_is_a_tool_error() {
        let (r, _) = call(Duration::ZERO, Duration::from_secs(5));
        assert_eq!(r.err().map(|d| d.code), Some(Code::E401));
    }
}
