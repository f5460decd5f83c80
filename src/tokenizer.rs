//! A byte-level BPE tokenizer trained on a text corpus (for models trained from scratch), saved as a
//! Hugging Face `tokenizer.json`. Byte-level means any text encodes, with no unknown token.
//!
//! Pre-tokenization isolates runs of whitespace, words, numbers and single punctuation marks before
//! the byte-level mapping, so a word is the same token wherever it stands: `gray` in
//! `Question: … the gray triangle` and in `detect(image, "gray triangle")` (GPT-2's splitting makes
//! them ` gray` and `gray`, and a small model trained from scratch then fails to copy the question's
//! words into its steps).

use crate::diag::{Code, Diagnostic};
use std::path::Path;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::TrainerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::Split;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::SplitDelimiterBehavior;
use tokenizers::{AddedToken, Tokenizer};

/// Special tokens, in id order 0, 1, 2: end of text (also padding), then ChatML turn markers (as in
/// SmolLM2), so that prompts look the same for the tiny model and the pretrained one.
pub const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The pieces BPE merges within: whitespace runs, words, numbers, one punctuation mark.
const PIECES: &str = r"\s+|\p{L}+|\p{N}+|[^\s\p{L}\p{N}]";

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
    let split = Split::new(tokenizers::pre_tokenizers::split::SplitPattern::Regex(PIECES.into()), SplitDelimiterBehavior::Isolated, false).map_err(tok_err)?;
    tok.with_pre_tokenizer(Some(Sequence::new(vec![PreTokenizerWrapper::Split(split), PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, false))])));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_one_token_in_the_question_and_in_a_string_literal() {
        let dir = std::env::temp_dir().join(format!("dwim-tok-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let corpus = dir.join("corpus.txt");
        let line = "Question: Is there a gray triangle?\nStep 1: objs = detect(image, \"gray triangle\")\nResult 1: objs = [region(10, 20, 30, 40, \"gray triangle\")]\n";
        std::fs::write(&corpus, line.repeat(50)).unwrap();
        let tok = train_bpe(&[corpus.as_path()], 300).unwrap();
        let ids = encode(&tok, line).unwrap();
        assert_eq!(decode(&tok, &ids).unwrap(), line, "decoding restores the text byte for byte");
        let gray = encode(&tok, "gray").unwrap();
        assert_eq!(gray.len(), 1, "a frequent word merges into one token");
        let n = ids.iter().filter(|&&i| i == gray[0]).count();
        assert_eq!(n, 3, "`gray` after a space and after a quote is the same token");
        std::fs::remove_dir_all(&dir).ok();
    }
}
