//! Tool signatures: typed parameters with defaults, a result type, a doc line.

use crate::diag::{Code, Diagnostic};
use crate::limits::Limits;
use crate::types::Type;
use crate::value::Value;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    #[default]
    Builtin,
    Wasm,
    /// A WebAssembly component of the `dwim:tool` world (`tools::wasm::component`).
    WasmComponent,
    Native,
    /// Served over HTTP by a tool server (`tools::remote`).
    Remote,
}

/// Parameters a signature declared outside dwim (a plugin, a remote manifest) may have.
pub const MAX_PARAMS: usize = 64;
/// Bytes of a declared tool or parameter name.
pub const MAX_NAME_BYTES: usize = 64;
/// Bytes of a declared tool's or parameter's doc line.
pub const MAX_DOC_BYTES: usize = 4096;
/// Words in one parameter's declared vocabulary.
pub const MAX_VOCAB_WORDS: usize = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// Default value (JSON: number, text, bool, null, or a list of those); absent = required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// For a `fn` parameter, the types its result may have (empty: any). The checker holds a
    /// lambda's body to them: `filter`'s predicate returns bool, a sort key number or text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<Type>,
    /// For an `any` parameter, the types it takes (empty: any): `len` takes a text or a list. The
    /// checker refuses an argument whose type is known to be none of them (E106).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<Type>,
    /// For a text parameter read as words (a detector's query), the words the tool understands
    /// (empty: any text). The checker warns (W101) about a literal word outside it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vocab: Vec<String>,
    /// This parameter is looked for inside parameter `member_of` (`contains`'s `item`): it must
    /// be a text when that is a text, and able to equal an element when it is a list. The checker
    /// refuses a known type that cannot (E106: the call could only fail or be always false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_of: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub params: Vec<Param>,
    pub result: Type,
    pub doc: String,
    #[serde(default)]
    pub kind: ToolKind,
    /// When set, the result has the type of this parameter (e.g. `filter` returns its list's type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_like: Option<usize>,
    /// When set, the result has the element type of this list parameter (e.g. `first`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_elem_of: Option<usize>,
    /// When set, the result is a list of what this `fn` parameter returns (e.g. `map`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_list_of_fn: Option<usize>,
}

impl Param {
    pub fn req(name: &str, ty: Type) -> Param {
        Param { name: name.into(), ty, default: None, doc: String::new(), returns: Vec::new(), one_of: Vec::new(), vocab: Vec::new(), member_of: None }
    }
    pub fn opt(name: &str, ty: Type, default: serde_json::Value) -> Param {
        Param { name: name.into(), ty, default: Some(default), doc: String::new(), returns: Vec::new(), one_of: Vec::new(), vocab: Vec::new(), member_of: None }
    }
    /// A required `fn` parameter whose result must have one of `returns` (empty: any).
    pub fn func(name: &str, returns: &[Type]) -> Param {
        Param { returns: returns.to_vec(), ..Param::req(name, Type::Fn) }
    }
    /// A required `any` parameter that takes one of `types` (see [`Param::one_of`]).
    pub fn one_of(name: &str, types: &[Type]) -> Param {
        Param { one_of: types.to_vec(), ..Param::req(name, Type::Any) }
    }
    /// Does an argument of type `got` fit this parameter (its type, and `one_of` when set)?
    pub fn takes(&self, got: &Type) -> bool {
        self.ty.accepts(got) && (self.one_of.is_empty() || *got == Type::Any || self.one_of.iter().any(|t| t.accepts(got)))
    }
    /// `text or list[any]`: what the parameter takes.
    pub fn takes_text(&self) -> String {
        if self.one_of.is_empty() { self.ty.to_string() } else { self.one_of.iter().map(Type::to_string).collect::<Vec<_>>().join(" or ") }
    }
    /// This parameter looked for inside parameter `container` (see [`Param::member_of`]).
    pub fn member_of(mut self, container: usize) -> Param {
        self.member_of = Some(container);
        self
    }
    /// This parameter with a vocabulary (see [`Param::vocab`]).
    pub fn with_vocab(mut self, words: impl IntoIterator<Item = impl Into<String>>) -> Param {
        self.vocab = words.into_iter().map(Into::into).collect();
        self
    }
    /// The words of a literal `text` outside this parameter's vocabulary (none when it has none).
    pub fn unknown_words(&self, text: &str) -> Vec<String> {
        if self.vocab.is_empty() {
            return Vec::new();
        }
        text.to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty() && !self.vocab.iter().any(|v| v == w))
            .map(String::from)
            .collect()
    }
    /// Does a function result of type `got` fit what this parameter needs?
    pub fn accepts_result(&self, got: &Type) -> bool {
        self.returns.is_empty() || self.returns.iter().any(|t| t.accepts(got))
    }
    /// `bool`, `number or text`: what its function must return.
    pub fn returns_text(&self) -> String {
        self.returns.iter().map(Type::to_string).collect::<Vec<_>>().join(" or ")
    }
    pub fn default_value(&self) -> Option<Value> {
        self.default.as_ref().map(json_to_value)
    }
}

