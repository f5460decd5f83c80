//! `dwim._dwim`: the extension module under the Python package. It converts Python values to
//! dwim's, releases the GIL while parsing, checking, tools and steps run, and hands session replies
//! back as the objects `json.loads` gives for the JSON `dwim session` prints (the Python layer, `python/dwim/__init__.py`, makes objects of
//! it). Every behaviour is the library's ([`dwim::conversation`], [`dwim::toolset`]).

use dwim::check::{check_program_capped, input_scope_for};
use dwim::diag::diagnostics_json;
use dwim::syntax::{parse_program, SourceFile};
use dwim::toolset::{Base, ToolSetOptions};
use dwim::conversation::Conversation;
use dwim::value::Image;
use dwim::{Code, Diagnostic, Limits, Registry, Session, Value};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::json;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pyo3::create_exception!(_dwim, DwimError, PyException, "A request dwim refused (bad tool options, an unreadable image, a bad input name): `.code` (e.g. \"E505\"), `.message`, `.help`, `.diagnostic` (its JSON).");

/// The exception for a diagnostic, its fields as attributes.
fn error(d: &Diagnostic) -> PyErr {
    Python::with_gil(|py| {
        let err = DwimError::new_err(d.one_line(None));
        let v = err.value(py);
        let _ = v.setattr("code", d.code.to_string());
        let _ = v.setattr("message", d.message.clone());
        let _ = v.setattr("help", d.help.clone());
        let _ = v.setattr("diagnostic", d.to_json(None).to_string());
        err
    })
}

/// The tool-set options and limits preset, one dict from the Python layer (every key present).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct Opts {
    tools: String,
    plugins: Vec<PathBuf>,
    native: Option<PathBuf>,
    native_tools: Vec<String>,
    default_native: bool,
    overrides: Vec<String>,
    device: String,
    dtype: String,
    remote: Vec<PathBuf>,
    llm: Option<String>,
    strict: bool,
}

impl Opts {
    fn limits(&self) -> Limits {
        if self.strict { Limits::strict() } else { Limits::default() }
    }

    fn toolset(&self) -> Result<ToolSetOptions, Diagnostic> {
        let base = Base::parse(&self.tools).ok_or_else(|| Diagnostic::new(Code::E505, format!("tools={:?}: expected builtin, benchmark or benchmark-wasm", self.tools)))?;
        Ok(ToolSetOptions {
            base,
            plugins: self.plugins.clone(),
            optional_plugins: Vec::new(),
            native: self.native.clone(),
            native_tools: self.native_tools.clone(),
            no_default_native: !self.default_native,
            overrides: self.overrides.clone(),
            device: self.device.clone(),
            dtype: self.dtype.clone(),
            remote: self.remote.clone(),
            llm: self.llm.clone(),
        })
    }
}

/// Build the tool set with the GIL released (plugins compile, models load); warnings as text.
///
/// A set made only of a base and the default native models (no plugins, native folder, remote
/// tools or `llm`: nothing the user may be editing) is built once per process and shared by the
/// sessions that ask for it, so a new session does not rebuild it (its fingerprint alone costs
/// hundreds of microseconds) and native models load once.
fn build(py: Python<'_>, opts: &Opts) -> PyResult<(Arc<Registry>, Vec<String>, Limits)> {
    let limits = opts.limits();
    let toolset = opts.toolset().map_err(|d| error(&d))?;
    let shareable = opts.plugins.is_empty() && opts.native.is_none() && opts.remote.is_empty() && opts.llm.is_none();
    let key = format!("{}|{:?}|{}|{:?}|{}|{}|{}", opts.tools, opts.native_tools, opts.default_native, opts.overrides, opts.device, opts.dtype, opts.strict);
    static SHARED: Mutex<Vec<(String, Arc<Registry>, Vec<String>)>> = Mutex::new(Vec::new());
    if shareable {
        if let Some((_, r, w)) = SHARED.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(k, _, _)| *k == key) {
            return Ok((r.clone(), w.clone(), limits));
        }
    }
    let set = py.allow_threads(|| dwim::toolset::build(&toolset, &limits)).map_err(|d| error(&d))?;
    let registry = Arc::new(set.registry);
    if shareable {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if shared.len() < 16 {
            shared.push((key, registry.clone(), set.warnings.clone()));
        }
    }
    Ok((registry, set.warnings, limits))
}

