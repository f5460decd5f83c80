//! A byte-level BPE tokenizer trained on a text corpus (for models trained from scratch), saved as a
//! Hugging Face `tokenizer.json`. Byte-level means any text encodes, with no unknown token.

use crate::diag::{Code, Diagnostic};
use std::path::Path;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::TrainerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, Tokenizer};

/// Special tokens, in id order 0, 1, 2: end of text (also padding), then ChatML turn markers (as in
/// SmolLM2), so that prompts look the same for the tiny model and the pretrained one.
pub const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

fn tok_err(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E402, format!("tokenizer: {e}"))
}

/// Train on the lines of `corpus` files; `vocab` includes the 256 byte symbols and the specials.
pub fn train_bpe(corpus: &[&Path], vocab: usize) -> Result<Tokenizer, Diagnostic> {
    let min = 256 + SPECIALS.len();
    if vocab < min {
        return Err(Diagnostic::new(Code::E402, format!("vocabulary size {vocab} is below the minimum of {min}")));
    }
    let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
        .vocab_size(vocab)
        .min_frequency(2)
        .show_progress(false)
        .special_tokens(SPECIALS.iter().map(|s| AddedToken::from(s.to_string(), true)).collect())
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build()
        .into();
    let mut tok = Tokenizer::new(BPE::default());
    tok.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
    tok.with_decoder(Some(ByteLevel::default()));
    let files = corpus.iter().map(|p| p.display().to_string()).collect();
    for p in corpus {
        if !p.is_file() {
            return Err(Diagnostic::new(Code::E402, format!("cannot read corpus {}", p.display())));
        }
    }
    tok.train_from_files(&mut trainer, files).map_err(tok_err)?;
    Ok(tok)
}

pub fn load(path: &Path) -> Result<Tokenizer, Diagnostic> {
    Tokenizer::from_file(path).map_err(|e| Diagnostic::new(Code::E402, format!("cannot load tokenizer {}: {e}", path.display())))
}

pub fn save(tok: &Tokenizer, path: &Path) -> Result<(), Diagnostic> {
    tok.save(path, false).map_err(tok_err)
}

pub fn encode(tok: &Tokenizer, text: &str) -> Result<Vec<u32>, Diagnostic> {
    Ok(tok.encode(text, false).map_err(tok_err)?.get_ids().to_vec())
}

pub fn decode(tok: &Tokenizer, ids: &[u32]) -> Result<String, Diagnostic> {
    tok.decode(ids, false).map_err(tok_err)
}
