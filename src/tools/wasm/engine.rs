//! One wasmtime `Engine` per process: fuel metering, epoch interruption driven by one background
//! ticker thread, and the pooling allocator (falling back to on-demand allocation where the pool
//! cannot be reserved).

use crate::diag::{Code, Diagnostic};
use std::sync::OnceLock;
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the ticker advances the epoch; deadlines are rounded up to this.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// The largest linear memory any plugin may have, whatever `Limits::tool_memory` says.
pub const MEMORY_CAP: usize = 1 << 30;

/// Plugin instances that may be alive at once (one per in-flight call): their linear memories and
/// tables, each a reserved slot of the pool.
const POOL_INSTANCES: u32 = 64;

/// Core instances one component may create. A Rust or C component has a few; CPython built with
/// componentize-py has 38 modules, instantiated as about a hundred core instances.
const CORE_INSTANCES_PER_COMPONENT: u32 = 256;

/// Core instances alive at once across every call: only a count (an instance's metadata is
/// allocated when it is created), so it can be generous; what bounds concurrency is the pool's
/// memories and tables.
const TOTAL_CORE_INSTANCES: u32 = 4096;

/// Bytes of each pooled memory reset with `memset` rather than `madvise` between calls: covers a
/// small guest's stack, data and first heap pages, so a trivial call takes no page faults
/// (measured: 24 → 16 µs for a Rust guest linked with a 64 KiB stack).
const KEEP_RESIDENT: usize = 256 << 10;

/// Native stack a plugin may use (deep recursion traps with E406 beyond it).
const WASM_STACK: usize = 1 << 20;

fn config(pooling: bool) -> Config {
    let mut c = Config::new();
    c.consume_fuel(true);
    c.epoch_interruption(true);
    c.max_wasm_stack(WASM_STACK);
    if pooling {
        let mut p = PoolingAllocationConfig::default();
        p.total_core_instances(TOTAL_CORE_INSTANCES)
            .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .table_elements(crate::tools::wasm::limiter::MAX_TABLE_ELEMENTS)
            .max_memory_size(MEMORY_CAP)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .pagemap_scan(wasmtime::Enabled::Auto);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(p));
    }
    c
}

/// The shared engine, created on first use with its epoch ticker.
pub fn engine() -> Result<&'static Engine, Diagnostic> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    let made = ENGINE.get_or_init(|| {
        let engine = Engine::new(&config(true))
            .or_else(|_| Engine::new(&config(false)))
            .map_err(|e| format!("cannot start the WASM engine: {e}"))?;
        let ticker = engine.clone();
        std::thread::Builder::new()
            .name("dwim-wasm-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(EPOCH_TICK);
                ticker.increment_epoch();
            })
            .map_err(|e| format!("cannot start the epoch ticker: {e}"))?;
        Ok(engine)
    });
    made.as_ref().map_err(|m| Diagnostic::new(Code::E410, m.clone()))
}

/// Epoch ticks for a deadline, rounded up, plus one for the tick in progress.
pub fn deadline_ticks(d: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos().max(1);
    u64::try_from(d.as_nanos().div_ceil(tick)).unwrap_or(u64::MAX / 2).saturating_add(1)
}
