//! A loaded plugin: its signature, its sandbox policy, and a pre-linked module. Every call gets a
//! fresh `Store` and instance, so nothing a call does (a trap, a leak, a corrupted heap) reaches
//! the next one.

use super::abi::{decode_output, encode_args, Output, OutputLimits};
use super::call::{checked_result, within_run};
use super::engine::{deadline_ticks, engine, MEMORY_CAP};
use super::load::{check_module, compile_within, read_bounded};
use super::errors::call_error;
use super::imports::{linker, HostState};
use super::manifest::{CallLimits, Manifest};
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::tools::{Args, Signature, Tool, ToolCtx, ToolKind};
use crate::value::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::{ExternType, InstancePre, Module, Store, TypedFunc, ValType};

/// Where compiled modules are cached, and whether to cache at all.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub cache_dir: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { cache_dir: super::cache::default_dir() }
    }
}

pub use crate::tools::signature::{MAX_DOC_BYTES, MAX_NAME_BYTES, MAX_PARAMS};

pub struct WasmTool {
    sig: Signature,
    manifest: Manifest,
    path: PathBuf,
    /// BLAKE3 of the module's bytes, hex: the plugin's identity in a tool set's manifest.
    hash: String,
    pre: InstancePre<HostState>,
}

/// Limits for `dwim_describe`, run once at load time.
fn describe_limits() -> CallLimits {
    CallLimits { fuel: 100_000_000, deadline: Duration::from_secs(2), memory: 64 << 20, max_output: 1 << 20 }
}

const EXPORTS: &[(&str, &[ValType], &[ValType])] = &[
    ("dwim_alloc", &[ValType::I32], &[ValType::I32]),
    ("dwim_describe", &[], &[ValType::I64]),
    ("dwim_call", &[ValType::I32, ValType::I32], &[ValType::I64]),
];

