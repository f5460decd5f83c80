//! `dwim report TRACE --html OUT.html [--image IMG]...`: the visual rationale of a run.

use super::common::{bad_input, Exit, Failure};
use dwim::value::Image;
use std::path::PathBuf;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dwim run prog.wf --image scene.png --trace run.jsonl\n  dwim report run.jsonl --html run.html --image scene.png")]
pub struct ReportArgs {
    /// A JSON Lines trace written by `dwim run --trace` (or any dwim session).
    pub trace: PathBuf,
    /// Where to write the standalone HTML page.
    #[arg(long)]
    pub html: PathBuf,
    /// The image(s) the run looked at; matched to the trace by content hash. Without one, regions
    /// are listed as text only.
    #[arg(long)]
    pub image: Vec<PathBuf>,
    /// Treat TRACE as collected workflows (`dwim collect` output) and render this question's
    /// workflow, with its κ flags.
    #[arg(long)]
    pub workflow: Option<String>,
}

pub fn run(a: ReportArgs) -> Result<Exit, Failure> {
    super::common::check_output_path("--html", &a.html)?;
    let images = a.image.iter().map(|p| Image::load(p, &dwim::Limits::default())).collect::<Result<Vec<_>, _>>().map_err(|d| bad_input(&d))?;
    let mut trace = a.trace.clone();
    let _tmp;
    if let Some(id) = &a.workflow {
        let mut found = None;
        dwim::io::for_each_json_line(&a.trace, dwim::Limits::default().max_record_bytes, |_, w: dwim::pipeline::Workflow| {
            if &w.id == id && found.is_none() {
                found = Some(w);
            }
            Ok(())
        })
        .map_err(|d| bad_input(&d))?;
        let w = found.ok_or_else(|| bad_input(&dwim::Diagnostic::new(dwim::Code::E504, format!("{}: no workflow with id {id:?}", a.trace.display()))))?;
        let dir = tempfile_dir().map_err(|e| bad_input(&dwim::Diagnostic::new(dwim::Code::E503, format!("scratch directory: {e}"))))?;
        trace = dir.join("steps.jsonl");
        let lines: String = w.steps.iter().map(|r| serde_json::to_string(r).unwrap_or_default() + "\n").collect();
        std::fs::write(&trace, lines).map_err(|e| bad_input(&dwim::Diagnostic::new(dwim::Code::E503, format!("{}: {e}", trace.display()))))?;
        _tmp = TempDir(dir);
    }
    let n = dwim::report::write_report(&trace, &images, &a.html).map_err(|d| bad_input(&d))?;
    let text = dwim::io::read_text(&trace, dwim::Limits::default().max_file_bytes).unwrap_or_default();
    for (img, path) in images.iter().zip(&a.image) {
        if !text.contains(img.hash()) {
            eprintln!("warning: {} ({}) does not appear in the trace; its regions cannot be drawn", path.display(), img.hash());
        }
    }
    println!("wrote {} ({n} steps)", a.html.display());
    Ok(Exit::Ok)
}

/// A scratch directory removed when dropped.
struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> std::io::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("dwim-report-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
