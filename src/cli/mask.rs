//! `dwim mask`: collected workflows → instruct-masked (or SFT/random/rethink) training samples,
//! tokenized (input ids + labels with −100), plus chat JSONL for TRL/axolotl.

use super::common::{bad_input, Exit, Failure};
use super::Format;
use dwim::diag::{Code, Diagnostic};
use dwim::pipeline::mask::{samples_with, Context, Mode};
use dwim::pipeline::render::system_prompt;
use dwim::pipeline::store::read_all;
use dwim::pipeline::tokenize::{encode_within, window_bytes};
use dwim::pipeline::Workflow;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(mut_arg("tools", |a| a.default_value("benchmark")))]
#[command(after_help = "Examples:\n  dwim mask --traces dw --mode im --tokenizer new:2048 --out data/im.jsonl\n  dwim mask --traces dw --mode sft --tokenizer tokenizer.json --out data/sft.jsonl --chat data/sft.chat.jsonl")]
pub struct Args {
    /// Directory of collected workflows (`dwim collect --out`).
    #[arg(long)]
    pub traces: PathBuf,
    #[arg(long, value_enum, default_value = "im")]
    pub mode: Mode,
    /// `full`: the masked step's sample shows the whole workflow (DWIM's form); `prefix`: only the
    /// steps before it, as the agent sees at inference (use it for small models trained from scratch);
    /// `packed`: the prefix form as one conversation per workflow (same supervision, fewer tokens).
    #[arg(long, value_enum, default_value = "full")]
    pub context: Context,
    /// A tokenizer.json, `gguf:FILE` (the BPE a GGUF model carries, e.g. SmolLM2), or `new:VOCAB` to
    /// train a byte-level BPE on the samples (saved beside --out).
    #[arg(long)]
    pub tokenizer: String,
    #[arg(long)]
    pub out: PathBuf,
    /// Also write chat-format JSONL (Hugging Face TRL / axolotl) here.
    #[arg(long)]
    pub chat: Option<PathBuf>,
    /// Longest sample in tokens; context is cut from the front, targets are kept.
    #[arg(long, default_value_t = 512)]
    pub max_len: usize,
    /// `full` lists every tool in the prompt; `short` only the instruction; `minimal` one line (for
    /// models trained from scratch, to which the tool list says nothing).
    #[arg(long, default_value = "full")]
    pub prompt: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The tool set `--prompt full` lists (default `benchmark` here: the set `dwim collect` uses by default).
    #[command(flatten)]
    pub tools: super::common::ToolArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// The system text of samples and of the agent's prompt, for a prompt style; `full` lists the
/// tools of `tools`.
pub fn system_for(style: &str, tools: &dwim::Registry) -> String {
    match style {
        "short" => system_prompt("(see `dwim tools`)"),
        "minimal" => dwim::pipeline::render::MINIMAL_SYSTEM.to_string(),
        _ => system_prompt(&tools.prompt()),
    }
}

/// Bytes of each sample's end a new tokenizer learns from.
const CORPUS_BYTES: usize = 64 << 10;

/// The last at most `max` bytes of `t`, starting on a character boundary.
fn tail(t: &str, max: usize) -> &str {
    let mut cut = t.len().saturating_sub(max);
    while !t.is_char_boundary(cut) {
        cut += 1;
    }
    &t[cut..]
}

fn write_lines(path: &Path, lines: impl Iterator<Item = String>) -> Result<(), Diagnostic> {
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|e| Diagnostic::new(Code::E503, format!("{}: {e}", d.display())))?;
    }
    dwim::output::write_atomic(path, |f| {
        for l in lines {
            writeln!(f, "{l}")?;
        }
        Ok(())
    })
}

/// `new:VOCAB`'s size, checked against `Limits::max_vocab_size` (E505) before any work is done.
fn new_vocab(spec: &str) -> Result<Option<usize>, Failure> {
    let Some(v) = spec.strip_prefix("new:") else { return Ok(None) };
    let max = dwim::Limits::default().max_vocab_size;
    let bad = |why: String| bad_input(&Diagnostic::new(Code::E505, format!("--tokenizer {spec}: {why}")));
    let vocab: usize = v.parse().map_err(|_| bad(format!("the vocabulary size must be a number from 259 to {max}")))?;
    if !(259..=max).contains(&vocab) {
        return Err(bad(format!("vocabulary size {vocab} is outside 259..={max}")));
    }
    Ok(Some(vocab))
}