/// An input image from the Python layer: `("path", os.fsencode(path))`, `("bytes", PNG/JPEG)`
/// or `("rgb", pixels, width, height)` (row-major RGB, 3 bytes a pixel).
type Input<'py> = (String, String, Bound<'py, PyBytes>, u32, u32);

fn decode(kind: &str, data: Vec<u8>, width: u32, height: u32, limits: &Limits) -> Result<Image, Diagnostic> {
    match kind {
        "path" => {
            use std::os::unix::ffi::OsStrExt;
            Image::load(std::path::Path::new(std::ffi::OsStr::from_bytes(&data)), limits)
        }
        "bytes" => Image::decode(&data, limits),
        "rgb" => {
            let pixels = width as u64 * height as u64;
            if pixels == 0 {
                return Err(Diagnostic::new(Code::E402, format!("image is {width}x{height}: it has no pixels")));
            }
            if pixels > limits.max_image_pixels {
                return Err(Diagnostic::new(Code::E310, format!("image is {width}x{height} = {pixels} pixels; the limit is {} pixels", limits.max_image_pixels)));
            }
            let len = data.len();
            image::RgbImage::from_raw(width, height, data)
                .filter(|_| len as u64 == pixels * 3)
                .map(Image::from_rgb)
                .ok_or_else(|| Diagnostic::new(Code::E402, format!("{len} bytes are not a {width}x{height} RGB image ({} bytes)", pixels * 3)))
        }
        other => Err(Diagnostic::new(Code::E505, format!("unknown image kind {other:?}"))),
    }
}

/// A name a program can refer to: it parses, alone, as that variable (so no keyword).
fn is_name(n: &str) -> bool {
    use dwim::syntax::{ExprKind, StmtKind};
    let plain = n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain
        && parse_program(&SourceFile::new("<input>", n), &Limits::strict()).is_ok_and(|p| {
            matches!(p.steps.as_slice(), [s] if matches!(&s.kind, StmtKind::Expr { value } if matches!(&value.kind, ExprKind::Var(v) if v == n)))
        })
}

type Conv<'r> = Conversation<'r>;

self_cell::self_cell!(
    /// A registry and the conversation (a session) that borrows it, owned together.
    struct Owned {
        owner: Arc<Registry>,
        #[covariant]
        dependent: Conv,
    }
);

struct State {
    owned: Owned,
    warnings: Vec<String>,
}

impl State {
    /// One request of the conversation: the reply `dwim session` gives.
    fn request(&mut self, req: serde_json::Value) -> serde_json::Value {
        self.owned.with_dependent_mut(|_, c| c.request(&req))
    }
}

/// A JSON value as the Python objects `json.loads` would give for its text (without the text:
/// a step's reply is built once, not printed and parsed again). Replies are bounded by the
/// session's limits; nesting past 256 falls back to the JSON text of that part.
fn to_py<'py>(py: Python<'py>, v: &serde_json::Value, depth: usize) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::types::{PyDict, PyList, PyString};
    use serde_json::Value as J;
    Ok(match v {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => pyo3::types::PyBool::new(py, *b).to_owned().into_any(),
        J::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any(),
            None => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        J::String(t) => PyString::new(py, t).into_any(),
        _ if depth > 256 => PyString::new(py, &v.to_string()).into_any(),
        J::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(to_py(py, x, depth + 1)?)?;
            }
            l.into_any()
        }
        J::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x, depth + 1)?)?;
            }
            d.into_any()
        }
    })
}

/// One conversation: inputs bound, then steps fed one at a time, each run once.
#[pyclass(frozen, module = "dwim._dwim")]
struct NativeSession {
    state: Mutex<State>,
}

impl NativeSession {
    fn with<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut State) -> R + Send) -> R {
        py.allow_threads(|| {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut st)
        })
    }
}

fn tools_json(registry: &Registry, warnings: &[String]) -> serde_json::Value {
    json!({
        "ok": true, "op": "tools", "set": registry.set_name, "fingerprint": registry.fingerprint(),
        "tools": registry.signatures().collect::<Vec<_>>(), "prompt": registry.prompt(),
        "skipped": registry.skipped, "warnings": warnings,
    })
}

