//! Match call arguments to a signature's parameters. Shared by the checker (which reports every
//! problem) and the interpreter (which relies on the checker having passed).
//!
//! Linear in the number of arguments: extra positional arguments are one E105 over all of them,
//! positional-after-named one E111 at the first, so `crop(image, 1, 1, …)` with 100,000 arguments
//! costs one diagnostic, not 99,998.

use crate::diag::{Code, Diagnostic, Findings};
use crate::syntax::{Arg, Span};
use crate::tools::{closest, Signature};

/// For each parameter, the index of the argument that supplies it (None = use the default).
pub fn match_args(sig: &Signature, args: &[Arg], call_span: Span) -> (Vec<Option<usize>>, Vec<Diagnostic>) {
    let mut found = Findings::new(crate::Limits::default().max_diagnostics);
    let slots = match_args_into(sig, args, call_span, &mut found);
    (slots, found.into_vec())
}

/// [`match_args`], reporting into a capped sink.
pub fn match_args_into(sig: &Signature, args: &[Arg], call_span: Span, found: &mut Findings) -> Vec<Option<usize>> {
    let mut slots: Vec<Option<usize>> = vec![None; sig.params.len()];
    let mut seen_named = false;
    let mut positional = 0;
    let mut extra: Option<Span> = None;
    let mut after_named: Option<(Span, usize)> = None;
    for (ai, arg) in args.iter().enumerate() {
        match &arg.name {
            None => {
                if seen_named {
                    let first = after_named.get_or_insert((arg.span, 0));
                    first.1 += 1;
                    continue;
                }
                if positional >= sig.params.len() {
                    extra = Some(extra.map_or(arg.span, |s| s.to(arg.span)));
                } else {
                    slots[positional] = Some(ai);
                }
                positional += 1;
            }
            Some(name) => {
                seen_named = true;
                match sig.param_index(&name.name) {
                    None => {
                        let help = match found.is_full() || name.name.len() > 64 {
                            true => sig.render(),
                            false => match closest(&name.name, sig.params.iter().map(|p| p.name.as_str())) {
                                Some(p) => format!("did you mean `{p}`? {}", sig.render()),
                                None => sig.render(),
                            },
                        };
                        found.push(Diagnostic::new(Code::E102, format!("`{}` has no parameter `{}`", sig.name, name.name))
                            .at(name.span).help(help));
                    }
                    Some(pi) if slots[pi].is_some() => {
                        found.push(Diagnostic::new(Code::E104, format!("argument `{}` is given twice", name.name)).at(arg.span).help(sig.render()));
                    }
                    Some(pi) => slots[pi] = Some(ai),
                }
            }
        }
    }
    if let Some(span) = extra {
        let n = positional - sig.params.len();
        found.push(Diagnostic::new(Code::E105, format!("`{}` takes at most {} argument{}, got {}", sig.name,
            sig.params.len(), if sig.params.len() == 1 { "" } else { "s" }, args.len()))
            .at(span).label(if n == 1 { "extra argument".to_string() } else { format!("{n} extra arguments") }).help(sig.render()));
    }
    if let Some((span, n)) = after_named {
        let also = if n > 1 { format!(" ({} positional arguments follow a named one)", n) } else { String::new() };
        found.push(Diagnostic::new(Code::E111, format!("positional argument after a named one{also}")).at(span)
            .help(format!("write it as `name=value`; parameters: {}", sig.render())));
    }
    for (p, slot) in sig.params.iter().zip(&slots) {
        if slot.is_none() && p.default.is_none() {
            found.push(Diagnostic::new(Code::E103, format!("`{}` needs argument `{}` ({})", sig.name, p.name, p.ty))
                .at(call_span).help(sig.render()));
        }
    }
    slots
}