fn check_exports(module: &Module) -> Result<(), Diagnostic> {
    match module.get_export("memory") {
        Some(ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => {}
        Some(_) => return Err(Diagnostic::new(Code::E409, "export `memory` must be a 32-bit, unshared linear memory")),
        None => return Err(Diagnostic::new(Code::E408, "the plugin exports no `memory`")),
    }
    for (name, params, results) in EXPORTS {
        let want = format!("({}) -> ({})", types(params.iter().cloned()), types(results.iter().cloned()));
        match module.get_export(name) {
            Some(ExternType::Func(f)) => {
                let same = f.params().len() == params.len()
                    && f.results().len() == results.len()
                    && f.params().zip(params.iter()).all(|(a, b)| ValType::eq(&a, b))
                    && f.results().zip(results.iter()).all(|(a, b)| ValType::eq(&a, b));
                if !same {
                    let got = format!("({}) -> ({})", types(f.params()), types(f.results()));
                    return Err(Diagnostic::new(Code::E409, format!("export `{name}` has type {got}; the ABI wants {want}")));
                }
            }
            Some(_) => return Err(Diagnostic::new(Code::E409, format!("export `{name}` is not a function; the ABI wants {want}"))),
            None => {
                return Err(Diagnostic::new(Code::E408, format!("the plugin does not export `{name}` {want}"))
                    .help("build it with the dwim SDK (`dwim_sdk::tool!`) or see docs/plugins.md for the ABI"))
            }
        }
    }
    Ok(())
}

fn types(it: impl Iterator<Item = ValType>) -> String {
    it.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
}

/// Parse and bound what `dwim_describe` declared (E409): see [`Signature::check_declared`].
fn parse_signature(json: &[u8], limits: &Limits) -> Result<Signature, Diagnostic> {
    let mut sig: Signature = serde_json::from_slice(json).map_err(|e| {
        let e = e.to_string();
        Diagnostic::new(Code::E409, format!("`dwim_describe` returned an invalid signature: {}", crate::tools::signature::clip(&e, 300)))
    })?;
    sig.check_declared(limits)?;
    sig.kind = ToolKind::Wasm;
    Ok(sig)
}

impl WasmTool {
    /// Load a `.wasm` (or `.wat`) plugin and its manifest under the default [`Limits`]; see
    /// [`WasmTool::load_within`].
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<WasmTool, Diagnostic> {
        Self::load_within(path, opts, &Limits::default())
    }

    /// Load a plugin, bounded by `limits`: the file must be a regular file (else E502; E501 when
    /// unreadable) of at most `max_plugin_bytes`, within the module caps of `load.rs`, and compile
    /// within `plugin_compile` (else E410); its declared types are nested at most `max_depth`.
    /// Other failures are E408 (missing export), E409 (wrong export type or signature) or E410.
    /// Every message names the file.
    pub fn load_within(path: &Path, opts: &LoadOptions, limits: &Limits) -> Result<WasmTool, Diagnostic> {
        let name = path.display().to_string();
        Self::load_inner(path, opts, limits).map_err(|d| Diagnostic { message: format!("{name}: {}", d.message), ..d })
    }

    fn load_inner(path: &Path, opts: &LoadOptions, limits: &Limits) -> Result<WasmTool, Diagnostic> {
        let bytes = read_bounded(path, limits.max_plugin_bytes as u64, "a plugin")?;
        let manifest = Manifest::for_plugin(path)?;
        Self::from_bytes(path, &bytes, manifest, opts, limits)
    }

    /// Load a plugin from its bytes (e.g. one embedded in the dwim binary) under the default
    /// [`Limits`]; `path` only names it (its stem names the plugin in traps and logs). Errors as
    /// for [`WasmTool::load_within`].
    pub fn load_bytes(path: &Path, bytes: &[u8], manifest: Manifest, opts: &LoadOptions) -> Result<WasmTool, Diagnostic> {
        let name = path.display().to_string();
        Self::from_bytes(path, bytes, manifest, opts, &Limits::default()).map_err(|d| Diagnostic { message: format!("{name}: {}", d.message), ..d })
    }

    pub(crate) fn from_bytes(path: &Path, bytes: &[u8], manifest: Manifest, opts: &LoadOptions, limits: &Limits) -> Result<WasmTool, Diagnostic> {
        let engine = engine()?;
        check_module(bytes, limits)?;
        let module = compile_within(engine, bytes, opts.cache_dir.as_deref(), limits.plugin_compile)?;
        check_exports(&module)?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("plugin");
        let pre = linker(engine, &module, &manifest, stem)?
            .instantiate_pre(&module)
            .map_err(|e| Diagnostic::new(Code::E410, format!("cannot link: {}", first_line(&e))))?;
        let placeholder = Signature::new(stem, vec![], crate::types::Type::Any, "");
        let hash = blake3::hash(bytes).to_hex().to_string();
        let mut tool = WasmTool { sig: placeholder, manifest, path: path.to_path_buf(), hash, pre };
        let json = tool.invoke(None, describe_limits())?;
        tool.sig = parse_signature(&json, limits)?;
        Ok(tool)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Take the parameter vocabularies of `twin` (a signature equal but for them): how the host
    /// gives its own embedded plugins what the SDK cannot declare.
    pub(crate) fn adopt_vocabulary(&mut self, twin: &Signature) {
        for (p, q) in self.sig.params.iter_mut().zip(&twin.params) {
            p.vocab = q.vocab.clone();
        }
    }
    /// BLAKE3 of the module's bytes, hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The limits one call runs under, given the host's.
    pub fn call_limits(&self, host: &Limits) -> CallLimits {
        self.manifest.limits(host, MEMORY_CAP)
    }

    /// Run `dwim_describe` (input `None`) or `dwim_call` in a fresh instance; returns the raw output.
    pub fn invoke(&self, input: Option<&[u8]>, lim: CallLimits) -> Result<Vec<u8>, Diagnostic> {
        self.invoke_metered(input, lim).0
    }

    /// [`WasmTool::invoke`], also returning the fuel the call consumed (whether or not it failed).
    pub fn invoke_metered(&self, input: Option<&[u8]>, lim: CallLimits) -> (Result<Vec<u8>, Diagnostic>, u64) {
        let engine = self.pre.module().engine();
        let mut store = Store::new(engine, HostState::new(lim.memory, self.manifest.random_seed));
        store.limiter(|s| &mut s.limiter);
        if let Err(e) = store.set_fuel(lim.fuel) {
            return (Err(Diagnostic::new(Code::E499, format!("cannot set fuel: {e}"))), 0);
        }
        store.set_epoch_deadline(deadline_ticks(lim.deadline));
        let result = self.invoke_in(&mut store, input, lim);
        let used = lim.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let result = result.map_err(|e| match e {
            Fail::Diag(d) => d,
            Fail::Wasm(e) => call_error(e, &store, lim),
        });
        (result, used)
    }

    fn invoke_in(&self, store: &mut Store<HostState>, input: Option<&[u8]>, lim: CallLimits) -> Result<Vec<u8>, Fail> {
        let instance = self.pre.instantiate(&mut *store)?;
        let memory = instance
            .get_memory(&mut *store, "memory")
            .ok_or_else(|| Fail::Diag(Diagnostic::new(Code::E408, "no `memory` export")))?;
        let packed = match input {
            None => {
                let f: TypedFunc<(), i64> = instance.get_typed_func(&mut *store, "dwim_describe")?;
                f.call(&mut *store, ())?
            }
            Some(input) => {
                let alloc: TypedFunc<i32, i32> = instance.get_typed_func(&mut *store, "dwim_alloc")?;
                let call: TypedFunc<(i32, i32), i64> = instance.get_typed_func(&mut *store, "dwim_call")?;
                let len = i32::try_from(input.len())
                    .map_err(|_| Fail::Diag(Diagnostic::new(Code::E402, "arguments exceed 2 GiB")))?;
                let ptr = alloc.call(&mut *store, len)?;
                let fits = (ptr as u32 as usize).checked_add(input.len()).is_some_and(|end| end <= memory.data_size(&*store));
                if ptr == 0 || !fits {
                    return Err(Fail::Diag(Diagnostic::new(
                        Code::E407,
                        format!("`dwim_alloc({len})` returned {ptr}, which is not a buffer inside the plugin's memory"),
                    )));
                }
                memory.write(&mut *store, ptr as u32 as usize, input).map_err(|e| Fail::Diag(Diagnostic::new(Code::E407, e.to_string())))?;
                call.call(&mut *store, (ptr, len))?
            }
        };
        let (ptr, len) = ((packed as u64 >> 32) as usize, (packed as u64 & 0xffff_ffff) as usize);
        if len > lim.max_output {
            return Err(Fail::Diag(Diagnostic::new(Code::E407, format!("output of {len} bytes exceeds the limit of {} bytes", lim.max_output))
                .help("raise `max_output_bytes` in the plugin manifest, or return less")));
        }
        let data = memory.data(&*store);
        match ptr.checked_add(len).and_then(|end| data.get(ptr..end)) {
            Some(out) => Ok(out.to_vec()),
            None => Err(Fail::Diag(Diagnostic::new(
                Code::E407,
                format!("output pointer {ptr}+{len} is outside the plugin's memory ({} bytes)", data.len()),
            ))),
        }
    }
}

enum Fail {
    Diag(Diagnostic),
    Wasm(wasmtime::Error),
}
impl From<wasmtime::Error> for Fail {
    fn from(e: wasmtime::Error) -> Self {
        Fail::Wasm(e)
    }
}

pub fn first_line(e: &wasmtime::Error) -> String {
    format!("{e:#}").lines().next().unwrap_or("").to_string()
}

impl Tool for WasmTool {
    fn signature(&self) -> &Signature {
        &self.sig
    }

    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let limits = ctx.limits().clone();
        let (out, images) = within_run(ctx, &self.sig.name, self.call_limits(&limits), args, |lim| match encode_args(&args.values) {
            Ok((input, images)) => {
                let (out, fuel) = self.invoke_metered(Some(&input), lim);
                (out.map(|o| (o, images)), fuel)
            }
            Err(d) => (Err(d), 0),
        })?;
        match decode_output(&out, &images, &OutputLimits::from_limits(&limits))? {
            // A message that starts with "E402 " says the input was bad; anything else is E401.
            Output::ToolError(msg) => Err(match msg.strip_prefix("E402 ") {
                Some(rest) => Diagnostic::new(Code::E402, rest.to_string()),
                None => Diagnostic::new(Code::E401, msg),
            }),
            Output::Ok(v) => checked_result(v, &self.sig, args, &limits),
        }
    }
}
