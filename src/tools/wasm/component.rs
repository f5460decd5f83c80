//! A plugin that is a WebAssembly component of the `dwim:tool@0.1.0` world (`tools-wasm/wit`),
//! beside the core-module ABI of `plugin.rs`. The same sandbox: the engine, fuel, epoch deadline,
//! memory limiter, compile cache, loading caps and E4xx codes as core plugins; a fresh `Store` and
//! instance per call. A component gets no imports at all (no WASI): one that imports anything is
//! refused at load (E410, naming the import).

use super::abi::OutputLimits;
use super::call::{checked_result, within_run};
use super::component_values::{byte_size, decode, default_json, encode_args, type_of};
use super::engine::{deadline_ticks, engine, MEMORY_CAP};
use super::errors::call_error;
use super::imports::HostState;
use super::load::{check_component, compile_component_within};
use super::manifest::{CallLimits, Manifest};
use super::plugin::{first_line, LoadOptions};
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::tools::{Args, Param, Signature, Tool, ToolCtx, ToolKind};
use crate::value::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::{types::ComponentItem, Component, Linker};
use wasmtime::{Engine, Store};

mod bindings {
    wasmtime::component::bindgen!({ path: "tools-wasm/wit", world: "tool" });
}

/// The world's types, as the host sees them.
pub use bindings::exports::dwim::tool::plugin as wit;

/// The interface a component must export: the world's version is part of its name.
pub const EXPORT: &str = "dwim:tool/plugin@0.1.0";

pub struct ComponentTool {
    sig: Signature,
    manifest: Manifest,
    path: PathBuf,
    /// BLAKE3 of the component's bytes, hex.
    hash: String,
    pre: bindings::ToolPre<HostState>,
}

/// Limits for `describe`, run once at load time (as for core plugins).
fn describe_limits() -> CallLimits {
    CallLimits { fuel: 100_000_000, deadline: Duration::from_secs(2), memory: 64 << 20, max_output: 1 << 20 }
}

/// E410 for the first import (dwim provides none); E408 / E409 when the versioned export is
/// missing or is another version.
fn check_shape(engine: &Engine, component: &Component) -> Result<(), Diagnostic> {
    let ty = component.component_type();
    if let Some((name, _)) = ty.imports(engine).next() {
        return Err(Diagnostic::new(Code::E410, format!("the component imports `{name}`, which dwim does not provide"))
            .help("a dwim component imports nothing (no WASI): build it with tools-wasm/components/sdk, which is no_std"));
    }
    let exports: Vec<(String, bool)> = ty.exports(engine).map(|(n, item)| (n.to_string(), matches!(item.ty, ComponentItem::ComponentInstance(_)))).collect();
    if exports.iter().any(|(n, inst)| n == EXPORT && *inst) {
        return Ok(());
    }
    if let Some((other, _)) = exports.iter().find(|(n, _)| n.starts_with("dwim:tool/plugin")) {
        return Err(Diagnostic::new(Code::E409, format!("the component exports `{other}`; this dwim speaks `{EXPORT}`"))
            .help("rebuild the plugin against the WIT world in tools-wasm/wit of this dwim"));
    }
    let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).take(8).collect();
    Err(Diagnostic::new(Code::E408, format!("the component does not export `{EXPORT}` (it exports: {})", if names.is_empty() { "nothing".into() } else { names.join(", ") }))
        .help("build it with the dwim component SDK (`dwim_component_sdk::tool!`), see docs/plugins.md"))
}

/// What `describe` returned, as dwim's `Signature`, bounded as a core plugin's is (E409).
fn signature(s: wit::Signature, limits: &Limits) -> Result<Signature, Diagnostic> {
    let lim = OutputLimits::from_limits(limits);
    let params = s
        .params
        .into_iter()
        .map(|p| {
            Ok(Param {
                name: p.name,
                ty: type_of(&p.type_),
                default: p.default.map(|d| default_json(d, &lim)).transpose()?,
                doc: p.doc,
                returns: vec![],
                one_of: vec![],
                vocab: p.vocabulary.unwrap_or_default(),
                member_of: None,
            })
        })
        .collect::<Result<Vec<_>, Diagnostic>>()?;
    let mut sig = Signature::new(&s.name, params, type_of(&s.result), &s.doc);
    sig.check_declared(limits)?;
    sig.kind = ToolKind::WasmComponent;
    Ok(sig)
}

