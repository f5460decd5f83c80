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

/// Read and parse a workflow file; parse errors are printed here.
pub fn load_program(path: &Path, limits: &Limits, format: Format) -> Result<(SourceFile, Program), Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", path.display())))?;
    let name = path.display().to_string();
    parse_bytes(&name, &bytes, limits).map_err(|(src, d)| {
        let src = src.unwrap_or_else(|| SourceFile::new(name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        print_diagnostics(&[d], &src, format);
        Failure::Reported(Exit::ProgramError)
    })
}

pub fn print_diagnostics(diags: &[Diagnostic], src: &SourceFile, format: Format) {
    match format {
        Format::Json => println!("{}", diagnostics_json(diags, Some(src))),
        Format::Human => {
            let color = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
            for d in diags {
                eprintln!("{}", d.render_with(Some(src), color));
            }
            eprintln!("{} error{}", diags.len(), if diags.len() == 1 { "" } else { "s" });
        }
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
}

/// The tool registry for a command: the base set (`--tools`) plus every plugin in the `--plugins`
/// directories, or, when none is given, in `$DWIM_PLUGINS` (a `:`-separated list) or `./plugins`
/// if it exists. A plugin that fails to load is reported on stderr and skipped; a base set that
/// cannot be built is an error.
pub fn registry(args: &ToolArgs) -> Result<dwim::Registry, Failure> {
    let mut registry = base_set(args.tools)?;
    let dirs: Vec<std::path::PathBuf> = if !args.plugins.is_empty() {
        args.plugins.clone()
    } else if let Some(list) = std::env::var_os("DWIM_PLUGINS") {
        std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect()
    } else {
        Some(std::path::PathBuf::from("plugins")).filter(|p| p.is_dir()).into_iter().collect()
    };
    add_plugins(&mut registry, &dirs);
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
        Tools::BenchmarkWasm => Err(Failure::BadInput("this dwim was built without the `wasm` feature: `--tools benchmark-wasm` is not available".into())),
    }
}

#[cfg(feature = "wasm")]
fn add_plugins(registry: &mut dwim::Registry, dirs: &[std::path::PathBuf]) {
    use dwim::tools::wasm::{load_dir, LoadOptions};
    let opts = LoadOptions::default();
    for dir in dirs {
        let (tools, problems) = load_dir(dir, &opts);
        for d in problems {
            eprintln!("warning: plugin skipped: {}", d.one_line(None));
        }
        for t in tools {
            registry.add(t);
        }
    }
}

#[cfg(not(feature = "wasm"))]
fn add_plugins(_registry: &mut dwim::Registry, dirs: &[std::path::PathBuf]) {
    if !dirs.is_empty() {
        eprintln!("warning: this dwim was built without the `wasm` feature; plugins are ignored");
    }
}
