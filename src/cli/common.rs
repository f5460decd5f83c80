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

/// After a run whose items (episodes, workflows) an endpoint may have ended with an error: a
/// warning on stderr naming how many and the first error, and exit 2 when every item ended so
/// (the endpoint, not the model, failed: a script must not read that as a score of 0).
pub fn endpoint_failures(failed: usize, total: usize, first: Option<&str>, what: &str) -> Result<(), Failure> {
    if failed == 0 {
        return Ok(());
    }
    let first = first.unwrap_or("");
    if failed >= total {
        eprintln!("dwim: every {what} ({total}) ended by an error of the endpoint; the first: {first}");
        return Err(Failure::Reported(Exit::BadInput));
    }
    eprintln!("dwim: warning: {failed} of {total} {what}s ended by an error of the endpoint, counted as failed; the first: {first}");
    Ok(())
}

/// A bad-input failure: the diagnostic's line, and its help on the next line when it has one.
pub fn bad_input(d: &Diagnostic) -> Failure {
    let mut msg = d.one_line(None);
    if let Some(h) = &d.help {
        msg.push_str(&format!("\n  help: {h}"));
    }
    Failure::BadInput(msg)
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

/// Write a whole file through `dwim::output` (E503 on any failure, devices and FIFOs written in
/// place, never replaced).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    dwim::output::write_bytes(path, bytes).map_err(|d| bad_input(&d))
}

/// E505 for an output directory that exists as something else.
pub fn check_output_dir(flag: &str, path: &Path) -> Result<(), Failure> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_dir() => Err(bad_input(&Diagnostic::new(dwim::Code::E505, format!("{flag} {}: exists and is not a directory", path.display())))),
        _ if path.as_os_str().is_empty() => Err(bad_input(&Diagnostic::new(dwim::Code::E505, format!("{flag}: empty path")))),
        _ => Ok(()),
    }
}

