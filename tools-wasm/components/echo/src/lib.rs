//! `echo(value)` as a component: returns its argument unchanged (the core `echo`'s twin, for
//! tests and the trivial-call benchmark).
#![no_std]

use dwim_component_sdk::prelude::*;

fn echo(args: &Args) -> Result<Value, String> {
    Ok(args.get(0).clone())
}

tool! {
    name: "echo",
    doc: "Return the argument unchanged (a test and benchmark plugin).",
    params: [value: "any"],
    result: "any",
    run: echo,
}
