//! Checking a tool call: the tool exists, arguments match its signature, types fit.

use super::exprs::Cx;
use super::Scope;
use crate::diag::{Code, Diagnostic};
use crate::syntax::{Arg, Expr, ExprKind, Ident};
use crate::tools::matching::match_args_into;
use crate::types::Type;
use super::exprs::restore;

impl<'a> Cx<'a> {
    pub(super) fn call(&mut self, call: &Expr, tool: &Ident, args: &[Arg], scope: &mut Scope) -> Type {
        let registry: &'a crate::tools::Registry = self.registry;
        let Some(t) = registry.get(&tool.name) else {
            let mut d = Diagnostic::new(Code::E101, format!("there is no tool `{}` in the `{}` tool set", tool.name, self.registry.set_name))
                .at(tool.span)
                .label("unknown tool");
            // A suggestion measures the name against every tool: only for diagnostics that are kept.
            let near = if self.diags.is_full() || !super::exprs::suggestable(&tool.name) { None } else { self.registry.suggest(&tool.name) };
            d = match near {
                Some(s) => d.help(format!("did you mean `{s}`? `dwim tools` lists the tools")),
                None => d.help("`dwim tools` lists the tools of this set"),
            };
            self.error(d);
            for a in args {
                self.infer(&a.value, scope, true);
            }
            return Type::Any;
        };
        let sig = t.signature();
        let before = self.diags.len();
        let slots = match_args_into(sig, args, call.span, &mut self.diags);
        for d in &mut self.diags[before..] {
            d.tool.get_or_insert_with(|| sig.name.clone());
        }
        // Non-lambda arguments first, so a lambda's parameter can take the element type of the list.
        let mut arg_types: Vec<Option<Type>> = vec![None; args.len()];
        for (ai, a) in args.iter().enumerate() {
            if !matches!(a.value.kind, ExprKind::Lambda { .. }) {
                let param_is_fn = slots.iter().position(|s| *s == Some(ai)).map(|pi| sig.params[pi].ty == Type::Fn).unwrap_or(false);
                arg_types[ai] = Some(self.infer(&a.value, scope, param_is_fn));
            }
        }
        let elem = arg_types.iter().flatten().find_map(|t| match t {
            Type::List(e) => Some((**e).clone()),
            _ => None,
        });
        let mut fn_result: Option<Type> = None;
        for (ai, a) in args.iter().enumerate() {
            if let ExprKind::Lambda { param, body } = &a.value.kind {
                let fn_param = slots.iter().position(|s| *s == Some(ai)).map(|pi| &sig.params[pi]).filter(|p| p.ty == Type::Fn);
                if fn_param.is_none() {
                    self.error(Diagnostic::new(Code::E110, format!("`{}` does not take a function here", sig.name)).at(a.value.span).tool(&sig.name));
                }
                let shadowed = scope.insert(param.name.clone(), elem.clone().unwrap_or(Type::Any));
                let result = self.infer(body, scope, false);
                restore(scope, &param.name, shadowed);
                if sig.result_list_of_fn.is_some_and(|pi| slots.get(pi).copied().flatten() == Some(ai)) {
                    fn_result = Some(result.clone());
                }
                if let Some(p) = fn_param.filter(|p| !p.accepts_result(&result)) {
                    self.error(Diagnostic::new(Code::E106, format!("the function `{}` of `{}` must return {}, but this is {result}", p.name, sig.name, p.returns_text()))
                        .at(body.span)
                        .label(format!("this is {result}"))
                        .help(sig.render())
                        .tool(&sig.name));
                }
                arg_types[ai] = Some(Type::Fn);
            }
        }
        for (pi, slot) in slots.iter().enumerate() {
            let Some(ai) = slot else { continue };
            let p = &sig.params[pi];
            let got = arg_types[*ai].clone().unwrap_or(Type::Any);
            if !p.takes(&got) {
                self.error(Diagnostic::new(Code::E106, format!("argument `{}` of `{}` must be {}, but this is {got}", p.name, sig.name, p.takes_text()))
                    .at(args[*ai].value.span)
                    .label(format!("this is {got}"))
                    .help(sig.render())
                    .tool(&sig.name));
            }
        }
        for (pi, slot) in slots.iter().enumerate() {
            let (Some(ai), Some(ci)) = (slot, sig.params[pi].member_of) else { continue };
            let (Some(item), Some(container)) = (arg_types[*ai].clone(), slots.get(ci).copied().flatten().and_then(|c| arg_types[c].clone())) else { continue };
            let (p, c) = (&sig.params[pi], &sig.params[ci]);
            let why = match &container {
                Type::Text if !Type::Text.accepts(&item) => Some(format!("a text contains texts, but `{}` is {item}", p.name)),
                Type::List(elem) if !super::exprs::can_equal(elem, &item) => {
                    Some(format!("`{}` is {container}, and {item} can never equal an element: this is always false", c.name))
                }
                _ => None,
            };
            if let Some(why) = why {
                self.error(Diagnostic::new(Code::E106, format!("`{}`: {why}", sig.name))
                    .at(args[*ai].value.span)
                    .label(format!("this is {item}"))
                    .help(sig.render())
                    .tool(&sig.name));
            }
        }
        let arg_type = |i: Option<usize>| i.and_then(|i| slots.get(i).copied().flatten()).and_then(|ai| arg_types[ai].clone());
        if let Some(t) = fn_result {
            return Type::list(t);
        }
        match (arg_type(sig.result_like), arg_type(sig.result_elem_of)) {
            (Some(t @ Type::List(_)), _) => t,
            (_, Some(Type::List(elem))) => *elem,
            _ => sig.result.clone(),
        }
    }
}
