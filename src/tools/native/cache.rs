//! Models are loaded once per process and shared (across steps, sessions and threads), keyed by
//! kind, weight paths, device and precision.

use crate::diag::Diagnostic;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Slot = Arc<OnceLock<Arc<dyn Any + Send + Sync>>>;

fn slots() -> &'static Mutex<HashMap<String, Slot>> {
    static SLOTS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    SLOTS.get_or_init(Default::default)
}

/// The model cached under `key`, loading it with `load` on first use. Concurrent first calls for
/// the same key load once; a failed load is not cached (the next call retries).
pub fn shared<T, F>(key: &str, load: F) -> Result<Arc<T>, Diagnostic>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Result<T, Diagnostic>,
{
    let slot = {
        let mut map = slots().lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_string()).or_default().clone()
    };
    // One load at a time, so that two threads never both load the same weights (and peak
    // memory stays that of one model load).
    static LOADING: Mutex<()> = Mutex::new(());
    if slot.get().is_none() {
        let _guard = LOADING.lock().unwrap_or_else(|p| p.into_inner());
        if slot.get().is_none() {
            let model: Arc<dyn Any + Send + Sync> = Arc::new(load()?);
            let _ = slot.set(model);
        }
    }
    let Some(any) = slot.get().cloned() else {
        return Err(Diagnostic::new(crate::diag::Code::E499, format!("model cache slot {key} is empty")));
    };
    any.downcast::<T>().map_err(|_| Diagnostic::new(crate::diag::Code::E499, format!("model cache key {key} holds another type")))
}

/// How many models are loaded (for tests and `dwim tools --native`).
pub fn loaded() -> usize {
    slots().lock().map(|m| m.values().filter(|s| s.get().is_some()).count()).unwrap_or(0)
}
