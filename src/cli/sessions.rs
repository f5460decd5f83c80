//! The live sessions of a long-running front end (`dwim serve` over HTTP, `dwim mcp` over MCP):
//! each a [`Conversation`] (the replies `dwim session` gives) over one shared tool set.
//!
//! Bounds: at most `max_sessions` live sessions (E312), each closed after an idle time; images
//! decoded within `max_image_pixels`, uploaded ones shared across sessions by content hash;
//! image paths only inside the operator's root (E505); the per-session limits the front end
//! chose (strict unless asked otherwise).

use dwim::conversation::{error_reply, Conversation};
use dwim::value::Image;
use dwim::{Code, Diagnostic, Limits, Registry, Session, Value};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One live session.
pub struct Live {
    conversation: Mutex<Conversation<'static>>,
    last: Mutex<Instant>,
}

pub struct Store {
    pub registry: &'static Registry,
    pub limits: Limits,
    sessions: Mutex<HashMap<String, Arc<Live>>>,
    /// Decoded images by the BLAKE3 of their bytes (cleared when it holds more than 4 per session).
    images: Mutex<HashMap<String, Image>>,
    root: Option<PathBuf>,
    pub max_sessions: usize,
    next_id: Mutex<u64>,
}

impl Store {
    /// A store over `registry`, which lives as long as the process (one allocation).
    pub fn new(registry: Registry, limits: Limits, root: Option<PathBuf>, max_sessions: usize) -> Store {
        let registry: &'static Registry = Box::leak(Box::new(registry));
        Store { registry, limits, sessions: Mutex::new(HashMap::new()), images: Mutex::new(HashMap::new()), root, max_sessions: max_sessions.max(1), next_id: Mutex::new(0) }
    }

    pub fn len(&self) -> usize {
        self.sessions.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// The `tools` reply: the set, its fingerprint, every signature and the prompt text.
    pub fn tools_reply(&self) -> serde_json::Value {
        let r = self.registry;
        json!({"ok": true, "op": "tools", "set": r.set_name, "fingerprint": r.fingerprint(), "tools": r.signatures().collect::<Vec<_>>(), "prompt": r.prompt(), "skipped": r.skipped})
    }

    /// One image of a create request: uploaded bytes (shared by content hash) or a path inside the root.
    fn image_of(&self, spec: &serde_json::Value, name: &str) -> Result<Image, Diagnostic> {
        if let Some(b64) = spec["base64"].as_str() {
            let bytes = dwim::tools::remote::base64::decode(b64).map_err(|e| Diagnostic::new(Code::E504, format!("image `{name}`: bad base64: {e}")))?;
            let key = blake3::hash(&bytes).to_hex().to_string();
            if let Some(img) = self.images.lock().ok().and_then(|m| m.get(&key).cloned()) {
                return Ok(img);
            }
            let img = Image::decode(&bytes, &self.limits)?;
            if let Ok(mut m) = self.images.lock() {
                if m.len() >= self.max_sessions.saturating_mul(4) {
                    m.clear();
                }
                m.insert(key, img.clone());
            }
            return Ok(img);
        }
        if let Some(p) = spec["path"].as_str() {
            let Some(root) = &self.root else {
                return Err(Diagnostic::new(Code::E505, format!("image `{name}`: this server takes no paths (start it with --root DIR), upload the image as base64")));
            };
            let full = std::fs::canonicalize(root.join(p)).map_err(|e| Diagnostic::new(Code::E501, format!("image `{name}`: {p}: {e}")))?;
            if !full.starts_with(root) {
                return Err(Diagnostic::new(Code::E505, format!("image `{name}`: {p} is outside the server's root")));
            }
            return Image::load(&full, &self.limits);
        }
        Err(Diagnostic::new(Code::E504, format!("image `{name}`: give {{\"base64\": …}} or {{\"path\": …}}")))
    }

    /// A session over the images of `req` (`{"image": IMG}` and/or `{"images": {NAME: IMG}}`),
    /// not yet stored. Blocking: it decodes images.
    pub fn open(&self, req: &serde_json::Value) -> Result<(Vec<String>, Conversation<'static>), Diagnostic> {
        let mut specs: Vec<(String, serde_json::Value)> = Vec::new();
        if !req["image"].is_null() {
            specs.push(("image".into(), req["image"].clone()));
        }
        if let Some(m) = req["images"].as_object() {
            specs.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if specs.is_empty() {
            return Err(Diagnostic::new(Code::E504, "a session needs \"image\" or \"images\""));
        }
        let mut session = Session::new(self.registry, self.limits.clone()).keep_records();
        let mut names = Vec::new();
        for (name, spec) in specs {
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && name.len() <= 64;
            if !ok {
                return Err(Diagnostic::new(Code::E504, format!("image name {name:?} is not a variable name")));
            }
            session.bind(&name, Value::Image(self.image_of(&spec, &name)?));
            names.push(name);
        }
        Ok((names, Conversation::new(session, self.registry)))
    }

    /// Store a conversation under a fresh id (E312 when `max_sessions` are live).
    pub fn insert(&self, conversation: Conversation<'static>) -> Result<String, Diagnostic> {
        let id = {
            let mut n = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *n += 1;
            let h = blake3::hash(format!("{}-{}-{:?}", *n, std::process::id(), Instant::now()).as_bytes());
            h.to_hex()[..16].to_string()
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= self.max_sessions {
            return Err(Diagnostic::new(Code::E312, format!("{} sessions are live, the most this server keeps; close one or wait for one to expire", sessions.len())));
        }
        sessions.insert(id.clone(), Arc::new(Live { conversation: Mutex::new(conversation), last: Mutex::new(Instant::now()) }));
        Ok(id)
    }

    /// The live session `id`, marked as used now (E507 when there is none).
    pub fn get(&self, id: &str) -> Result<Arc<Live>, Diagnostic> {
        let found = self.sessions.lock().ok().and_then(|s| s.get(id).cloned());
        let live = found.ok_or_else(|| Diagnostic::new(Code::E507, format!("no live session {id:?} (closed, expired, or never created)")))?;
        if let Ok(mut t) = live.last.lock() {
            *t = Instant::now();
        }
        Ok(live)
    }

    /// Close session `id` (E507 when there is none).
    pub fn close(&self, id: &str) -> Result<(), Diagnostic> {
        match self.sessions.lock().ok().and_then(|mut s| s.remove(id)) {
            Some(_) => Ok(()),
            None => Err(Diagnostic::new(Code::E507, format!("no live session {id:?}"))),
        }
    }

    /// Close sessions idle longer than `idle`.
    pub fn expire(&self, idle: Duration) {
        if let Ok(mut s) = self.sessions.lock() {
            s.retain(|_, live| live.last.lock().map(|t| t.elapsed() < idle).unwrap_or(false));
        }
    }
}

impl Live {
    /// Answer one request of this session's conversation (blocking: steps run tools).
    pub fn request(&self, req: &serde_json::Value) -> serde_json::Value {
        self.conversation.lock().map(|mut c| c.request(req)).unwrap_or_else(|_| error_reply(None, Diagnostic::new(Code::E499, "this session failed earlier")))
    }
}
