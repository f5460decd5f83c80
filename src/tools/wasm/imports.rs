//! What a plugin may import. Only two modules resolve:
//! - `dwim.trap(ptr, len)`: abort the call with a message (E406 carries it);
//! - WASI preview 1 (`wasi_snapshot_preview1`, `wasi_unstable`): every function is a stub that
//!   denies (errno 76, `ENOTCAPABLE`), except empty `args`/`environ` and what the manifest grants
//!   (`clock`, `random`, `stderr`). There are no files, sockets or environment variables to reach.
//!
//! Any other import makes the plugin fail to load (E410).

use super::limiter::CallLimiter;
use super::manifest::{Grant, Manifest};
use crate::diag::{Code, Diagnostic};
use std::sync::Arc;
use wasmtime::{Caller, ExternType, FuncType, Linker, Module, Val, ValType};

/// WASI errno `ENOTCAPABLE`: "capabilities insufficient".
pub const ENOTCAPABLE: i32 = 76;

/// Per-call host state.
pub struct HostState {
    pub limiter: CallLimiter,
    pub rng: u64,
}

/// The error a `dwim.trap` call or a WASI `proc_exit` raises.
#[derive(Debug)]
pub struct GuestTrap(pub String);
impl std::fmt::Display for GuestTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "plugin aborted: {}", self.0)
    }
}
impl std::error::Error for GuestTrap {}

const MAX_TRAP_MESSAGE: usize = 4096;

fn memory(caller: &mut Caller<'_, HostState>) -> Option<wasmtime::Memory> {
    caller.get_export("memory").and_then(|e| e.into_memory())
}

