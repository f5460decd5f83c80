//! Shared CLI plumbing: exit codes, loading programs, printing diagnostics.

use super::Format;
use dwim::diag::{diagnostics_json, Diagnostic};
use dwim::syntax::{parse_bytes, Program, SourceFile};
use dwim::Limits;
use std::path::Path;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    ProgramError = 1,
    BadInput = 2,
}

/// A failure already reported on stderr/stdout, or a bad-usage message still to print.
pub enum Failure {
    Reported(Exit),
    BadInput(String),
}

pub fn bad_input(d: &Diagnostic) -> Failure {
    Failure::BadInput(d.one_line(None))
}

/// A bad-usage failure with its code (E505 for a flag value, E503 for an output).
pub fn coded(code: dwim::Code, msg: impl Into<String>) -> Failure {
    bad_input(&Diagnostic::new(code, msg))
}

/// Read (through [`dwim::io`]: regular files only, at most `max_source_bytes`, E307 beyond) and
/// parse a workflow file; parse errors are printed here.
pub fn load_program(path: &Path, limits: &Limits, format: Format) -> Result<(SourceFile, Program), Failure> {
    let bytes = dwim::io::read_bytes(path, limits.max_source_bytes as u64).map_err(|d| {
        let d = if d.code == dwim::Code::E311 { Diagnostic { code: dwim::Code::E307, ..d } } else { d };
        bad_input(&d)
    })?;
    let name = path.display().to_string();
    parse_bytes(&name, &bytes, limits).map_err(|(src, d)| {
        let src = src.unwrap_or_else(|| SourceFile::new(name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        print_diagnostics(&[d], &src, format);
        Failure::Reported(Exit::ProgramError)
    })
}

/// Print diagnostics, at most `Limits::max_diagnostics` of them, then "… and N more" for the rest
/// (counted by the checker or cut here) and the total.
pub fn print_diagnostics<R: dwim::diag::Reported + ?Sized>(diags: &R, src: &SourceFile, format: Format) {
    match format {
        Format::Json => println!("{}", diagnostics_json(diags, Some(src))),
        Format::Human => {
            let (shown, more) = diags.capped(dwim::Limits::default().max_diagnostics);
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
            for d in shown {
                eprintln!("{}", d.render_with(Some(src), color));
            }
            if more > 0 {
                eprintln!("… and {more} more error{} not shown", if more == 1 { "" } else { "s" });
            }
            let total = shown.len() + more;
            eprintln!("{total} error{}", if total == 1 { "" } else { "s" });
        }
    }
}

/// E505 for an output path that cannot be one: an existing directory or special file, or one
/// whose parent is a file. Checked before any work so a bad path fails at once.
pub fn check_output_path(flag: &str, path: &Path) -> Result<(), Failure> {
    let bad = |why: &str| bad_input(&Diagnostic::new(dwim::Code::E505, format!("{flag} {}: {why}", path.display())));
    if path.as_os_str().is_empty() {
        return Err(bad("empty path"));
    }
    if let Ok(m) = std::fs::metadata(path) {
        if m.is_dir() {
            return Err(bad("is a directory; give a file name"));
        }
    }
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(m) = std::fs::metadata(d) {
            if !m.is_dir() {
                return Err(bad(&format!("{} is not a directory", d.display())));
            }
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Write a whole file and make sure it reached the OS (a full disk or `/dev/full` is an error
/// here, not silently lost data).
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.flush()?;
    f.sync_data().or_else(|e| if e.kind() == std::io::ErrorKind::InvalidInput || e.raw_os_error() == Some(22) { Ok(()) } else { Err(e) })
}

/// E505 for an output directory that exists as something else.
pub fn check_output_dir(flag: &str, path: &Path) -> Result<(), Failure> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => Err(bad_input(&Diagnostic::new(dwim::Code::E505, format!("{flag} {}: exists and is not a directory", path.display())))),
        _ if path.as_os_str().is_empty() => Err(bad_input(&Diagnostic::new(dwim::Code::E505, format!("{flag}: empty path")))),
        _ => Ok(()),
    }
}

/// The base tool set of `dwim check`, `dwim run` and `dwim tools`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Tools {
    /// The built-in tools only.
    #[default]
    Builtin,
    /// Built-in + the benchmark's perception tools (detect, color, shape, read_text, vqa), native.
    Benchmark,
    /// Built-in + the same perception tools as sandboxed WASM plugins (embedded; same signatures).
    BenchmarkWasm,
}

/// The tool-set flags shared by `check`, `run` and `tools`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ToolArgs {
    /// The base tool set; plugins from `--plugins` are added on top (a plugin replaces a tool of the same name).
    #[arg(long = "tools", value_enum, default_value_t)]
    pub tools: Tools,
    /// Load every plugin (`*.wasm`) in this directory (repeatable). Default: `$DWIM_PLUGINS`, else ./plugins.
    #[arg(long = "plugins", value_name = "DIR")]
    pub plugins: Vec<std::path::PathBuf>,
    /// Add the native model tools whose weights are in this models directory (one folder per model:
    /// all-MiniLM-L6-v2, easyocr, clip, depth-anything-v2, paligemma) or in the Hugging Face cache.
    /// Nothing is downloaded; a model folder that lacks a file is an error naming it.
    #[arg(long = "native", value_name = "DIR")]
    pub native: Option<std::path::PathBuf>,
    /// Native tools or models to add and require (comma-separated: `depth,vqa`, `paligemma`); missing
    /// weights are an error naming the file. Downloads through hf-hub unless HF_HUB_OFFLINE/DWIM_OFFLINE
    /// is set. Models directory: `--native`, else $DWIM_MODELS, else ~/.cache/dwim/models.
    #[arg(long = "native-tools", value_name = "LIST", value_delimiter = ',')]
    pub native_tools: Vec<String>,
    /// Device for native models: cpu, cuda, cuda:N (CUDA needs a build with `--features cuda`).
    #[arg(long = "device", value_name = "DEVICE", default_value = "cpu")]
    pub device: String,
    /// Precision of native models: f32, f16, bf16.
    #[arg(long = "dtype", value_name = "DTYPE", default_value = "f32")]
    pub dtype: String,
    /// Add the tools a remote tool server declares (repeatable): a manifest file, or the server's
    /// base URL (`http://host:port`, its `GET /manifest`). See docs/remote-tools.md.
    #[arg(long = "remote", value_name = "FILE|URL")]
    pub remote: Vec<std::path::PathBuf>,
    /// Add `llm_query(prompt) -> text`, answered by this OpenAI-compatible chat endpoint
    /// (`http://host:port/v1#MODEL`) and cached by prompt.
    #[arg(long = "llm", value_name = "URL[#MODEL]")]
    pub llm: Option<String>,
}

