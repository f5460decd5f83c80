//! Match call arguments to a signature's parameters. Shared by the checker (which reports every
//! problem) and the interpreter (which relies on the checker having passed).

use crate::diag::{Code, Diagnostic};
use crate::syntax::{Arg, Span};
use crate::tools::{closest, Signature};

/// For each parameter, the index of the argument that supplies it (None = use the default).
pub fn match_args(sig: &Signature, args: &[Arg], call_span: Span) -> (Vec<Option<usize>>, Vec<Diagnostic>) {
    let mut slots: Vec<Option<usize>> = vec![None; sig.params.len()];
    let mut diags = Vec::new();
    let mut seen_named = false;
    let mut positional = 0;
    for (ai, arg) in args.iter().enumerate() {
        match &arg.name {
            None => {
                if seen_named {
                    diags.push(Diagnostic::new(Code::E111, "positional argument after a named one").at(arg.span)
                        .help(format!("write it as `name=value`; parameters: {}", sig.render())));
                    continue;
                }
                if positional >= sig.params.len() {
                    diags.push(Diagnostic::new(Code::E105, format!("`{}` takes at most {} argument{}, got {}", sig.name,
                        sig.params.len(), if sig.params.len() == 1 { "" } else { "s" }, args.len()))
                        .at(arg.span).label("extra argument").help(sig.render()));
                } else {
                    slots[positional] = Some(ai);
                }
                positional += 1;
            }
            Some(name) => {
                seen_named = true;
                match sig.param_index(&name.name) {
                    None => {
                        let help = match closest(&name.name, sig.params.iter().map(|p| p.name.as_str())) {
                            Some(p) => format!("did you mean `{p}`? {}", sig.render()),
                            None => sig.render(),
                        };
                        diags.push(Diagnostic::new(Code::E102, format!("`{}` has no parameter `{}`", sig.name, name.name))
                            .at(name.span).help(help));
                    }
                    Some(pi) if slots[pi].is_some() => {
                        diags.push(Diagnostic::new(Code::E104, format!("argument `{}` is given twice", name.name)).at(arg.span).help(sig.render()));
                    }
                    Some(pi) => slots[pi] = Some(ai),
                }
            }
        }
    }
    for (p, slot) in sig.params.iter().zip(&slots) {
        if slot.is_none() && p.default.is_none() {
            diags.push(Diagnostic::new(Code::E103, format!("`{}` needs argument `{}` ({})", sig.name, p.name, p.ty))
                .at(call_span).help(sig.render()));
        }
    }
    (slots, diags)
}