pub fn run_cli(a: Args) -> Result<Exit, Failure> {
    if !(2..=1 << 20).contains(&a.max_len) {
        return Err(super::common::coded(Code::E505, format!("--max-len {}: 2 to 1048576 tokens (a sample needs an input and a label)", a.max_len)));
    }
    let new_vocab = new_vocab(&a.tokenizer)?;
    super::common::check_output_path("--out", &a.out)?;
    if let Some(c) = &a.chat {
        super::common::check_output_path("--chat", c)?;
    }
    let workflows: Vec<Workflow> = read_all(&a.traces, "workflows", |w: &Workflow| &w.id).map_err(|d| bad_input(&d))?;
    let limits = dwim::Limits::strict();
    for w in &workflows {
        dwim::pipeline::mask::check_workflow(w, &limits).map_err(|d| bad_input(&d))?;
    }
    let system = if a.prompt == "short" || a.prompt == "minimal" { system_for(&a.prompt, &dwim::Registry::builtin()) } else { system_for(&a.prompt, &super::common::registry(&a.tools)?) };
    // Samples are made one workflow at a time, for each pass: a workflow's samples repeat its
    // text (up to steps × max_record_bytes), so all of them at once would not be bounded.
    let all = || workflows.iter().flat_map(|w| samples_with(w, a.mode, a.context, &system, a.seed));
    let tok = if let Some(vocab) = new_vocab {
        let corpus = a.out.with_extension("corpus.txt");
        // The tokenizer learns from the last CORPUS_BYTES of each sample (what training can keep).
        write_lines(&corpus, all().map(|s| { let t = s.text(); tail(&t, CORPUS_BYTES).to_string() })).map_err(|d| bad_input(&d))?;
        let tok = dwim::tokenizer::train_bpe(&[corpus.as_path()], vocab).map_err(|d| bad_input(&d))?;
        let _ = std::fs::remove_file(&corpus);
        dwim::tokenizer::save(&tok, &a.out.with_file_name("tokenizer.json")).map_err(|d| bad_input(&d))?;
        tok
    } else if let Some(p) = a.tokenizer.strip_prefix("gguf:") {
        load_gguf_tokenizer(Path::new(p))?
    } else {
        dwim::tokenizer::load(Path::new(&a.tokenizer)).map_err(|d| bad_input(&d))?
    };
    let mut encoded = Vec::new();
    let mut dropped = 0;
    let window = window_bytes(&tok, a.max_len);
    for s in all() {
        match encode_within(&s, &tok, a.max_len, window).map_err(|d| bad_input(&d))? {
            Some(e) => encoded.push(e),
            None => dropped += 1,
        }
    }
    write_lines(&a.out, encoded.iter().map(|e| serde_json::to_string(e).unwrap_or_default())).map_err(|d| bad_input(&d))?;
    // Beside the samples: how a policy trained on them is prompted (`dwim train` copies it).
    let format = if a.context.conversation(a.mode) { "sft" } else { "im" };
    // Written last: a run killed part way leaves a fingerprint that no longer matches, and
    // `dwim train` refuses the pair instead of training on ids of another tokenizer.
    let meta = serde_json::json!({"format": format, "system": system, "tokenizer": dwim::tokenizer::fingerprint(&tok)});
    write_lines(&a.out.with_extension("policy.json"), std::iter::once(meta.to_string())).map_err(|d| bad_input(&d))?;
    if let Some(chat) = &a.chat {
        write_lines(chat, all().map(|s| dwim::pipeline::export::chat_json(&s, &system).to_string())).map_err(|d| bad_input(&d))?;
    }
    let viable = workflows.iter().filter(|w| w.viable).count();
    let tokens: usize = encoded.iter().map(|e| e.input_ids.len()).sum();
    let targets: usize = encoded.iter().map(|e| e.labels.iter().filter(|&&l| l >= 0).count()).sum();
    match a.format {
        Format::Json => println!("{}", serde_json::json!({"mode": a.mode.name(), "workflows": workflows.len(), "viable": viable,
            "samples": encoded.len(), "dropped_too_long": dropped, "tokens": tokens, "target_tokens": targets})),
        Format::Human => println!("{} workflows ({} viable) → {} {} samples ({} dropped as too long), {} tokens, {} supervised → {}",
            workflows.len(), viable, encoded.len(), a.mode.name(), dropped, tokens, targets, a.out.display()),
    }
    Ok(Exit::Ok)
}

#[cfg(feature = "train")]
fn load_gguf_tokenizer(p: &Path) -> Result<tokenizers::Tokenizer, Failure> {
    dwim::train::gguf::load_tokenizer(p).map_err(|d| bad_input(&d))
}

#[cfg(not(feature = "train"))]
fn load_gguf_tokenizer(_: &Path) -> Result<tokenizers::Tokenizer, Failure> {
    Err(super::common::coded(dwim::Code::E505, "gguf tokenizers need a build with the `train` feature"))
}
