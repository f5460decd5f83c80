//! The signature a plugin describes itself with, written as the JSON the host reads.

pub struct Signature {
    name: String,
    doc: String,
    result: String,
    params: Vec<(String, String, Option<String>)>,
}

impl Signature {
    pub fn new(name: &str, doc: &str, result: &str) -> Signature {
        Signature { name: name.into(), doc: doc.into(), result: result.into(), params: Vec::new() }
    }
    /// Add a parameter; `default` is a JSON literal (`0.5`, `"red"`, `true`).
    pub fn param(mut self, name: &str, ty: &str, default: Option<&str>) -> Signature {
        self.params.push((name.into(), ty.into(), default.map(String::from)));
        self
    }
    pub fn to_json(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(n, t, d)| match d {
                Some(d) => format!("{{\"name\":{},\"type\":{},\"default\":{d}}}", quote(n), quote(t)),
                None => format!("{{\"name\":{},\"type\":{}}}", quote(n), quote(t)),
            })
            .collect();
        format!(
            "{{\"name\":{},\"params\":[{}],\"result\":{},\"doc\":{}}}",
            quote(&self.name),
            params.join(","),
            quote(&self.result),
            quote(&self.doc)
        )
    }
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
