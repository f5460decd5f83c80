//! `hostile(mode)` as a component: misbehaves on request, to test that real Rust components map
//! onto dwim's typed errors (the twin of `tools-wasm/plugins/hostile`). Not for tool sets.
#![no_std]

use core::hint::black_box;
use dwim_component_sdk::prelude::*;

fn depth(n: u64) -> u64 {
    if n == u64::MAX { n } else { depth(n + 1).wrapping_add(black_box(1)) }
}

fn hostile(args: &Args) -> Result<Value, String> {
    match args.text(0)? {
        "panic" => panic!("hostile component panicked on purpose"),
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                black_box(&hoard);
            }
        }
        "recurse" => Ok(Value::Number(depth(0) as f64)),
        "loop" => loop {
            black_box(0);
        },
        "error" => Err("hostile component refused politely".into()),
        "invalid" => Err("E402 hostile component cannot use this input".into()),
        // 64 MiB of text: over the default 16 MiB output limit.
        "huge" => Ok(Value::Text("x".repeat(64 << 20))),
        other => Ok(Value::text(other)),
    }
}

tool! {
    name: "hostile",
    doc: "Misbehave on request: panic, alloc, recurse, loop, error, invalid, huge; anything else is echoed.",
    params: [mode: "text"],
    result: "any",
    run: hostile,
}
