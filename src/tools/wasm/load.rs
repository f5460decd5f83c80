//! Loading is bounded: the file is read only if it is a regular file under
//! `Limits::max_plugin_bytes`; the module's contents are counted (wasmparser, no compilation)
//! against `Limits::plugin_functions` and `Limits::plugin_code_bytes` (all the modules of a
//! component together) and the caps below; compilation then has `Limits::plugin_compile` to finish.
//!
//! What each bound costs to enforce, honestly: the caps are checked in one linear pass over the
//! bytes before anything is compiled, so a module of 500,000 functions is refused in
//! milliseconds. The compile deadline is a wait, not a kill: wasmtime cannot stop a compilation,
//! so one that overruns is abandoned on its own thread (its result is dropped when it ends); the
//! caps are what keep that rare and short. Text-format modules (`.wat`) are for fixtures: they are
//! capped at [`MAX_TEXT_BYTES`] and their functions are counted from `func` keywords, an upper
//! bound on the functions they define or import.

use super::cache;
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use std::path::Path;
use std::time::Duration;
use wasmparser::{Encoding, Parser, Payload};
use wasmtime::{Engine, Module};

/// Bytes of one function body.
pub const MAX_FUNCTION_BYTES: u64 = 1 << 20;
/// Locals declared by all functions together (each costs the compiler an initialisation).
pub const MAX_LOCALS: u64 = 1_000_000;
/// Entries of each of the type, import, export, global, element and data sections.
pub const MAX_ENTRIES: u64 = 10_000;
/// Bytes of a text-format (`.wat`) module.
pub const MAX_TEXT_BYTES: usize = 4 << 20;
/// Bytes of a plugin manifest (`NAME.json`).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Read a whole file that must be a regular file of at most `cap` bytes: a FIFO, a device or a
/// directory is E502 at once (nothing is opened), a larger file E410 naming `what` and the cap,
/// an unreadable one E501. The one place plugin files are read; to be replaced by `dwim::io`.
pub fn read_bounded(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>, Diagnostic> {
    // `dwim::io` refuses non-regular files before opening them (E501/E502) and caps the read (E311);
    // over the cap is the plugin's own code here.
    crate::io::read_bytes(path, cap).map_err(|d| {
        if d.code == Code::E311 {
            Diagnostic::new(Code::E410, format!("{}: {what} may have at most {cap} bytes ({})", path.display(), d.message))
                .help("raise the limit (Limits::max_plugin_bytes) only for a plugin you trust")
        } else {
            d
        }
    })
}

fn over(what: &str, n: u64, cap: u64) -> Diagnostic {
    Diagnostic::new(Code::E410, format!("the module has {n} {what}; a plugin may have at most {cap}"))
}

/// Refuse a module over `limits.max_plugin_bytes` or any cap above, without compiling it (E410).
pub fn check_module(bytes: &[u8], limits: &Limits) -> Result<(), Diagnostic> {
    check_binary(bytes, limits, false)
}

/// [`check_module`] for a component: the caps hold for all the modules inside it together.
pub fn check_component(bytes: &[u8], limits: &Limits) -> Result<(), Diagnostic> {
    check_binary(bytes, limits, true)
}

fn check_binary(bytes: &[u8], limits: &Limits, component: bool) -> Result<(), Diagnostic> {
    if bytes.len() > limits.max_plugin_bytes {
        return Err(Diagnostic::new(Code::E410, format!("the module is {} bytes; a plugin may have at most {} bytes", bytes.len(), limits.max_plugin_bytes)));
    }
    if !bytes.starts_with(b"\0asm") && !component {
        return check_text(bytes, limits);
    }
    let (max_functions, max_code) = (limits.plugin_functions, limits.plugin_code_bytes);
    let invalid = |e: wasmparser::BinaryReaderError| Diagnostic::new(Code::E410, format!("not a valid WebAssembly module: {e}"));
    let (mut functions, mut code, mut locals) = (0u64, 0u64, 0u64);
    let entries = |what: &str, n: u32| if u64::from(n) > MAX_ENTRIES { Err(over(what, n.into(), MAX_ENTRIES)) } else { Ok(()) };
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(invalid)? {
            Payload::Version { encoding: Encoding::Component, .. } if !component => {
                return Err(Diagnostic::new(Code::E410, "this is a WebAssembly component; a plugin must be a core module"));
            }
            Payload::TypeSection(s) => entries("types", s.count())?,
            Payload::ImportSection(s) => {
                entries("imports", s.count())?;
                functions += u64::from(s.count());
            }
            Payload::FunctionSection(s) => functions += u64::from(s.count()),
            Payload::GlobalSection(s) => entries("globals", s.count())?,
            Payload::ExportSection(s) => entries("exports", s.count())?,
            Payload::ElementSection(s) => entries("element segments", s.count())?,
            Payload::DataSection(s) => entries("data segments", s.count())?,
            Payload::CodeSectionStart { count, size, .. } => {
                // A code section longer than what is left of the cap is refused before its
                // bodies are read (and its count is a function count, whatever the function
                // section said).
                functions = functions.max(u64::from(count));
                let after = code.saturating_add(u64::from(size));
                if after > max_code {
                    return Err(over("bytes of code", after, max_code));
                }
            }
            Payload::CodeSectionEntry(body) => {
                let n = body.range().len() as u64;
                if n > MAX_FUNCTION_BYTES {
                    return Err(over("bytes in one function", n, MAX_FUNCTION_BYTES));
                }
                code += n;
                for decl in body.get_locals_reader().map_err(invalid)? {
                    locals = locals.saturating_add(u64::from(decl.map_err(invalid)?.0));
                    if locals > MAX_LOCALS {
                        return Err(over("locals", locals, MAX_LOCALS));
                    }
                }
            }
            _ => {}
        }
        if functions > max_functions {
            return Err(over("functions", functions, max_functions));
        }
    }
    debug_assert!(code <= max_code);
    Ok(())
}

