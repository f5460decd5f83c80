//! The `dwim` command line. Exit codes: 0 success, 1 a program or tool error, 2 bad usage or input.

#[cfg(feature = "train")]
mod agent;
mod bench_world;
mod check;
mod collect;
mod common;
mod data;
mod mask;
mod replay;
mod report;
mod run;
mod scene;
#[cfg(feature = "serve")]
mod mcp;
#[cfg(feature = "serve")]
mod mcp_lines;
#[cfg(feature = "serve")]
mod serve;
#[cfg(feature = "serve")]
mod sessions;
mod session;
mod tools;
#[cfg(feature = "train")]
mod train;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub use common::{Exit, Failure};

#[derive(Parser)]
#[command(name = "dwim", version, about = "Tool-aware visual reasoning: typed workflows, sandboxed tools, traces",
    after_help = "Examples:\n  dwim scene --out scene.png\n  dwim check programs/count_red.wf\n  dwim run programs/count_red.wf --image scene.png --trace run.jsonl\n  dwim replay run.jsonl\n  dwim tools --format json\n  dwim run prog.wf --image scene.png --plugins tools-wasm/dist\n  dwim run prog.wf --image scene.png --tools benchmark-wasm\n  dwim run prog.wf --image photo.jpg --native ~/models --device cpu --dtype f32\n  dwim tools --native ~/models\n\nExit codes: 0 success, 1 the program or a tool failed, 2 bad usage, unreadable input or unwritable output.\nError codes: E0xx parse, E1xx check, E2xx runtime, E3xx limits, E4xx tools and endpoints, E5xx files and\ncommand-line values, E6xx training. Every code is listed in docs/errors.md.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Parse and check a workflow without running any tool.
    #[command(after_help = "Examples:\n  dwim check programs/count_red.wf\n  dwim check broken.wf --format json   # diagnostics a model can read")]
    Check {
        program: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Use the strict limits meant for model-written programs.
        #[arg(long)]
        strict: bool,
        /// Do not require the program to end with `answer`.
        #[arg(long)]
        no_answer: bool,
        /// The names of the program's input images (repeatable; default `image`).
        #[arg(long = "input", value_name = "NAME")]
        inputs: Vec<String>,
        #[command(flatten)]
        tools: common::ToolArgs,
    },
    /// Run a workflow on an image, step by step; optionally write a JSON Lines trace.
    #[command(after_help = "Examples:\n  dwim run programs/count_red.wf --image scene.png\n  dwim run prog.wf --image photo.jpg --trace out/run.jsonl --format json\n  dwim run prog.wf --image photo.jpg --native ~/models            # native tools with weights there\n  dwim run prog.wf --image photo.jpg --native-tools depth,vqa     # require them (hub download when online)\n  dwim run same.wf --image left=a.png --image right=b.png          # two images, bound to `left` and `right`")]
    Run {
        program: PathBuf,
        /// The input image (PNG or JPEG), bound to the variable `image`; or, repeated, `NAME=PATH`
        /// for several images bound to their names (`--image left=a.png --image right=b.png`).
        #[arg(long, required = true)]
        image: Vec<String>,
        /// Write one JSON record per step to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Use the strict limits meant for model-written programs.
        #[arg(long)]
        strict: bool,
        #[command(flatten)]
        tools: common::ToolArgs,
    },
    /// List the tools of the current tool set with their signatures.
    #[command(after_help = "Examples:\n  dwim tools\n  dwim tools --format json\n  dwim tools --native ~/models   # adds the native tools whose weights are there, and says which are missing")]
    Tools {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[command(flatten)]
        tools: common::ToolArgs,
    },
    /// One conversation over stdin/stdout as JSON lines: step, check, tools, trace, close.
    Session(session::SessionArgs),
    /// Sessions over HTTP/JSON: create, step, check, trace, close; tools; health (docs/serve.md).
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// A Model Context Protocol server over stdio: sessions and the tool listing as MCP tools.
    #[cfg(feature = "serve")]
    Mcp(mcp::McpArgs),
    /// Re-print a run from its trace without running any tool.
    #[command(after_help = "Examples:\n  dwim replay run.jsonl\n  dwim replay run.jsonl --format json")]
    Replay {
        trace: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Draw a small demo scene (coloured shapes) to try workflows on.
    #[command(after_help = "Examples:\n  dwim scene --out scene.png --seed 7")]
    Scene {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// The built-in visual reasoning benchmark: generate scenes and questions, score tools.
    BenchWorld(bench_world::BenchWorldArgs),
    /// Render a trace as a standalone HTML visual rationale.
    Report(report::ReportArgs),
    /// Datasets: inspect what a dataset holds, convert it to plain JSON Lines.
    Data(data::DataCmdArgs),
    /// DW collection: a teacher writes workflows for training questions; viable ones are kept.
    Collect(collect::Args),
    /// Collected workflows → instruct-masked training samples (input ids + labels).
    Mask(mask::Args),
    /// Let a trained policy answer a question about an image, step by step.
    #[cfg(feature = "train")]
    Agent(agent::AgentArgs),
    /// Accuracy of a trained policy on a dataset split (shardable; `--merge` joins shards).
    #[cfg(feature = "train")]
    Eval(agent::EvalArgs),
    /// DWIM's ablation table (SFT vs IM, with and without DW) on a dataset with reference programs.
    #[cfg(feature = "train")]
    Ablate(agent::AblateArgs),
    /// Fine-tune a model on masked samples (JSONL input_ids + labels) with candle.
    #[cfg(feature = "train")]
    #[command(after_help = "Examples:\n  dwim train --data samples.jsonl --tokenizer tokenizer.json --model tiny --out runs/im\n  dwim train --data samples.jsonl --model runs/im --lora 16 --out runs/lora --steps 100\n  dwim train --data samples.jsonl --out runs/im --resume")]
    Train(train::TrainArgs),
    /// Tokenizer tools.
    #[cfg(feature = "train")]
    Tokenizer {
        #[command(subcommand)]
        cmd: train::TokenizerCmd,
    },
}

pub fn dispatch(cli: Cli) -> Result<Exit, Failure> {
    match cli.command {
        Command::Check { program, format, strict, no_answer, inputs, tools } => check::run(&program, format, strict, !no_answer, &inputs, &tools),
        Command::Run { program, image, trace, format, strict, tools } => {
            run::run(&program, &image, trace.as_deref(), format, strict, &tools)
        }
        Command::Tools { format, tools } => tools::run(format, &tools),
        Command::Session(a) => session::run(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(a),
        #[cfg(feature = "serve")]
        Command::Mcp(a) => mcp::run(a),
        Command::Replay { trace, format } => replay::run(&trace, format),
        Command::Scene { out, seed } => scene::run(&out, seed),
        Command::BenchWorld(a) => bench_world::run(a),
        Command::Report(a) => report::run(a),
        Command::Data(a) => data::run(a),
        Command::Collect(a) => collect::run_cli(a),
        Command::Mask(a) => mask::run_cli(a),
        #[cfg(feature = "train")]
        Command::Agent(a) => agent::agent(a),
        #[cfg(feature = "train")]
        Command::Eval(a) => agent::eval(a),
        #[cfg(feature = "train")]
        Command::Ablate(a) => agent::run_ablate(a),
        #[cfg(feature = "train")]
        Command::Train(a) => train::run(a),
        #[cfg(feature = "train")]
        Command::Tokenizer { cmd } => train::tokenizer(cmd),
    }
}
