//! Write a dwim tool as a WebAssembly component (the `dwim:tool@0.1.0` world in
//! `tools-wasm/wit`): a function plus [`tool!`].
//!
//! The crate is `no_std` (with `alloc`) on purpose: Rust's `std` on `wasm32-wasip2` imports WASI
//! (`wasi:cli/*`, `wasi:io/*`), and dwim gives a component no imports at all. So a tool crate is
//! `#![no_std]` and takes `Vec`, `String`, `format!` … from [`prelude`]. The SDK supplies the
//! allocator (a bump allocator: each call runs in a fresh instance, so nothing is freed) and the
//! panic handler (a panic traps; dwim reports E406).
//!
//! | file | what it holds |
//! |---|---|
//! | `value.rs` | `Value`, `Image`, `Region`, `BBox` as a tool sees them |
//! | `args.rs` | `Args`: the arguments in parameter order |
//! | `codec.rs` | flattened WIT values ⇄ `Value` |
//! | `signature.rs` | type strings (`list[region]`) → the WIT signature |
//! | `runtime.rs` | allocator, `cabi_realloc`, panic handler |

#![no_std]

pub extern crate alloc;

mod args;
mod codec;
mod runtime;
mod signature;
mod value;

/// The WIT bindings (`wit_bindgen::generate!` on `tools-wasm/wit`).
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "tool",
        pub_export_macro: true,
        export_macro_name: "export_tool",
        default_bindings_module: "dwim_component_sdk::bindings",
    });
}

pub use args::Args;
pub use codec::run;
pub use signature::{param, signature};
pub use value::{floor, BBox, Image, Region, Value};

/// What a `no_std` tool crate needs in scope: `use dwim_component_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{tool, Args, BBox, Image, Region, Value};
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

/// Declare the tool. `params` are `name: "type"` or `name: "type" = default` (a number, text or
/// bool literal); types as in dwim: `number`, `text`, `bool`, `none`, `image`, `region`,
/// `image|region`, `record`, `any`, `list[T]`. `run` is a `fn(&Args) -> Result<Value, String>`:
/// `Err(message)` is E401, or E402 (invalid input) when the message starts with `"E402 "`.
#[macro_export]
macro_rules! tool {
    (
        name: $name:expr,
        doc: $doc:expr,
        params: [$($p:ident : $ty:literal $(= $def:expr)?),* $(,)?],
        result: $res:literal,
        run: $run:path $(,)?
    ) => {
        struct __DwimTool;
        impl $crate::bindings::exports::dwim::tool::plugin::Guest for __DwimTool {
            fn describe() -> $crate::bindings::exports::dwim::tool::plugin::Signature {
                $crate::signature(
                    $name,
                    $doc,
                    $crate::alloc::vec![$($crate::param(stringify!($p), $ty, $crate::__default!($($def)?))),*],
                    $res,
                )
            }
            fn call(
                args: $crate::bindings::exports::dwim::tool::plugin::Values,
            ) -> ::core::result::Result<
                $crate::bindings::exports::dwim::tool::plugin::Values,
                $crate::bindings::exports::dwim::tool::plugin::ToolError,
            > {
                $crate::run(args, $run)
            }
        }
        $crate::bindings::export_tool!(__DwimTool with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __default {
    () => {
        ::core::option::Option::None
    };
    ($e:expr) => {
        ::core::option::Option::Some($crate::Value::from($e))
    };
}
