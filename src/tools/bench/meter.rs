//! Charging pixel work to the run: shared by the built-in pixel tools and the benchmark's.

use crate::diag::{Code, Diagnostic};
use crate::tools::ToolCtx;
use dwim_perception::{Progress, Stopped};

/// Pixels of work between two charges: small enough that a charge (and its wall check) comes
/// every few milliseconds, large enough that charging costs nothing measurable.
const CHARGE_EVERY: u64 = 1 << 14;

/// Counts pixels of work and charges them to the run, 256 to a unit, every [`CHARGE_EVERY`].
pub(crate) struct Meter<'c, 'a> {
    ctx: &'c mut ToolCtx<'a>,
    pending: u64,
    /// Pixels of work counted so far.
    total: u64,
    failed: Option<Diagnostic>,
}

impl<'c, 'a> Meter<'c, 'a> {
    pub(crate) fn new(ctx: &'c mut ToolCtx<'a>) -> Self {
        Meter { ctx, pending: 0, total: 0, failed: None }
    }
    pub(crate) fn limits(&self) -> &crate::limits::Limits {
        self.ctx.limits()
    }
    /// Count `pixels` of work; an E308/E306 from the run ends it.
    pub(crate) fn add(&mut self, pixels: u64) -> Result<(), Diagnostic> {
        self.total = self.total.saturating_add(pixels);
        self.pending = self.pending.saturating_add(pixels);
        if self.pending >= CHARGE_EVERY {
            let units = self.pending / 256;
            self.pending %= 256;
            self.ctx.charge(units)?;
        }
        Ok(())
    }
    /// Pixels of work counted so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }
    /// Run a `dwim_perception` `*_with` function under this meter: its progress is charged, and
    /// a limit hit inside it is its error.
    pub(crate) fn run<T>(&mut self, f: impl FnOnce(&mut Progress) -> Result<T, Stopped>) -> Result<T, Diagnostic> {
        let out = {
            let mut progress = |n: u64| match self.add(n) {
                Ok(()) => true,
                Err(d) => {
                    self.failed = Some(d);
                    false
                }
            };
            f(&mut progress)
        };
        out.map_err(|Stopped| self.failed.take().unwrap_or_else(|| Diagnostic::new(Code::E499, "pixel work stopped without a reason")))
    }
}
