//! Tool sets built from plain options: a base set, native model tools, WASM plugins, remote tools.
//! The CLI's tool flags (`--tools`, `--plugins`, `--native`, `--remote`, …) and the Python package
//! both fill a [`ToolSetOptions`] and call [`build`], so a tool set means the same everywhere.

use crate::diag::{Code, Diagnostic};
use crate::tools::{Origin, Overrides, ToolKind};
use crate::{Limits, Registry};
use std::path::PathBuf;

/// The base tool set the other sources are added to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Base {
    /// The built-in tools only.
    #[default]
    Builtin,
    /// Built-in + the benchmark's perception tools (detect, color, shape, read_text, vqa), native.
    Benchmark,
    /// Built-in + the same perception tools as sandboxed WASM plugins (embedded; same signatures).
    BenchmarkWasm,
}

impl Base {
    /// `builtin`, `benchmark` or `benchmark-wasm` (the CLI's `--tools` values).
    pub fn parse(name: &str) -> Option<Base> {
        match name {
            "builtin" => Some(Base::Builtin),
            "benchmark" => Some(Base::Benchmark),
            "benchmark-wasm" | "benchmark_wasm" => Some(Base::BenchmarkWasm),
            _ => None,
        }
    }
}

/// What a tool set is built from; the fields mirror the CLI flags of the same names.
#[derive(Debug, Clone)]
pub struct ToolSetOptions {
    pub base: Base,
    /// Directories whose every `*.wasm` plugin is loaded (nothing is read from the environment
    /// here: the CLI turns `$DWIM_PLUGINS` into this list).
    pub plugins: Vec<PathBuf>,
    /// Plugin directories loaded after `plugins` whose absence is no error (the CLI's `$DWIM_PLUGINS`).
    pub optional_plugins: Vec<PathBuf>,
    /// A models directory to take native model tools from (`--native`).
    pub native: Option<PathBuf>,
    /// Native tools or models to add and require (`--native-tools`); downloads unless offline.
    pub native_tools: Vec<String>,
    /// Do not add the native tools found in the default models directory.
    pub no_default_native: bool,
    /// Names a later source may take from an earlier one (`*` for all); otherwise E506.
    pub overrides: Vec<String>,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// `f32`, `f16` or `bf16`.
    pub dtype: String,
    /// Remote tool manifests: files or server base URLs.
    pub remote: Vec<PathBuf>,
    /// An OpenAI-compatible chat endpoint for `llm_query` (`http://host:port/v1#MODEL`).
    pub llm: Option<String>,
}

impl Default for ToolSetOptions {
    fn default() -> Self {
        ToolSetOptions {
            base: Base::Builtin,
            plugins: Vec::new(),
            optional_plugins: Vec::new(),
            native: None,
            native_tools: Vec::new(),
            no_default_native: false,
            overrides: Vec::new(),
            device: "cpu".into(),
            dtype: "f32".into(),
            remote: Vec::new(),
            llm: None,
        }
    }
}

/// A built tool set and what was skipped on the way (a plugin that did not load: the set is
/// built without it).
pub struct ToolSet {
    pub registry: Registry,
    pub warnings: Vec<String>,
}

/// Build the tool set: the base set, native model tools, every plugin in `opts.plugins`, then
/// remote tools, loading plugins and manifests within `limits`. A plugin directory that does not
/// exist is E505; a plugin that fails to load is a warning and skipped; a name two sources claim
/// is E506 unless `opts.overrides` names it; bad device or precision is E505.
pub fn build(opts: &ToolSetOptions, limits: &Limits) -> Result<ToolSet, Diagnostic> {
    check_device(opts)?;
    for dir in &opts.plugins {
        if !dir.is_dir() {
            let why = if dir.exists() { "is not a directory" } else { "does not exist" };
            return Err(Diagnostic::new(Code::E505, format!("--plugins {}: {why}", dir.display())));
        }
    }
    let overrides = Overrides::new(opts.overrides.iter().cloned());
    let mut registry = base_set(opts.base)?;
    let mut warnings = Vec::new();
    add_native(&mut registry, opts, &overrides)?;
    let dirs: Vec<PathBuf> = opts.plugins.iter().chain(&opts.optional_plugins).cloned().collect();
    add_plugins(&mut registry, &dirs, limits, &overrides, &mut warnings)?;
    add_remote(&mut registry, &opts.remote, opts.llm.as_deref(), limits, &overrides)?;
    Ok(ToolSet { registry, warnings })
}