/// The tool registry for a command: the base set (`--tools`) plus every plugin in the `--plugins`
/// directories, or, when none is given, in `$DWIM_PLUGINS` (a `:`-separated list) or `./plugins`
/// if it exists. A `--plugins` directory that does not exist is E505; a plugin that fails to load
/// is reported on stderr and skipped; a base set that cannot be built is an error.
pub fn registry(args: &ToolArgs) -> Result<dwim::Registry, Failure> {
    registry_within(args, &Limits::default())
}

/// [`registry`], loading plugins within `limits` (size, compile time, declared-type depth).
pub fn registry_within(args: &ToolArgs, limits: &Limits) -> Result<dwim::Registry, Failure> {
    for dir in &args.plugins {
        if !dir.is_dir() {
            let why = if dir.exists() { "is not a directory" } else { "does not exist" };
            return Err(bad_input(&Diagnostic::new(dwim::Code::E505, format!("--plugins {}: {why}", dir.display()))));
        }
    }
    let mut registry = base_set(args.tools)?;
    add_native(&mut registry, args)?;
    let dirs: Vec<std::path::PathBuf> = if !args.plugins.is_empty() {
        args.plugins.clone()
    } else if let Some(list) = std::env::var_os("DWIM_PLUGINS") {
        std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect()
    } else {
        Some(std::path::PathBuf::from("plugins")).filter(|p| p.is_dir()).into_iter().collect()
    };
    add_plugins(&mut registry, &dirs, limits);
    super::remote::add_remote(&mut registry, &args.remote, args.llm.as_deref(), limits)?;
    Ok(registry)
}