impl Signature {
    pub fn new(name: &str, params: Vec<Param>, result: Type, doc: &str) -> Signature {
        Signature { name: name.into(), params, result, doc: doc.into(), kind: ToolKind::Builtin, result_like: None, result_elem_of: None, result_list_of_fn: None }
    }
    pub fn like(mut self, param: usize) -> Signature {
        self.result_like = Some(param);
        self
    }

    pub fn elem_of(mut self, param: usize) -> Signature {
        self.result_elem_of = Some(param);
        self
    }

    /// The result is a list of what the `fn` parameter `param` returns.
    pub fn list_of_fn(mut self, param: usize) -> Signature {
        self.result_list_of_fn = Some(param);
        self
    }

    /// Bound a signature declared outside dwim — a plugin's `dwim_describe`, a remote tool
    /// manifest — before any checker sees it (E409): identifiers of at most [`MAX_NAME_BYTES`],
    /// at most [`MAX_PARAMS`] distinct parameters, docs of at most [`MAX_DOC_BYTES`], types nested
    /// at most `limits.max_depth` (parsed without recursion), indices that name a parameter, and
    /// defaults within the value limits.
    pub fn check_declared(&self, limits: &Limits) -> Result<(), Diagnostic> {
        let bad = |m: String| Diagnostic::new(Code::E409, m);
        let ident = |s: &str| s.len() <= MAX_NAME_BYTES && crate::types::is_ident(s);
        if !ident(&self.name) {
            return Err(bad(format!("tool name `{}` is not an identifier of at most {MAX_NAME_BYTES} bytes", clip(&self.name, 80))));
        }
        if self.params.len() > MAX_PARAMS {
            return Err(bad(format!("{} parameters declared; a tool may declare at most {MAX_PARAMS}", self.params.len())));
        }
        if let Some(p) = self.params.iter().find(|p| !ident(&p.name)) {
            return Err(bad(format!("parameter name `{}` is not an identifier of at most {MAX_NAME_BYTES} bytes", clip(&p.name, 80))));
        }
        if let Some((i, p)) = self.params.iter().enumerate().find(|(i, p)| self.params[..*i].iter().any(|q| q.name == p.name)) {
            return Err(bad(format!("parameter `{}` is declared twice (parameters {} and {})", p.name, self.param_index(&p.name).unwrap_or(0) + 1, i + 1)));
        }
        if let Some(p) = self.params.iter().find(|p| p.vocab.len() > MAX_VOCAB_WORDS || p.vocab.iter().any(|w| w.len() > MAX_NAME_BYTES)) {
            return Err(bad(format!("the vocabulary of `{}` has over {MAX_VOCAB_WORDS} words or a word over {MAX_NAME_BYTES} bytes", p.name)));
        }
        if self.doc.len() > MAX_DOC_BYTES || self.params.iter().any(|p| p.doc.len() > MAX_DOC_BYTES) {
            return Err(bad(format!("a doc line is longer than {MAX_DOC_BYTES} bytes")));
        }
        let mut types = std::iter::once(&self.result).chain(self.params.iter().map(|p| &p.ty));
        if let Some(t) = types.find(|t| t.depth() > limits.max_depth) {
            return Err(bad(format!("a declared type is nested {} deep; the limit is {}", t.depth(), limits.max_depth)));
        }
        if self.result_like.is_some_and(|i| i >= self.params.len()) {
            return Err(bad("`result_like` names no parameter".into()));
        }
        if self.result_elem_of.is_some_and(|i| i >= self.params.len()) {
            return Err(bad("`result_elem_of` names no parameter".into()));
        }
        if self.result_list_of_fn.is_some_and(|i| self.params.get(i).is_none_or(|p| p.ty != Type::Fn)) {
            return Err(bad("`result_list_of_fn` names no `fn` parameter".into()));
        }
        if let Some((i, p)) = self.params.iter().enumerate().find(|(i, p)| p.member_of.is_some_and(|c| c >= self.params.len() || c == *i)) {
            return Err(bad(format!("`member_of` of parameter {} (`{}`) names no other parameter", i + 1, p.name)));
        }
        for p in &self.params {
            if let Some(v) = p.default_value() {
                v.size().check(limits).map_err(|d| bad(format!("the default of `{}`: {}", p.name, d.message)))?;
            }
        }
        Ok(())
    }

    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    pub fn required(&self) -> usize {
        self.params.iter().filter(|p| p.default.is_none()).count()
    }

    /// `crop(image: image|region, region: region, pad: number = 0) -> region`
    pub fn render(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match &p.default {
                Some(d) => format!("{}: {} = {}", p.name, p.ty, d),
                None => format!("{}: {}", p.name, p.ty),
            })
            .collect();
        format!("{}({}) -> {}", self.name, params.join(", "), self.result)
    }
}

/// Convert a JSON default/argument into a value (no images or regions).
pub fn json_to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::text(s.as_str()),
        serde_json::Value::Array(a) => Value::list(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::record(o.iter().map(|(k, v)| (k.clone(), json_to_value(v)))),
    }
}

/// At most `max` bytes of `s` (cut at a character boundary), for messages quoting declared text.
pub fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