fn base_set(base: Base) -> Result<Registry, Diagnostic> {
    match base {
        Base::Builtin => Ok(Registry::builtin()),
        Base::Benchmark => Ok(crate::tools::bench::benchmark()),
        #[cfg(feature = "wasm")]
        Base::BenchmarkWasm => crate::tools::bench::wasm::benchmark_wasm(&crate::tools::wasm::LoadOptions::default()),
        #[cfg(not(feature = "wasm"))]
        Base::BenchmarkWasm => Err(Diagnostic::new(Code::E505, "this dwim was built without the `wasm` feature: `--tools benchmark-wasm` is not available")),
    }
}

#[cfg(feature = "wasm")]
fn add_plugins(registry: &mut Registry, dirs: &[PathBuf], limits: &Limits, overrides: &Overrides, warnings: &mut Vec<String>) -> Result<(), Diagnostic> {
    use crate::tools::wasm::{load_plugins_within, LoadOptions};
    let opts = LoadOptions::default();
    for dir in dirs {
        let (plugins, problems) = load_plugins_within(dir, &opts, limits);
        warnings.extend(problems.iter().map(|d| format!("plugin skipped: {}", d.one_line(None))));
        for p in plugins {
            let origin = Origin::new(p.kind(), p.path().display().to_string()).with_hash(p.hash());
            registry.add_from(p.tool(), origin, overrides)?;
        }
    }
    Ok(())
}

#[cfg(not(feature = "wasm"))]
fn add_plugins(_registry: &mut Registry, dirs: &[PathBuf], _limits: &Limits, _overrides: &Overrides, warnings: &mut Vec<String>) -> Result<(), Diagnostic> {
    if !dirs.is_empty() {
        warnings.push("this dwim was built without the `wasm` feature; plugins are ignored".into());
    }
    Ok(())
}

/// Every tool the remote manifests declare, then `llm_query` when `llm` is given.
fn add_remote(registry: &mut Registry, sources: &[PathBuf], llm: Option<&str>, limits: &Limits, overrides: &Overrides) -> Result<(), Diagnostic> {
    for source in sources {
        for t in crate::tools::remote::load_source(source, limits)? {
            registry.add_from(t, Origin::new(ToolKind::Remote, source.display().to_string()), overrides)?;
        }
    }
    if let Some(spec) = llm {
        let tool = std::sync::Arc::new(crate::tools::remote::LlmQuery::new(spec)?);
        registry.add_from(tool, Origin::new(ToolKind::Remote, spec.to_string()), overrides)?;
    }
    if !sources.is_empty() || llm.is_some() {
        registry.set_name = format!("{}+remote", registry.set_name);
    }
    Ok(())
}

/// `--device` and `--dtype` are checked whether or not a native tool loads (E505): a device this
/// build cannot use is refused at once, never a silent run on the CPU.
fn check_device(opts: &ToolSetOptions) -> Result<(), Diagnostic> {
    #[cfg(feature = "native")]
    {
        let (device, _) = device_and_precision(opts)?;
        if matches!(device, crate::tools::native::DeviceChoice::Cuda(_)) && !cfg!(feature = "cuda") {
            return Err(Diagnostic::new(Code::E505, format!("--device {}: this dwim was built without CUDA", opts.device))
                .help("build with `cargo build --release --features cuda`, or use --device cpu"));
        }
    }
    #[cfg(not(feature = "native"))]
    if opts.device != "cpu" {
        return Err(Diagnostic::new(Code::E505, format!("--device {}: this dwim was built without native models (feature `native`)", opts.device)));
    }
    Ok(())
}

