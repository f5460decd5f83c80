//! Compiled-module cache on disk, keyed by the BLAKE3 hash of the wasm bytes and the engine's
//! compatibility hash. Each file carries a checksum of its payload, checked before wasmtime
//! deserializes it; any unreadable or stale entry is recompiled and overwritten.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

/// Where compiled modules are kept by default: `$DWIM_CACHE_DIR`, else `$XDG_CACHE_HOME/dwim/wasm`,
/// else `$HOME/.cache/dwim/wasm`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DWIM_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("dwim").join("wasm"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("dwim").join("wasm"))
}

struct Blake3Hasher(blake3::Hasher);
impl Hasher for Blake3Hasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn key(engine: &Engine, wasm: &[u8]) -> String {
    let mut h = Blake3Hasher(blake3::Hasher::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
    h.0.update(&(wasm.len() as u64).to_le_bytes());
    h.0.update(wasm);
    h.0.finalize().to_hex()[..32].to_string()
}

/// Compile `wasm` (binary or text), reusing a cached artefact when one is valid.
pub fn compile(engine: &Engine, wasm: &[u8], dir: Option<&Path>) -> wasmtime::Result<Module> {
    let Some(dir) = dir else { return Module::new(engine, wasm) };
    let path = dir.join(format!("{}.cwasm", key(engine, wasm)));
    if let Some(m) = load(engine, &path) {
        return Ok(m);
    }
    let module = Module::new(engine, wasm)?;
    if let Ok(bytes) = module.serialize() {
        store(&path, &bytes);
    }
    Ok(module)
}

/// [`compile`] for a component (binary only); same keys, same checks.
pub fn compile_component(engine: &Engine, wasm: &[u8], dir: Option<&Path>) -> wasmtime::Result<Component> {
    let Some(dir) = dir else { return Component::new(engine, wasm) };
    let path = dir.join(format!("{}.cwasm", key(engine, wasm)));
    // SAFETY: as in `load`: a checksummed payload of `Component::serialize`, version-checked.
    if let Some(c) = checked(&path).and_then(|p| unsafe { Component::deserialize(engine, p) }.ok()) {
        return Ok(c);
    }
    let component = Component::new(engine, wasm)?;
    if let Ok(bytes) = component.serialize() {
        store(&path, &bytes);
    }
    Ok(component)
}

/// The payload of a cache file whose checksum matches.
fn checked(path: &Path) -> Option<Vec<u8>> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = std::fs::read(path).ok()?;
    if file.len() < 32 || blake3::hash(&file[32..]).as_bytes() != &file[..32] {
        return None;
    }
    Some(file.split_off(32))
}

fn load(engine: &Engine, path: &Path) -> Option<Module> {
    let payload = checked(path)?;
    // SAFETY: the payload was produced by `Module::serialize` in this cache (its checksum
    // matches) and wasmtime checks that it was compiled for a compatible engine.
    unsafe { Module::deserialize(engine, &payload) }.ok()
}

fn store(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let mut file = blake3::hash(bytes).as_bytes().to_vec();
    file.extend_from_slice(bytes);
    let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), path.file_name().and_then(|n| n.to_str()).unwrap_or("m")));
    if std::fs::write(&tmp, &file).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