impl ComponentTool {
    /// Load a component from its bytes (already read, bounded, from `path`), under `limits`:
    /// the loading caps of `load.rs` over every module inside it (E410), a compile within
    /// `plugin_compile` (E410), no imports (E410), the versioned export (E408 / E409), and a
    /// signature `describe` declares within the bounds of [`Signature::check_declared`] (E409).
    pub fn from_bytes(path: &Path, bytes: &[u8], manifest: Manifest, opts: &LoadOptions, limits: &Limits) -> Result<ComponentTool, Diagnostic> {
        let engine = engine()?;
        check_component(bytes, limits)?;
        let component = compile_component_within(engine, bytes, opts.cache_dir.as_deref(), limits.plugin_compile)?;
        check_shape(engine, &component)?;
        let linker: Linker<HostState> = Linker::new(engine);
        let link = |e: wasmtime::Error| Diagnostic::new(Code::E409, format!("the component does not fit the world: {}", first_line(&e)));
        let pre = bindings::ToolPre::new(linker.instantiate_pre(&component).map_err(|e| Diagnostic::new(Code::E410, format!("cannot link: {}", first_line(&e))))?).map_err(link)?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("plugin");
        let placeholder = Signature::new(stem, vec![], crate::types::Type::Any, "");
        let hash = blake3::hash(bytes).to_hex().to_string();
        let mut tool = ComponentTool { sig: placeholder, manifest, path: path.to_path_buf(), hash, pre };
        let described = tool.run(describe_limits(), |t, store| t.dwim_tool_plugin().call_describe(store)).0?;
        tool.sig = signature(described, limits)?;
        Ok(tool)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    /// BLAKE3 of the component's bytes, hex.
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

    /// Run `f` on a fresh instance in a fresh store under `lim`; also the fuel it consumed.
    fn run<R>(&self, lim: CallLimits, f: impl FnOnce(&bindings::Tool, &mut Store<HostState>) -> wasmtime::Result<R>) -> (Result<R, Diagnostic>, u64) {
        let mut store = Store::new(self.pre.engine(), HostState::new(lim.memory, self.manifest.random_seed));
        store.limiter(|s| &mut s.limiter);
        if let Err(e) = store.set_fuel(lim.fuel) {
            return (Err(Diagnostic::new(Code::E499, format!("cannot set fuel: {e}"))), 0);
        }
        store.set_epoch_deadline(deadline_ticks(lim.deadline));
        let result = self.pre.instantiate(&mut store).and_then(|t| f(&t, &mut store));
        let used = lim.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        (result.map_err(|e| call_error(e, &store, lim)), used)
    }

    /// Call the tool on `args` (in parameter order) under `lim`: the raw answer, and the fuel used.
    pub fn invoke_metered(&self, args: &wit::Values, lim: CallLimits) -> (Result<Result<wit::Values, wit::ToolError>, Diagnostic>, u64) {
        self.run(lim, |t, store| t.dwim_tool_plugin().call_call(store, args))
    }
}

impl Tool for ComponentTool {
    fn signature(&self) -> &Signature {
        &self.sig
    }

    fn call(&self, args: &Args, ctx: &mut ToolCtx<'_>) -> Result<Value, Diagnostic> {
        let limits = ctx.limits().clone();
        let lim = self.call_limits(&limits);
        let (out, images) = within_run(ctx, &self.sig.name, lim, args, |lim| match encode_args(&args.values) {
            Ok((input, images)) => {
                let (out, fuel) = self.invoke_metered(&input, lim);
                (out.map(|o| (o, images)), fuel)
            }
            Err(d) => (Err(d), 0),
        })?;
        let values = match out {
            Err(e) => {
                let code = match e.code {
                    wit::ErrorCode::InvalidInput => Code::E402,
                    wit::ErrorCode::Failed => Code::E401,
                };
                return Err(Diagnostic::new(code, crate::tools::signature::clip(&e.message, 4096).to_string()));
            }
            Ok(v) => v,
        };
        let bytes = byte_size(&values);
        if bytes > lim.max_output {
            return Err(Diagnostic::new(Code::E407, format!("output of {bytes} bytes exceeds the limit of {} bytes", lim.max_output))
                .help("raise `max_output_bytes` in the plugin manifest, or return less"));
        }
        if values.roots.len() != 1 {
            return Err(Diagnostic::new(Code::E407, format!("the component returned {} values; a call returns exactly one", values.roots.len())));
        }
        let v = decode(values, &images, &OutputLimits::from_limits(&limits))?.remove(0);
        checked_result(v, &self.sig, args, &limits)
    }
}