fn read_bytes(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Option<Vec<u8>> {
    let mem = memory(caller)?;
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    mem.data(&caller).get(ptr..ptr.checked_add(len)?).map(<[u8]>::to_vec)
}

fn write_bytes(caller: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> bool {
    let Some(mem) = memory(caller) else { return false };
    mem.write(caller, ptr as u32 as usize, bytes).is_ok()
}

/// Build the linker for one plugin: only the imports it declares, each resolved as above.
pub fn linker(engine: &wasmtime::Engine, module: &Module, manifest: &Manifest, tool: &str) -> Result<Linker<HostState>, Diagnostic> {
    let mut linker = Linker::new(engine);
    let tool: Arc<str> = Arc::from(tool);
    for imp in module.imports() {
        let (m, name) = (imp.module(), imp.name());
        let refuse = |why: &str| Diagnostic::new(Code::E410, format!("imports `{m}.{name}`{why}")).help(
            "plugins may import only `dwim.trap` and WASI preview 1 (which denies files, sockets and environment)",
        );
        let ExternType::Func(ty) = imp.ty() else { return Err(refuse(", which is not a function")) };
        let added = match m {
            "dwim" if name == "trap" => linker.func_wrap("dwim", "trap", |mut c: Caller<'_, HostState>, ptr: i32, len: i32| {
                let len = len.clamp(0, MAX_TRAP_MESSAGE as i32);
                let msg = read_bytes(&mut c, ptr, len).map(|b| String::from_utf8_lossy(&b).into_owned());
                Err::<(), _>(wasmtime::Error::new(GuestTrap(msg.unwrap_or_else(|| "(message out of bounds)".into()))))
            }),
            "wasi_snapshot_preview1" | "wasi_unstable" => {
                let f = wasi_stub(name.to_string(), &ty, manifest, tool.clone());
                linker.func_new(m, name, ty.clone(), f)
            }
            _ => return Err(refuse(", which dwim does not provide")),
        };
        added.map_err(|e| refuse(&format!(" with an unexpected type: {e}")))?;
    }
    Ok(linker)
}

fn sig_is(ty: &FuncType, params: &[ValType], results: &[ValType]) -> bool {
    ty.params().len() == params.len()
        && ty.results().len() == results.len()
        && ty.params().zip(params).all(|(a, b)| ValType::eq(&a, b))
        && ty.results().zip(results).all(|(a, b)| ValType::eq(&a, b))
}

type Stub = Box<dyn Fn(Caller<'_, HostState>, &[Val], &mut [Val]) -> wasmtime::Result<()> + Send + Sync>;

fn wasi_stub(name: String, ty: &FuncType, manifest: &Manifest, tool: Arc<str>) -> Stub {
    use ValType::{I32, I64};
    let ret_i32 = sig_is(ty, &[], &[I32]) || (ty.results().len() == 1 && ty.results().all(|r| r.is_i32()));
    let arg = |a: &[Val], i: usize| a.get(i).and_then(Val::i32).unwrap_or(0);
    let errno = move |r: &mut [Val], e: i32| {
        if let Some(slot) = r.first_mut() {
            *slot = Val::I32(e);
        }
    };
    match name.as_str() {
        "proc_exit" => Box::new(move |_, a, _| Err(wasmtime::Error::new(GuestTrap(format!("proc_exit({})", arg(a, 0)))))),
        "args_sizes_get" | "environ_sizes_get" if sig_is(ty, &[I32, I32], &[I32]) => Box::new(move |mut c, a, r| {
            let ok = write_bytes(&mut c, arg(a, 0), &0u32.to_le_bytes()) && write_bytes(&mut c, arg(a, 1), &0u32.to_le_bytes());
            errno(r, if ok { 0 } else { 21 });
            Ok(())
        }),
        "args_get" | "environ_get" if ret_i32 => Box::new(move |_, _, r| {
            errno(r, 0);
            Ok(())
        }),
        "clock_time_get" if manifest.grants(Grant::Clock) && sig_is(ty, &[I32, I64, I32], &[I32]) => Box::new(move |mut c, a, r| {
            let realtime = arg(a, 0) == 0;
            let nanos = if realtime {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
            } else {
                static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
                START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
            };
            let ptr = a.get(2).and_then(Val::i32).unwrap_or(0);
            errno(r, if write_bytes(&mut c, ptr, &nanos.to_le_bytes()) { 0 } else { 21 });
            Ok(())
        }),
        "random_get" if manifest.grants(Grant::Random) && sig_is(ty, &[I32, I32], &[I32]) => Box::new(move |mut c, a, r| {
            let len = (arg(a, 1) as u32 as usize).min(1 << 20);
            let mut buf = vec![0u8; len];
            let mut s = c.data().rng;
            for b in &mut buf {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *b = s as u8;
            }
            c.data_mut().rng = s;
            errno(r, if write_bytes(&mut c, arg(a, 0), &buf) { 0 } else { 21 });
            Ok(())
        }),
        "fd_write" if manifest.grants(Grant::Stderr) && sig_is(ty, &[I32, I32, I32, I32], &[I32]) => Box::new(move |mut c, a, r| {
            let (fd, iovs, n, out) = (arg(a, 0), arg(a, 1), arg(a, 2).clamp(0, 64), arg(a, 3));
            if fd != 1 && fd != 2 {
                errno(r, ENOTCAPABLE);
                return Ok(());
            }
            let mut text = Vec::new();
            for i in 0..n {
                let Some(iov) = read_bytes(&mut c, iovs.wrapping_add(i * 8), 8) else { break };
                let p = i32::from_le_bytes([iov[0], iov[1], iov[2], iov[3]]);
                let l = i32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]).clamp(0, 1 << 16);
                text.extend(read_bytes(&mut c, p, l).unwrap_or_default());
            }
            eprint!("[{tool}] {}", String::from_utf8_lossy(&text));
            errno(r, if write_bytes(&mut c, out, &(text.len() as u32).to_le_bytes()) { 0 } else { 21 });
            Ok(())
        }),
        _ if ret_i32 => Box::new(move |_, _, r| {
            errno(r, ENOTCAPABLE);
            Ok(())
        }),
        _ => Box::new(move |_, _, _| Err(wasmtime::Error::new(GuestTrap(format!("WASI `{name}` is not available to plugins"))))),
    }
}

impl HostState {
    pub fn new(memory_cap: usize, seed: u64) -> Self {
        HostState { limiter: CallLimiter::new(memory_cap), rng: seed | 1 }
    }
}
