//! `--remote` and `--llm`: tools served elsewhere, added on top of the rest of the tool set.

use super::common::{bad_input, Failure};
use dwim::Limits;
use std::path::PathBuf;

/// Add every tool the `--remote` manifests declare, then `llm_query` when `--llm` is given. A
/// manifest that cannot be loaded is an error naming it; a name already in the set is E506
/// unless `--override` names it.
pub fn add_remote(registry: &mut dwim::Registry, sources: &[PathBuf], llm: Option<&str>, limits: &Limits, overrides: &dwim::tools::Overrides) -> Result<(), Failure> {
    use dwim::tools::{Origin, ToolKind};
    for source in sources {
        for t in dwim::tools::remote::load_source(source, limits).map_err(|d| bad_input(&d))? {
            registry.add_from(t, Origin::new(ToolKind::Remote, source.display().to_string()), overrides).map_err(|d| bad_input(&d))?;
        }
    }
    if let Some(spec) = llm {
        let tool = std::sync::Arc::new(dwim::tools::remote::LlmQuery::new(spec).map_err(|d| bad_input(&d))?);
        registry.add_from(tool, Origin::new(ToolKind::Remote, spec.to_string()), overrides).map_err(|d| bad_input(&d))?;
    }
    if !sources.is_empty() || llm.is_some() {
        registry.set_name = format!("{}+remote", registry.set_name);
    }
    Ok(())
}