/// A text-format module: at most [`MAX_TEXT_BYTES`], at most `Limits::plugin_functions` `func`
/// keywords (outside comments and strings), and not the `(module binary "…")` /
/// `(module quote "…")` forms, whose contents a keyword count cannot see.
fn check_text(bytes: &[u8], limits: &Limits) -> Result<(), Diagnostic> {
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(Diagnostic::new(Code::E410, format!(
            "a text-format module may have at most {MAX_TEXT_BYTES} bytes; this one has {} (build a binary .wasm)",
            bytes.len()
        )));
    }
    if count_keyword(bytes, b"binary") + count_keyword(bytes, b"quote") > 0 {
        return Err(Diagnostic::new(Code::E410, "a text-format module in `binary` or `quote` form cannot be counted; give its .wasm"));
    }
    let funcs = count_keyword(bytes, b"func");
    if funcs > limits.plugin_functions {
        return Err(over("functions (`func` keywords)", funcs, limits.plugin_functions));
    }
    Ok(())
}

/// Occurrences of `word` as a whole WAT token, skipping `;;` and `(; ;)` comments and strings.
fn count_keyword(b: &[u8], word: &[u8]) -> u64 {
    let (mut i, mut n) = (0, 0u64);
    let delim = |c: u8| c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'"' | b';');
    while i < b.len() {
        match b[i] {
            b';' if b.get(i + 1) == Some(&b';') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if b.get(i + 1) == Some(&b';') => {
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'(' && b.get(i + 1) == Some(&b';') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b';' && b.get(i + 1) == Some(&b')') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            c if delim(c) => i += 1,
            _ => {
                let start = i;
                while i < b.len() && !delim(b[i]) {
                    i += 1;
                }
                n += u64::from(&b[start..i] == word);
            }
        }
    }
    n
}

/// Compile `bytes` (already checked) on a worker thread, waiting at most `limit` (E410).
pub fn compile_within(engine: &'static Engine, bytes: &[u8], cache_dir: Option<&Path>, limit: Duration) -> Result<Module, Diagnostic> {
    let (wasm, dir) = (bytes.to_vec(), cache_dir.map(Path::to_path_buf));
    wait_for(limit, move || cache::compile(engine, &wasm, dir.as_deref()))
}

/// [`compile_within`] for a component.
pub fn compile_component_within(engine: &'static Engine, bytes: &[u8], cache_dir: Option<&Path>, limit: Duration) -> Result<wasmtime::component::Component, Diagnostic> {
    let (wasm, dir) = (bytes.to_vec(), cache_dir.map(Path::to_path_buf));
    wait_for(limit, move || cache::compile_component(engine, &wasm, dir.as_deref()))
}

fn wait_for<T: Send + 'static>(limit: Duration, compile: impl FnOnce() -> wasmtime::Result<T> + Send + 'static) -> Result<T, Diagnostic> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("dwim-wasm-compile".into())
        .spawn(move || {
            let _ = tx.send(compile());
        })
        .map_err(|e| Diagnostic::new(Code::E410, format!("cannot start the compiler thread: {e}")))?;
    match rx.recv_timeout(limit) {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(Diagnostic::new(Code::E410, format!("not a valid WebAssembly module: {}", super::plugin::first_line(&e)))),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Diagnostic::new(
            Code::E410,
            format!("compiling the module took longer than {:.1} s (Limits::plugin_compile)", limit.as_secs_f64()),
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Diagnostic::new(Code::E410, "the compiler stopped without a result")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wat_keywords_are_counted_outside_comments_and_strings() {
        let src = br#"(module ;; func func
            (; a (; nested func ;) func ;)
            (func $a) (func (export "func") (result i32) i32.const 1) ( func ) (data "func\"func")
            (type (func)) (elem funcref))"#;
        assert_eq!(count_keyword(src, b"func"), 4);
        assert!(check_text(src, &Limits::default()).is_ok());
        let hidden = br#"(module binary "\00asm\01\00\00\00")"#;
        assert!(check_text(hidden, &Limits::default()).expect_err("binary form").message.contains("binary"));
        assert!(check_text(b"(module quote \"(func)\")", &Limits::default()).is_err());
    }

    #[test]
    fn binary_caps_refuse_before_compiling() {
        let lim = Limits::default();
        assert!(check_module(b"\0asm\x01\0\0\0", &lim).is_ok());
        let d = check_module(b"\0asm\x01\0\0\0garbage", &lim).expect_err("garbage");
        assert_eq!(d.code, Code::E410);
        // A function section declaring 2^20 functions is refused from its count alone.
        let m = [b"\0asm\x01\0\0\0".as_slice(), &[3, 4, 0x80, 0x80, 0x40, 0]].concat();
        let d = check_module(&m, &lim).expect_err("too many");
        assert!(d.message.contains("1048576 functions"), "{d}");
        let tiny = Limits { max_plugin_bytes: 4, ..Limits::default() };
        assert!(check_module(b"\0asm\x01\0\0\0", &tiny).expect_err("size").message.contains("at most 4 bytes"));
    }
}