#[pymethods]
impl NativeSession {
    #[new]
    fn new(py: Python<'_>, inputs: Vec<Input<'_>>, opts: Opts) -> PyResult<Self> {
        let mut images = Vec::new();
        for (name, kind, data, w, h) in inputs {
            if !is_name(&name) {
                return Err(error(&Diagnostic::new(Code::E505, format!("input name {name:?}: give a name like `image` or `left` (not a keyword)"))));
            }
            images.push((name, kind, data.as_bytes().to_vec(), w, h));
        }
        let (registry, warnings, limits) = build(py, &opts)?;
        let decoded = py.allow_threads(|| images.into_iter().map(|(n, k, d, w, h)| decode(&k, d, w, h, &limits).map(|i| (n, i))).collect::<Result<Vec<_>, _>>()).map_err(|d| error(&d))?;
        let owned = Owned::new(registry, |r| {
            let mut s = Session::new(r, limits.clone()).keep_records();
            for (name, img) in decoded {
                s.bind(&name, Value::Image(img));
            }
            Conversation::new(s, r)
        });
        Ok(NativeSession { state: Mutex::new(State { owned, warnings }) })
    }

    /// Feed one step (or several lines); the `dwim session` step reply as JSON.
    fn step<'py>(&self, py: Python<'py>, text: String) -> PyResult<Bound<'py, PyAny>> {
        let reply = self.with(py, |st| st.request(json!({"op": "step", "text": text})));
        to_py(py, &reply, 0)
    }

    /// Would `text` be accepted as the next step? Runs nothing; the `check` reply as JSON.
    fn check<'py>(&self, py: Python<'py>, text: String) -> PyResult<Bound<'py, PyAny>> {
        let reply = self.with(py, |st| st.request(json!({"op": "check", "text": text})));
        to_py(py, &reply, 0)
    }

    /// The answer as JSON, or `None` before one was given.
    fn answer(&self, py: Python<'_>) -> Option<String> {
        self.with(py, |st| {
            let s = st.owned.borrow_dependent().session();
            s.answer().map(|v| v.to_json_bounded(s.limits().trace_value_nodes).to_string())
        })
    }

    /// Every `dwim.trace/1` record so far, as the `trace` reply (JSON).
    fn trace<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let reply = self.with(py, |st| st.request(json!({"op": "trace"})));
        to_py(py, &reply, 0)
    }

    /// The session's tool set: signatures and prompt text (JSON).
    fn tools(&self, py: Python<'_>) -> String {
        self.with(py, |st| tools_json(st.owned.borrow_owner(), &st.warnings).to_string())
    }

    /// Steps run so far.
    fn steps_run(&self, py: Python<'_>) -> usize {
        self.with(py, |st| st.owned.borrow_dependent().session().steps_run())
    }
}

/// The tool set these options build: signatures, prompt text, what was skipped (JSON).
#[pyfunction]
fn tools(py: Python<'_>, opts: Opts) -> PyResult<String> {
    let (registry, warnings, _) = build(py, &opts)?;
    Ok(tools_json(&registry, &warnings).to_string())
}

/// Parse and check a whole program against the tool set, inputs bound as images; runs nothing.
/// The `dwim check --format json` object.
#[pyfunction]
#[pyo3(signature = (program, opts, inputs, require_answer))]
fn check(py: Python<'_>, program: String, opts: Opts, inputs: Vec<String>, require_answer: bool) -> PyResult<String> {
    let (registry, _, limits) = build(py, &opts)?;
    Ok(py.allow_threads(|| {
        let src = SourceFile::new("<program>", program.as_str());
        let parsed = match parse_program(&src, &limits) {
            Ok(p) => p,
            Err(d) => return diagnostics_json(&[d][..], Some(&src)),
        };
        let scope = input_scope_for(inputs.iter().map(String::as_str));
        let diags = check_program_capped(&parsed, &registry, &scope, require_answer, limits.max_diagnostics);
        if diags.is_empty() {
            json!({"ok": true, "steps": parsed.steps.len(), "diagnostics": []})
        } else {
            diagnostics_json(&diags, Some(&src))
        }
    })
    .to_string())
}

#[pymodule]
fn _dwim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DwimError", m.py().get_type::<DwimError>())?;
    m.add_class::<NativeSession>()?;
    m.add_function(wrap_pyfunction!(tools, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
