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

/// Longest run of text the trainer sees as one sequence: BPE's merge pass costs the length of every
/// distinct word it touches, so one 10 MB "word" would make each of the vocabulary's merges walk
/// 10 MB. Lines are cut at character boundaries into pieces this long (real words are far shorter).
const MAX_TRAIN_PIECE: usize = 64;

/// Train on the lines of `corpus` files (read through [`crate::io`]: regular files only, each line
/// at most `Limits::max_record_bytes`, E311 beyond); `vocab` includes the 256 byte symbols and the
/// specials and is at most `Limits::max_vocab_size` (E505).
pub fn train_bpe(corpus: &[&Path], vocab: usize) -> Result<Tokenizer, Diagnostic> {
    let limits = crate::Limits::default();
    let min = 256 + SPECIALS.len();
    if vocab < min {
        return Err(Diagnostic::new(Code::E505, format!("vocabulary size {vocab} is below the minimum of {min}")));
    }
    if vocab > limits.max_vocab_size {
        return Err(Diagnostic::new(Code::E505, format!("vocabulary size {vocab} is over the limit of {}", limits.max_vocab_size)));
    }
    let mut pieces: Vec<String> = Vec::new();
    for p in corpus {
        let mut lines = crate::io::LineReader::open(p, limits.max_record_bytes)?;
        while let Some(line) = lines.next_line() {
            let line = line?;
            let text = line.text(p)?;
            cut_pieces(text, MAX_TRAIN_PIECE, &mut pieces);
        }
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
    tok.train(&mut trainer, pieces.into_iter()).map_err(tok_err)?;
    Ok(tok)
}

/// `text` with its newline, in pieces of at most `max` bytes cut at character boundaries, preferring
/// a cut just before whitespace so that words stay whole.
fn cut_pieces(text: &str, max: usize, out: &mut Vec<String>) {
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(ws) = rest[..cut].rfind(char::is_whitespace).filter(|&i| i > 0) {
            cut = ws;
        }
        out.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    out.push(format!("{rest}\n"));
}

/// Load a `tokenizer.json` (read through [`crate::io`]; at most `Limits::max_file_bytes`, and a
/// vocabulary over `Limits::max_vocab_size` is E311).
pub fn load(path: &Path) -> Result<Tokenizer, Diagnostic> {
    let limits = crate::Limits::default();
    // Parsing takes about 250 bytes of memory a byte of JSON: the file is read only up to what a
    // vocabulary within the limit needs (real ones take 20–50 bytes a token with their merges).
    let cap = limits.max_file_bytes.min((limits.max_vocab_size as u64).saturating_mul(FILE_BYTES_PER_TOKEN));
    let bytes = crate::io::read_bytes(path, cap)?;
    let tok = Tokenizer::from_bytes(&bytes).map_err(|e| Diagnostic::new(Code::E504, format!("cannot load tokenizer {}: {e}", path.display())))?;
    let n = tok.get_vocab_size(true);
    if n > limits.max_vocab_size {
        return Err(Diagnostic::new(Code::E311, format!("tokenizer {} has {n} tokens; the limit is {}", path.display(), limits.max_vocab_size)));
    }
    // Ids, not only entries: a model's embedding has a row for every id up to the largest.
    if let Some((token, id)) = tok.get_vocab(true).into_iter().max_by_key(|(_, id)| *id).filter(|(_, id)| *id as usize >= limits.max_vocab_size) {
        let token: String = token.chars().take(40).collect();
        return Err(Diagnostic::new(Code::E311, format!("tokenizer {}: token {token:?} has id {id}; ids must stay below the vocabulary limit of {}", path.display(), limits.max_vocab_size)));
    }
    Ok(tok)
}

/// A tokenizer's fingerprint: 16 hex digits of the BLAKE3 hash of its JSON. `dwim mask` records
/// the one its samples were made with; `dwim train` checks the tokenizer it is given against it.
pub fn fingerprint(tok: &Tokenizer) -> String {
    let json = tok.to_string(false).unwrap_or_default();
    blake3::hash(json.as_bytes()).to_hex()[..16].to_string()
}

/// Bytes of `tokenizer.json` read per token of `Limits::max_vocab_size`.
const FILE_BYTES_PER_TOKEN: u64 = 128;

/// Write `tokenizer.json` whole or not at all (through [`crate::output`]: E503 on failure).
pub fn save(tok: &Tokenizer, path: &Path) -> Result<(), Diagnostic> {
    let json = tok.to_string(false).map_err(|e| Diagnostic::new(Code::E503, format!("cannot write tokenizer {}: {e}", path.display())))?;
    crate::output::write_bytes(path, json.as_bytes())
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
        assert_eq!(train_bpe(&[corpus.as_path()], usize::MAX).unwrap_err().code, Code::E505);
        std::fs::remove_dir_all(&dir).ok();
    }
}
