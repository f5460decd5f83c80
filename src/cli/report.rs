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
}

pub fn run(a: ReportArgs) -> Result<Exit, Failure> {
    let images = a.image.iter().map(|p| Image::load(p)).collect::<Result<Vec<_>, _>>().map_err(|d| bad_input(&d))?;
    let n = dwim::report::write_report(&a.trace, &images, &a.html).map_err(|d| bad_input(&d))?;
    let text = std::fs::read_to_string(&a.trace).unwrap_or_default();
    for (img, path) in images.iter().zip(&a.image) {
        if !text.contains(img.hash()) {
            eprintln!("warning: {} ({}) does not appear in the trace; its regions cannot be drawn", path.display(), img.hash());
        }
    }
    println!("wrote {} ({n} steps)", a.html.display());
    Ok(Exit::Ok)
}
