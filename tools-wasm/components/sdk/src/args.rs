//! Arguments in parameter order (defaults already filled in by the host).

use crate::value::{Image, Region, Value};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub struct Args {
    pub values: Vec<Value>,
}

impl Args {
    pub fn get(&self, i: usize) -> &Value {
        self.values.get(i).unwrap_or(&Value::None)
    }
    fn wrong(&self, i: usize, want: &str) -> String {
        format!("argument {} must be {want}, got {}", i + 1, self.get(i).kind())
    }
    pub fn number(&self, i: usize) -> Result<f64, String> {
        match self.get(i) {
            Value::Number(n) => Ok(*n),
            _ => Err(self.wrong(i, "a number")),
        }
    }
    pub fn bool(&self, i: usize) -> Result<bool, String> {
        match self.get(i) {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(i, "a bool")),
        }
    }
    pub fn text(&self, i: usize) -> Result<&str, String> {
        match self.get(i) {
            Value::Text(t) => Ok(t),
            _ => Err(self.wrong(i, "text")),
        }
    }
    pub fn list(&self, i: usize) -> Result<&[Value], String> {
        match self.get(i) {
            Value::List(l) => Ok(l),
            _ => Err(self.wrong(i, "a list")),
        }
    }
    pub fn image(&self, i: usize) -> Result<&Image, String> {
        match self.get(i) {
            Value::Image(img) => Ok(img),
            Value::Region(r) => Ok(&r.image),
            _ => Err(self.wrong(i, "an image")),
        }
    }
    /// An image or a region; an image becomes the region covering all of it.
    pub fn visual(&self, i: usize) -> Result<Region, String> {
        match self.get(i) {
            Value::Region(r) => Ok(r.clone()),
            Value::Image(img) => Ok(Region::whole(img.clone())),
            _ => Err(self.wrong(i, "an image or a region")),
        }
    }
}
