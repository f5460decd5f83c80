//! Every value has a size, known in O(1) once it is built.
//!
//! Values share sub-values (`Arc`), so `a = [a, a]` forty times is a small heap but a tree of 2^40
//! nodes: anything that walks it (equality, the trace's JSON, an observation) would walk all of
//! them. A list or record therefore carries its *expanded* size — the nodes and text bytes it
//! would have if every shared part were copied out — computed from its items' sizes when it is
//! built, and the engine refuses to build one over `Limits::max_value_nodes` / `max_value_bytes`
//! (E309) or nested deeper than `Limits::max_depth` (E302). Every walk is then bounded by limits
//! the user chose, whatever the program did.

use super::Value;
use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::types::Type;
use std::collections::BTreeMap;
use std::ops::Deref;

/// The expanded size of a value. Arithmetic saturates: a size never wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Size {
    /// Values in the tree, this one included.
    pub nodes: u64,
    /// Text bytes in the tree (texts, region labels, record keys).
    pub bytes: u64,
    /// Nesting: 0 for a scalar, 1 + the deepest item for a list or record.
    pub depth: u32,
}

impl Size {
    /// A value with no items: one node holding `bytes` of text.
    pub fn leaf(bytes: u64) -> Size {
        Size { nodes: 1, bytes, depth: 0 }
    }

    /// The size of a container of `items` (plus `extra_bytes` of its own, e.g. record keys).
    fn of<'a>(items: impl Iterator<Item = &'a Value>, extra_bytes: u64) -> Size {
        let mut s = Size { nodes: 1, bytes: extra_bytes, depth: 0 };
        let mut deepest = None::<u32>;
        for v in items {
            let c = v.size();
            s.nodes = s.nodes.saturating_add(c.nodes);
            s.bytes = s.bytes.saturating_add(c.bytes);
            deepest = Some(deepest.map_or(c.depth, |d| d.max(c.depth)));
        }
        s.depth = deepest.map_or(1, |d| d.saturating_add(1));
        s
    }

    /// E309 (or E302 for depth) if this size is over the limits.
    pub fn check(self, limits: &Limits) -> Result<(), Diagnostic> {
        if self.depth as usize > limits.max_depth {
            return Err(Diagnostic::new(Code::E302, format!("a value nested {} deep exceeds the limit of {}", self.depth, limits.max_depth)));
        }
        if self.nodes > limits.max_value_nodes {
            return Err(Diagnostic::new(Code::E309, format!("a value of {} nodes (counting shared parts each time they occur) exceeds the limit of {}", self.nodes, limits.max_value_nodes))
                .help("a list that contains itself grows exponentially: build the value you need directly"));
        }
        if self.bytes > limits.max_value_bytes {
            return Err(Diagnostic::new(Code::E309, format!("a value holding {} bytes of text (counting shared parts each time they occur) exceeds the limit of {}", self.bytes, limits.max_value_bytes)));
        }
        Ok(())
    }
}

/// A list value: its items, with their expanded size and common type computed once.
#[derive(Debug)]
pub struct List {
    items: Vec<Value>,
    size: Size,
    elem: Type,
}

impl List {
    pub fn new(items: Vec<Value>) -> List {
        let size = Size::of(items.iter(), 0);
        let elem = match items.split_first() {
            None => Type::Any,
            Some((first, rest)) => {
                let t = first.type_of();
                if rest.iter().all(|v| same_type(v, &t)) { t } else { Type::Any }
            }
        };
        List { items, size, elem }
    }
    pub fn size(&self) -> Size {
        self.size
    }
    /// The type every item has (`any` when they differ or the list is empty).
    pub fn elem(&self) -> &Type {
        &self.elem
    }
    pub fn items(&self) -> &[Value] {
        &self.items
    }
}

/// `v.type_of() == t` without building `v`'s type.
fn same_type(v: &Value, t: &Type) -> bool {
    match (v, t) {
        (Value::List(l), Type::List(e)) => l.elem() == e.as_ref(),
        (Value::List(_), _) => false,
        _ => v.type_of() == *t,
    }
}

impl Deref for List {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

/// A record value (from tools): named fields, with their expanded size computed once.
#[derive(Debug)]
pub struct Record {
    fields: BTreeMap<String, Value>,
    size: Size,
}

impl Record {
    pub fn new(fields: BTreeMap<String, Value>) -> Record {
        let keys = fields.keys().map(|k| k.len() as u64).fold(0u64, u64::saturating_add);
        let size = Size::of(fields.values(), keys);
        Record { fields, size }
    }
    pub fn size(&self) -> Size {
        self.size
    }
}

impl Deref for Record {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &BTreeMap<String, Value> {
        &self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_growth_is_counted_in_constant_time_per_step() {
        let mut a = Value::list(vec![Value::Number(1.0)]);
        for _ in 0..40 {
            a = Value::list(vec![a.clone(), a.clone()]);
        }
        let s = a.size();
        assert_eq!(s.nodes, (1u64 << 41) - 1 + (1u64 << 40), "2^41-1 list nodes... plus 2^40 numbers");
        assert_eq!(s.depth, 41);
        assert!(s.check(&Limits::default()).is_err());
        let mut t = Type::Number;
        for _ in 0..41 {
            t = Type::list(t);
        }
        assert_eq!(a.type_of(), t);
    }

    #[test]
    fn sizes_saturate_and_mixed_lists_are_any() {
        let big = Value::List(std::sync::Arc::new(List { items: vec![], size: Size { nodes: u64::MAX, bytes: u64::MAX, depth: 1 }, elem: Type::Any }));
        let l = Value::list(vec![big.clone(), big]);
        assert_eq!(l.size().nodes, u64::MAX);
        assert_eq!(Value::list(vec![Value::Number(1.0), Value::text("a")]).type_of(), Type::list(Type::Any));
        assert_eq!(Value::list(vec![]).size(), Size { nodes: 1, bytes: 0, depth: 1 });
        let r = Value::record([("ab".to_string(), Value::text("xyz"))]);
        assert_eq!(r.size(), Size { nodes: 2, bytes: 5, depth: 1 });
    }
}
