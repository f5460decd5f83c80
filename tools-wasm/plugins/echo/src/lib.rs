//! `echo(value)`: returns its argument unchanged. Used to test every value type across the
//! boundary and to measure the cost of a trivial call.

use dwim_sdk::{tool, Args, Value};

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
