//! The dwim plugin SDK (guest side; no wasmtime). A tool is a function plus the [`tool!`] macro:
//!
//! ```ignore
//! use dwim_sdk::{tool, Args, Value};
//!
//! fn shout(args: &Args) -> Result<Value, String> {
//!     Ok(Value::text(args.text(0)?.to_uppercase()))
//! }
//!
//! tool! {
//!     name: "shout",
//!     doc: "Upper-case a text.",
//!     params: [text: "text"],
//!     result: "text",
//!     run: shout,
//! }
//! ```
//! Build with `cargo build --release --target wasm32-unknown-unknown` and a `cdylib` crate type.
//! Each call runs in a fresh instance: allocations need not be freed (the SDK installs a bump
//! allocator, `dwim-sdk-alloc`, that never grows memory for a small call). A panic aborts the call and
//! its message reaches the host (error E406).

/// One call, one instance: a bump allocator (see `dwim-sdk-alloc`).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: dwim_sdk_alloc::Bump = dwim_sdk_alloc::Bump::new();

mod args;
mod codec;
#[doc(hidden)]
pub mod export;
mod signature;
mod value;

pub use args::Args;
pub use signature::Signature;
pub use value::{BBox, Image, Region, Value};

/// Export a function `fn(&Args) -> Result<Value, String>` as a dwim tool.
///
/// `params` lists `name: "type"` or `name: "type" = default` (a JSON literal: number, string,
/// bool). Types are dwim's: `number`, `text`, `bool`, `image`, `region`, `image|region`,
/// `list[T]`, `record`, `none`, `any`.
#[macro_export]
macro_rules! tool {
    (
        name: $name:literal,
        doc: $doc:literal,
        params: [ $( $p:ident : $t:literal $(= $d:literal)? ),* $(,)? ],
        result: $r:literal,
        run: $f:path $(,)?
    ) => {
        #[no_mangle]
        pub extern "C" fn dwim_describe() -> i64 {
            let sig = $crate::Signature::new($name, $doc, $r)
                $( .param(stringify!($p), $t, { let _d: Option<&str> = None; $( let _d = Some(stringify!($d)); )? _d }) )*;
            $crate::export::describe(sig)
        }
        #[no_mangle]
        pub extern "C" fn dwim_alloc(len: i32) -> i32 {
            $crate::export::alloc(len)
        }
        #[no_mangle]
        pub extern "C" fn dwim_call(ptr: i32, len: i32) -> i64 {
            $crate::export::call(ptr, len, $f)
        }
    };
}
