//! A `ResourceLimiter` that caps memory and tables per call and records *why* it refused, so a
//! refused `memory.grow` is reported as E405 rather than as an anonymous trap.

use wasmtime::ResourceLimiter;

/// Table elements any plugin may have.
pub const MAX_TABLE_ELEMENTS: usize = 100_000;

#[derive(Debug, Default)]
pub struct CallLimiter {
    pub memory_cap: usize,
    /// The first refusal, as a message.
    pub refused: Option<String>,
}

/// The error returned to wasmtime when growth is refused; it turns the grow into a trap.
#[derive(Debug)]
pub struct MemoryRefused(pub String);

impl std::fmt::Display for MemoryRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for MemoryRefused {}

impl CallLimiter {
    pub fn new(memory_cap: usize) -> Self {
        CallLimiter { memory_cap, refused: None }
    }
    fn refuse(&mut self, msg: String) -> wasmtime::Result<bool> {
        self.refused.get_or_insert_with(|| msg.clone());
        Err(wasmtime::Error::new(MemoryRefused(msg)))
    }
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            return self.refuse(format!(
                "memory would grow from {} to {} bytes; the limit is {} bytes",
                current, desired, self.memory_cap
            ));
        }
        Ok(true)
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            return self.refuse(format!("table would grow from {current} to {desired} elements; the limit is {MAX_TABLE_ELEMENTS}"));
        }
        Ok(true)
    }
}