fn base_set(tools: Tools) -> Result<dwim::Registry, Failure> {
    match tools {
        Tools::Builtin => Ok(dwim::Registry::builtin()),
        Tools::Benchmark => Ok(dwim::tools::bench::benchmark()),
        #[cfg(feature = "wasm")]
        Tools::BenchmarkWasm => {
            let opts = dwim::tools::wasm::LoadOptions::default();
            dwim::tools::bench::wasm::benchmark_wasm(&opts).map_err(|d| bad_input(&d))
        }
        #[cfg(not(feature = "wasm"))]
        Tools::BenchmarkWasm => Err(coded(dwim::Code::E505, "this dwim was built without the `wasm` feature: `--tools benchmark-wasm` is not available")),
    }
}

#[cfg(feature = "wasm")]
fn add_plugins(registry: &mut dwim::Registry, dirs: &[std::path::PathBuf], limits: &Limits) {
    use dwim::tools::wasm::{load_dir_within, LoadOptions};
    let opts = LoadOptions::default();
    for dir in dirs {
        let (tools, problems) = load_dir_within(dir, &opts, limits);
        for d in problems {
            eprintln!("warning: plugin skipped: {}", d.one_line(None));
        }
        for t in tools {
            registry.add(t);
        }
    }
}

#[cfg(not(feature = "wasm"))]
fn add_plugins(_registry: &mut dwim::Registry, dirs: &[std::path::PathBuf], _limits: &Limits) {
    if !dirs.is_empty() {
        eprintln!("warning: this dwim was built without the `wasm` feature; plugins are ignored");
    }
}

/// The native model configuration the flags ask for, or `None` when no native tool is wanted.
#[cfg(feature = "native")]
pub fn native_config(args: &ToolArgs) -> Result<Option<dwim::tools::native::NativeConfig>, Failure> {
    use dwim::tools::native::{DeviceChoice, NativeConfig, Precision};
    if args.native.is_none() && args.native_tools.is_empty() {
        return Ok(None);
    }
    let device = DeviceChoice::parse(&args.device)
        .ok_or_else(|| coded(dwim::Code::E505, format!("--device {}: expected cpu, cuda or cuda:N", args.device)))?;
    let precision = Precision::parse(&args.dtype)
        .ok_or_else(|| coded(dwim::Code::E505, format!("--dtype {}: expected f32, f16 or bf16", args.dtype)))?;
    let mut cfg = NativeConfig { device, precision, ..NativeConfig::default() };
    if cfg.device == DeviceChoice::Cpu && cfg.precision == Precision::Bf16 {
        return Err(coded(dwim::Code::E505, "--dtype bf16: candle has no bf16 matrix multiply on CPU; use f32 or f16, or --device cuda"));
    }
    if let Some(dir) = &args.native {
        if !dir.is_dir() {
            return Err(coded(dwim::Code::E505, format!("--native {}: not a directory", dir.display())));
        }
        cfg.models_dir = dir.clone();
    }
    if args.native_tools.is_empty() {
        cfg.download = false;
    }
    Ok(Some(cfg))
}

#[cfg(feature = "native")]
fn add_native(registry: &mut dwim::Registry, args: &ToolArgs) -> Result<(), Failure> {
    let Some(cfg) = native_config(args)? else { return Ok(()) };
    let tools = dwim::tools::native::native_tools_for(&cfg, &args.native_tools).map_err(|d| {
        let mut msg = d.one_line(None);
        for (what, text) in [("", &d.label), ("help: ", &d.help)] {
            if let Some(t) = text {
                msg.push_str(&format!("\n  {what}{t}"));
            }
        }
        Failure::BadInput(msg)
    })?;
    if !tools.is_empty() {
        registry.set_name = format!("{}+native", registry.set_name);
    }
    for t in tools {
        registry.add(t);
    }
    Ok(())
}

#[cfg(not(feature = "native"))]
fn add_native(_registry: &mut dwim::Registry, args: &ToolArgs) -> Result<(), Failure> {
    if args.native.is_some() || !args.native_tools.is_empty() {
        return Err(coded(dwim::Code::E505, "this dwim was built without the `native` feature: `--native` is not available"));
    }
    Ok(())
}