/// `device` and `dtype`, validated (E505).
#[cfg(feature = "native")]
fn device_and_precision(opts: &ToolSetOptions) -> Result<(crate::tools::native::DeviceChoice, crate::tools::native::Precision), Diagnostic> {
    use crate::tools::native::{DeviceChoice, Precision};
    let device = DeviceChoice::parse(&opts.device).ok_or_else(|| Diagnostic::new(Code::E505, format!("--device {}: expected cpu, cuda or cuda:N", opts.device)))?;
    let precision = Precision::parse(&opts.dtype).ok_or_else(|| Diagnostic::new(Code::E505, format!("--dtype {}: expected f32, f16 or bf16", opts.dtype)))?;
    if device == DeviceChoice::Cpu && precision == Precision::Bf16 {
        return Err(Diagnostic::new(Code::E505, "--dtype bf16: candle has no bf16 matrix multiply on CPU; use f32 or f16, or --device cuda"));
    }
    Ok((device, precision))
}

/// The native model configuration the options ask for, or `None` when no native tool is wanted.
#[cfg(feature = "native")]
pub fn native_config(opts: &ToolSetOptions) -> Result<Option<crate::tools::native::NativeConfig>, Diagnostic> {
    use crate::tools::native::NativeConfig;
    if opts.native.is_none() && opts.native_tools.is_empty() {
        return Ok(None);
    }
    let (device, precision) = device_and_precision(opts)?;
    let mut cfg = NativeConfig { device, precision, ..NativeConfig::default() };
    if let Some(dir) = &opts.native {
        if !dir.is_dir() {
            return Err(Diagnostic::new(Code::E505, format!("--native {}: not a directory", dir.display())));
        }
        cfg.models_dir = dir.clone();
    }
    if opts.native_tools.is_empty() {
        cfg.download = false;
    }
    Ok(Some(cfg))
}

/// The default models directory (`$DWIM_MODELS`, else ~/.cache/dwim/models), offline, on the
/// options' device and precision.
#[cfg(feature = "native")]
pub fn default_native_config(opts: &ToolSetOptions) -> Result<crate::tools::native::NativeConfig, Diagnostic> {
    let (device, precision) = device_and_precision(opts)?;
    Ok(crate::tools::native::NativeConfig { device, precision, ..Default::default() }.offline())
}

#[cfg(feature = "native")]
fn add_native(registry: &mut Registry, opts: &ToolSetOptions, overrides: &Overrides) -> Result<(), Diagnostic> {
    let (cfg, tools) = match native_config(opts)? {
        Some(cfg) => {
            let tools = crate::tools::native::native_tools_for(&cfg, &opts.native_tools)?;
            (cfg, tools)
        }
        None if opts.no_default_native => return Ok(()),
        None => {
            // The default models directory: what is there is added, what is missing is not an error.
            let cfg = default_native_config(opts)?;
            let found: Vec<&str> = crate::tools::native::available_models(&cfg).into_iter().filter(|(_, r)| r.is_ok()).flat_map(|(m, _)| m.tools.iter().copied()).collect();
            let tools = crate::tools::native::native_tools(&cfg).into_iter().filter(|t| found.contains(&t.signature().name.as_str())).collect::<Vec<_>>();
            let mut kept = Vec::new();
            for t in tools {
                let name = t.signature().name.clone();
                match registry.origin(&name) {
                    Some(o) if !overrides.allows(&name) => registry.skipped.push((name, format!("the name is taken by {}", o.describe()))),
                    _ => kept.push(t),
                }
            }
            (cfg, kept)
        }
    };
    if !tools.is_empty() {
        registry.set_name = format!("{}+native", registry.set_name);
    }
    for t in tools {
        let origin = Origin::new(ToolKind::Native, cfg.models_dir.display().to_string());
        registry.add_from(t, origin, overrides)?;
    }
    Ok(())
}

#[cfg(not(feature = "native"))]
fn add_native(_registry: &mut Registry, opts: &ToolSetOptions, _overrides: &Overrides) -> Result<(), Diagnostic> {
    if opts.native.is_some() || !opts.native_tools.is_empty() {
        return Err(Diagnostic::new(Code::E505, "this dwim was built without the `native` feature: `--native` is not available"));
    }
    Ok(())
}
