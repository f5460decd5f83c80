//! The `benchmark-wasm` tool set: the built-in tools plus the benchmark's perception tools as
//! sandboxed WASM plugins (`tools-wasm/plugins/perception/*`, built by `tools-wasm/build.sh`
//! into `tools-wasm/dist/perception/`). The binaries are embedded in dwim, so the set works from
//! any directory; their signatures equal the native `benchmark` set's (checked at load), so a
//! program runs unchanged on either.

use super::signatures;
use crate::diag::{Code, Diagnostic};
use crate::tools::wasm::{LoadOptions, Manifest, WasmTool};
use crate::tools::{Registry, ToolKind};
use std::path::Path;
use std::sync::Arc;

/// What the plugins' docs say instead of the native set's "pixel perception".
pub const WHO: &str = "pixel perception, WASM";

macro_rules! plugin {
    ($name:literal) => {
        ($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tools-wasm/dist/perception/", $name, ".wasm")) as &[u8])
    };
}

/// The embedded plugins, in the order of [`signatures`].
pub const PLUGINS: [(&str, &[u8]); 5] = [plugin!("detect"), plugin!("color"), plugin!("shape"), plugin!("read_text"), plugin!("vqa")];

/// Load the embedded perception plugins (default manifest: the host's limits). Each must
/// describe exactly the signature of its native twin, else E409.
pub fn perception_plugins(opts: &LoadOptions) -> Result<Vec<Arc<WasmTool>>, Diagnostic> {
    PLUGINS
        .iter()
        .zip(signatures(ToolKind::Wasm, WHO).iter())
        .map(|((name, bytes), want)| twin(&format!("tools-wasm/dist/perception/{name}.wasm"), bytes, want, opts))
        .collect()
}

/// Load the perception plugins from `dir/NAME.wasm` (freshly rebuilt ones, e.g. by
/// `tools-wasm/build.sh --check`) with the same checks and vocabularies as the embedded ones.
pub fn perception_plugins_in(dir: &Path, opts: &LoadOptions) -> Result<Vec<Arc<WasmTool>>, Diagnostic> {
    PLUGINS
        .iter()
        .zip(signatures(ToolKind::Wasm, WHO).iter())
        .map(|((name, _), want)| {
            let path = dir.join(format!("{name}.wasm"));
            let bytes = crate::io::read_bytes(&path, crate::Limits::default().max_plugin_bytes as u64)?;
            twin(&path.display().to_string(), &bytes, want, opts)
        })
        .collect()
}

/// One plugin that must describe `want` (but for the vocabularies, which the SDK cannot
/// declare: the host gives the plugin its native twin's).
fn twin(path: &str, bytes: &[u8], want: &crate::tools::Signature, opts: &LoadOptions) -> Result<Arc<WasmTool>, Diagnostic> {
    let mut tool = WasmTool::load_bytes(Path::new(path), bytes, Manifest::default(), opts)?;
    let mut bare = want.clone();
    bare.params.iter_mut().for_each(|p| p.vocab.clear());
    if crate::tools::Tool::signature(&tool) != &bare {
        return Err(Diagnostic::new(
            Code::E409,
            format!("{path}: describes `{}`, but the benchmark needs `{}`", crate::tools::Tool::signature(&tool).render(), want.render()),
        )
        .help("rebuild the plugins with tools-wasm/build.sh"));
    }
    tool.adopt_vocabulary(want);
    Ok(Arc::new(tool))
}

/// The `benchmark-wasm` tool set: built-in tools plus the perception plugins.
pub fn benchmark_wasm(opts: &LoadOptions) -> Result<Registry, Diagnostic> {
    let mut r = Registry::builtin();
    r.set_name = "benchmark-wasm".into();
    for t in perception_plugins(opts)? {
        r.add(t);
    }
    Ok(r)
}
