//! `hostile(mode)`: a Rust plugin that misbehaves on request, to test that real Rust guests (not
//! only hand-written fixtures) map onto dwim's typed errors. Not for tool sets.

use dwim_sdk::{tool, Args, Value};

fn depth(n: u64) -> u64 {
    if n == u64::MAX { n } else { depth(n + 1).wrapping_add(std::hint::black_box(1)) }
}

fn hostile(args: &Args) -> Result<Value, String> {
    match args.text(0)? {
        "panic" => panic!("hostile plugin panicked on purpose"),
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "recurse" => Ok(Value::Number(depth(0) as f64)),
        "loop" => loop {
            std::hint::black_box(0);
        },
        "error" => Err("hostile plugin refused politely".into()),
        other => Ok(Value::text(other)),
    }
}

tool! {
    name: "hostile",
    doc: "Misbehave on request: panic, alloc, recurse, loop, error; anything else is echoed.",
    params: [mode: "text"],
    result: "any",
    run: hostile,
}
