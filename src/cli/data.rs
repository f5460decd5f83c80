//! `--data` for every command that reads questions, and `dwim data inspect|convert`.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::data::inspect::{convert, inspect};
use dwim::data::{DataFormat, DataOptions, Dataset};
use std::path::{Path, PathBuf};

/// How a dataset is read: shared by collect, eval, ablate, agent and bench-world.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReadArgs {
    /// The format, instead of detecting it from what is there.
    #[arg(long = "data-format", value_enum, value_name = "FORMAT")]
    pub data_format: Option<DataFormat>,
    /// Read image paths that leave the dataset directory (absolute, `../`, symlinks pointing out);
    /// without it they are error E509.
    #[arg(long = "allow-outside-images")]
    pub allow_outside_images: bool,
}

impl ReadArgs {
    pub fn options(&self) -> DataOptions {
        DataOptions { format: self.data_format, allow_outside_images: self.allow_outside_images }
    }
    pub fn load(&self, path: &Path) -> Result<Dataset, Failure> {
        Dataset::load_with(path, &self.options()).map_err(|d| bad_input(&d))
    }
}

/// `--data PATH` with its reading flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// The dataset: a bench-world, GQA-style or RefCOCO-style directory, a directory with one
    /// .jsonl, or a question file (.json / .jsonl). The format is detected; see docs/datasets.md.
    #[arg(long = "data", value_name = "PATH")]
    pub data: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl DataArgs {
    pub fn load(&self) -> Result<Dataset, Failure> {
        self.read.load(&self.data)
    }
}

#[derive(clap::Args)]
pub struct DataCmdArgs {
    #[command(subcommand)]
    pub cmd: DataCmd,
}

#[derive(clap::Subcommand)]
pub enum DataCmd {
    /// What a dataset holds: format, questions by split and family, programs, annotations,
    /// missing or unreadable images, image paths outside it, duplicate ids. Exit 2 if any problem.
    #[command(after_help = "Examples:\n  dwim data inspect bench\n  dwim data inspect gqa/ --format json\n  dwim data inspect refs.jsonl --data-format refcoco")]
    Inspect {
        path: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write a dataset as plain JSON Lines (one question a line). Image paths are written relative
    /// to the output file's directory (`../…` when the images lie elsewhere, which then needs
    /// --allow-outside-images to read back; put the output inside the dataset to avoid that).
    /// Scene annotations are not carried over.
    #[command(after_help = "Examples:\n  dwim data convert gqa/ --out gqa/all.jsonl\n  dwim data convert bench --out bench/questions-plain.jsonl")]
    Convert {
        path: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(a: DataCmdArgs) -> Result<Exit, Failure> {
    match a.cmd {
        DataCmd::Inspect { path, read, format } => {
            let r = inspect(&path, &read.options()).map_err(|d| bad_input(&d))?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&r).unwrap_or_default()),
                Format::Human => print!("{}", r.human()),
            }
            Ok(if r.ok() { Exit::Ok } else { Exit::BadInput })
        }
        DataCmd::Convert { path, out, read, format } => {
            super::common::check_output_path("--out", &out)?;
            let ds = read.load(&path)?;
            let n = convert(&ds, &out).map_err(|d| bad_input(&d))?;
            match format {
                Format::Json => println!("{}", serde_json::json!({"format": ds.format.name(), "questions": n, "out": out.display().to_string()})),
                Format::Human => println!("{n} questions ({} dataset) → {}", ds.format.name(), out.display()),
            }
            Ok(Exit::Ok)
        }
    }
}
