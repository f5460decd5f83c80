//! Arguments as a tool receives them: matched to the signature, in parameter order.

use crate::diag::{Code, Diagnostic};
use crate::value::{Image, Lambda, List, Region, Value};
use std::sync::Arc;

pub struct Args {
    pub names: Vec<String>,
    pub values: Vec<Value>,
}

impl Args {
    pub fn new(names: Vec<String>, values: Vec<Value>) -> Args {
        Args { names, values }
    }

    pub fn get(&self, i: usize) -> &Value {
        self.values.get(i).unwrap_or(&Value::None)
    }

    fn wrong(&self, i: usize, want: &str) -> Diagnostic {
        let name = self.names.get(i).map(String::as_str).unwrap_or("?");
        Diagnostic::new(Code::E201, format!("argument `{name}` must be {want}, got {}", self.get(i).kind()))
    }

    pub fn number(&self, i: usize) -> Result<f64, Diagnostic> {
        match self.get(i) {
            Value::Number(n) => Ok(*n),
            _ => Err(self.wrong(i, "a number")),
        }
    }
    pub fn bool(&self, i: usize) -> Result<bool, Diagnostic> {
        match self.get(i) {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(i, "a bool")),
        }
    }
    pub fn text(&self, i: usize) -> Result<&str, Diagnostic> {
        match self.get(i) {
            Value::Text(t) => Ok(t),
            _ => Err(self.wrong(i, "text")),
        }
    }
    pub fn list(&self, i: usize) -> Result<&Arc<List>, Diagnostic> {
        match self.get(i) {
            Value::List(l) => Ok(l),
            _ => Err(self.wrong(i, "a list")),
        }
    }
    pub fn lambda(&self, i: usize) -> Result<&Arc<Lambda>, Diagnostic> {
        match self.get(i) {
            Value::Lambda(f) => Ok(f),
            _ => Err(self.wrong(i, "a lambda like `x -> ...`")),
        }
    }
    pub fn image(&self, i: usize) -> Result<&Image, Diagnostic> {
        match self.get(i) {
            Value::Image(img) => Ok(img),
            Value::Region(r) => Ok(&r.image),
            _ => Err(self.wrong(i, "an image")),
        }
    }
    pub fn region(&self, i: usize) -> Result<&Region, Diagnostic> {
        match self.get(i) {
            Value::Region(r) => Ok(r),
            _ => Err(self.wrong(i, "a region")),
        }
    }
    /// An image or a region; an image becomes the region covering all of it.
    pub fn visual(&self, i: usize) -> Result<Region, Diagnostic> {
        match self.get(i) {
            Value::Region(r) => Ok(r.clone()),
            Value::Image(img) => Ok(Region::whole(img.clone())),
            _ => Err(self.wrong(i, "an image or a region")),
        }
    }
}