/// `--image` values: one `PATH` (bound to `image`), or any number of `NAME=PATH` (bound to `NAME`,
/// e.g. `left=a.png right=b.png` for a question about two images). E505 for a bad or repeated name.
pub fn named_images(specs: &[String]) -> Result<Vec<(String, std::path::PathBuf)>, Failure> {
    let is_name = |n: &str| !n.is_empty() && n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out: Vec<(String, std::path::PathBuf)> = Vec::new();
    for spec in specs {
        let (name, path) = match spec.split_once('=') {
            Some((n, p)) if is_name(n) => (n.to_string(), p),
            _ if specs.len() == 1 => ("image".to_string(), spec.as_str()),
            _ => return Err(coded(dwim::Code::E505, format!("--image {spec}: with several images, give each as NAME=PATH (e.g. left=a.png)"))),
        };
        const KEYWORDS: [&str; 12] = ["think", "rethink", "answer", "if", "then", "else", "and", "or", "not", "true", "false", "none"];
        if KEYWORDS.contains(&name.as_str()) || out.iter().any(|(n, _)| *n == name) {
            return Err(coded(dwim::Code::E505, format!("--image {spec}: `{name}` is a keyword or already bound")));
        }
        out.push((name, std::path::PathBuf::from(path)));
    }
    Ok(out)
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

/// The tool-set flags shared by every command that runs or checks workflows.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ToolArgs {
    /// The base tool set; native tools, plugins (`--plugins`) and remote tools are added on top.
    #[arg(long = "tools", value_enum, default_value_t)]
    pub tools: Tools,
    /// Load every plugin (`*.wasm`) in this directory (repeatable). Default: the `:`-separated
    /// list in `$DWIM_PLUGINS`; nothing is loaded from the working directory.
    #[arg(long = "plugins", value_name = "DIR")]
    pub plugins: Vec<std::path::PathBuf>,
    /// Native model tools from this models directory (one folder per model: all-MiniLM-L6-v2,
    /// easyocr, clip, depth-anything-v2, paligemma) or the Hugging Face cache. Without this flag
    /// `$DWIM_MODELS`, else ~/.cache/dwim/models (where scripts/fetch-models.sh writes), is
    /// searched and the tools of every model found there are added, except names the set already
    /// has (`dwim tools` lists what was found, skipped or missing). Nothing is downloaded.
    #[arg(long = "native", value_name = "DIR")]
    pub native: Option<std::path::PathBuf>,
    /// Native tools or models to add and require (comma-separated: `depth,vqa`, `paligemma`); missing
    /// weights are an error naming the file. Downloads through hf-hub unless HF_HUB_OFFLINE/DWIM_OFFLINE
    /// is set. Models directory: `--native`, else $DWIM_MODELS, else ~/.cache/dwim/models.
    #[arg(long = "native-tools", value_name = "LIST", value_delimiter = ',')]
    pub native_tools: Vec<String>,
    /// Do not add the native tools found in the default models directory.
    #[arg(long = "no-default-native")]
    pub no_default_native: bool,
    /// Let a native, plugin or remote tool replace a tool of the same name that an earlier source
    /// registered (comma-separated or repeated; `*` for every name). Without it a collision is E506.
    #[arg(long = "override", value_name = "NAME", value_delimiter = ',')]
    pub overrides: Vec<String>,
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

impl ToolArgs {
    /// The library's tool-set options for these flags; with no `--plugins`, the `:`-separated
    /// directories in `$DWIM_PLUGINS`.
    pub fn options(&self) -> dwim::toolset::ToolSetOptions {
        let optional_plugins: Vec<std::path::PathBuf> = match std::env::var_os("DWIM_PLUGINS") {
            Some(list) if self.plugins.is_empty() => std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect(),
            _ => Vec::new(),
        };
        dwim::toolset::ToolSetOptions {
            base: match self.tools {
                Tools::Builtin => dwim::toolset::Base::Builtin,
                Tools::Benchmark => dwim::toolset::Base::Benchmark,
                Tools::BenchmarkWasm => dwim::toolset::Base::BenchmarkWasm,
            },
            plugins: self.plugins.clone(),
            optional_plugins,
            native: self.native.clone(),
            native_tools: self.native_tools.clone(),
            no_default_native: self.no_default_native,
            overrides: self.overrides.clone(),
            device: self.device.clone(),
            dtype: self.dtype.clone(),
            remote: self.remote.clone(),
            llm: self.llm.clone(),
        }
    }
}

/// A tool-set failure: the diagnostic's line, then its label and help (native weights name the
/// missing file there).
fn toolset_failure(d: &Diagnostic) -> Failure {
    let mut msg = d.one_line(None);
    for (what, text) in [("", &d.label), ("help: ", &d.help)] {
        if let Some(t) = text {
            msg.push_str(&format!("\n  {what}{t}"));
        }
    }
    Failure::BadInput(msg)
}

/// The tool registry for a command ([`dwim::toolset::build`]): the base set (`--tools`), native
/// model tools, then every plugin in the `--plugins` directories (or `$DWIM_PLUGINS`), then remote
/// tools. A `--plugins` directory that does not exist is E505; a plugin that fails to load is
/// reported on stderr and skipped; a name two sources claim is E506 unless `--override` names it;
/// a base set that cannot be built is an error.
pub fn registry(args: &ToolArgs) -> Result<dwim::Registry, Failure> {
    registry_within(args, &Limits::default())
}

/// [`registry`], loading plugins within `limits` (size, compile time, declared-type depth).
pub fn registry_within(args: &ToolArgs, limits: &Limits) -> Result<dwim::Registry, Failure> {
    let set = dwim::toolset::build(&args.options(), limits).map_err(|d| toolset_failure(&d))?;
    for w in &set.warnings {
        eprintln!("warning: {w}");
    }
    Ok(set.registry)
}

/// The native model configuration the flags ask for, or `None` when no native tool is wanted.
#[cfg(feature = "native")]
pub fn native_config(args: &ToolArgs) -> Result<Option<dwim::tools::native::NativeConfig>, Failure> {
    dwim::toolset::native_config(&args.options()).map_err(|d| bad_input(&d))
}

/// The default models directory (`$DWIM_MODELS`, else ~/.cache/dwim/models), offline, on the
/// flags' device and precision.
#[cfg(feature = "native")]
pub fn default_native_config(args: &ToolArgs) -> Result<dwim::tools::native::NativeConfig, Failure> {
    dwim::toolset::default_native_config(&args.options()).map_err(|d| bad_input(&d))
}
