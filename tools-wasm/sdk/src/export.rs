//! What the `tool!` macro expands to call: the three ABI exports, and the panic hook that sends a
//! panic's message to the host before the call aborts.

use crate::codec::{encode_err, encode_ok, Reader};
use crate::{Args, Signature, Value};

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "dwim")]
extern "C" {
    #[link_name = "trap"]
    fn host_trap(ptr: *const u8, len: usize);
}

/// Hand a buffer to the host as `(ptr << 32) | len`; it lives until the instance is dropped.
fn leak_out(bytes: Vec<u8>) -> i64 {
    let bytes = bytes.leak();
    (((bytes.as_ptr() as usize as u64) << 32) | bytes.len() as u64) as i64
}

pub fn describe(sig: Signature) -> i64 {
    leak_out(sig.to_json().into_bytes())
}

pub fn alloc(len: i32) -> i32 {
    let buf: Vec<u8> = Vec::with_capacity(len.max(1) as usize);
    buf.leak().as_mut_ptr() as usize as i32
}

fn install_panic_hook() {
    #[cfg(target_arch = "wasm32")]
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        // SAFETY: the host reads `len` bytes at `ptr` from this instance's memory, then traps.
        unsafe { host_trap(msg.as_ptr(), msg.len()) }
    }));
}

pub fn call(ptr: i32, len: i32, f: fn(&Args) -> Result<Value, String>) -> i64 {
    install_panic_hook();
    // SAFETY: the host wrote `len` bytes at `ptr`, a buffer from `alloc` that is never freed.
    let input: &'static [u8] = unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
    let mut reader = Reader::new(input);
    let out = match reader.args() {
        Ok(values) => match f(&Args { values }) {
            Ok(v) => encode_ok(&v, reader.images.len() as u32),
            Err(e) => encode_err(&e),
        },
        Err(e) => encode_err(&format!("cannot decode the arguments: {e}")),
    };
    leak_out(out)
}
