//! A component written with Rust's `std` (no SDK), which therefore imports WASI (`wasi:cli/*`,
//! `wasi:io/*`): dwim must refuse it at load with E410 naming the import. A test fixture.

wit_bindgen::generate!({ path: "../../wit", world: "tool" });

use exports::dwim::tool::plugin::{ElementType, Guest, Signature, ToolError, ValueType, Values};

struct UsesWasi;

impl Guest for UsesWasi {
    fn describe() -> Signature {
        Signature { name: "uses_wasi".into(), params: vec![], result: ValueType { element: ElementType::Text, list_depth: 0 }, doc: String::new() }
    }
    fn call(_: Values) -> Result<Values, ToolError> {
        let home = std::env::var("HOME").unwrap_or_default();
        println!("{home}");
        Err(ToolError { code: exports::dwim::tool::plugin::ErrorCode::Failed, message: home })
    }
}

export!(UsesWasi);
