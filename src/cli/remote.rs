//! `--remote` and `--llm`: tools served elsewhere, added on top of the rest of the tool set.

use super::common::{bad_input, Failure};
use dwim::Limits;
use std::path::PathBuf;

/// Add every tool the `--remote` manifests declare (a tool replaces one of the same name), then
/// `llm_query` when `--llm` is given. A manifest that cannot be loaded is an error naming it.
pub fn add_remote(registry: &mut dwim::Registry, sources: &[PathBuf], llm: Option<&str>, limits: &Limits) -> Result<(), Failure> {
    for source in sources {
        for t in dwim::tools::remote::load_source(source, limits).map_err(|d| bad_input(&d))? {
            registry.add(t);
        }
    }
    if let Some(spec) = llm {
        registry.add(std::sync::Arc::new(dwim::tools::remote::LlmQuery::new(spec).map_err(|d| bad_input(&d))?));
    }
    if !sources.is_empty() || llm.is_some() {
        registry.set_name = format!("{}+remote", registry.set_name);
    }
    Ok(())
}
