//! Reading files from outside: one bounded, regular-file-only reader for everything dwim reads
//! (programs, images, traces, datasets, stores, samples, checkpoints, tokenizers, metadata).
//!
//! The path is checked before it is opened: a FIFO, a device (`/dev/zero`), a directory or a
//! socket is E502 at once and never blocks or streams forever. The opened file is checked again
//! (it may have been swapped in between) and opened non-blocking, so a FIFO swapped in still cannot
//! hang the open. A missing or unreadable file is E501 naming the path and the OS reason. A whole
//! file is read with a byte cap (E311 naming the path, its size and the cap, checked against the
//! file's size before reading and again while reading, since a file can grow). JSON Lines are
//! streamed one line at a time with a per-line cap (E311 naming `file:line`); a line that does not
//! parse is E504 naming `file:line:col`.

use crate::diag::{Code, Diagnostic};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// E501: a file that cannot be opened or read, with the OS reason.
pub fn cannot_read(path: &Path, e: &std::io::Error) -> Diagnostic {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    Diagnostic::new(Code::E501, format!("cannot read {}: {why}", path.display()))
}

/// E502 unless the metadata is a regular file's.
fn regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), Diagnostic> {
    let ft = meta.file_type();
    if ft.is_file() {
        return Ok(());
    }
    let what = if ft.is_dir() { "a directory" } else { kind_of_special(&ft) };
    Err(Diagnostic::new(Code::E502, format!("{} is {what}, not a regular file", path.display()))
        .help("dwim reads only regular files: not directories, FIFOs, sockets or devices"))
}

#[cfg(unix)]
fn kind_of_special(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind_of_special(_ft: &std::fs::FileType) -> &'static str {
    "not a file"
}

/// `O_NONBLOCK`: opening a FIFO that replaced the file after the check then returns at once.
#[cfg(target_os = "linux")]
pub(crate) const NONBLOCK: i32 = 0o4000;
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) const NONBLOCK: i32 = 0x0004;

fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(NONBLOCK);
    }
    o.open(path)
}

/// Open a regular file for reading: E501 if it cannot be opened, E502 if it is anything else
/// (checked before opening and again on the open file). Returns the file and its size.
pub fn open_regular(path: &Path) -> Result<(File, u64), Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| cannot_read(path, &e))?;
    regular(path, &meta)?;
    let file = open_nonblocking(path).map_err(|e| cannot_read(path, &e))?;
    let meta = file.metadata().map_err(|e| cannot_read(path, &e))?;
    regular(path, &meta)?;
    Ok((file, meta.len()))
}

/// Check a path names a regular file (E501 / E502) without reading it.
pub fn check_regular(path: &Path) -> Result<u64, Diagnostic> {
    open_regular(path).map(|(_, len)| len)
}

fn too_large(path: &Path, size: impl std::fmt::Display, cap: u64) -> Diagnostic {
    Diagnostic::new(Code::E311, format!("{} is {size} bytes; the limit is {cap} bytes", path.display()))
}

/// Read a whole regular file of at most `cap` bytes (E311 beyond it; E501/E502 as above).
pub fn read_bytes(path: &Path, cap: u64) -> Result<Vec<u8>, Diagnostic> {
    let (file, len) = open_regular(path)?;
    if len > cap {
        return Err(too_large(path, len, cap));
    }
    let mut out = Vec::with_capacity(len as usize);
    file.take(cap.saturating_add(1)).read_to_end(&mut out).map_err(|e| cannot_read(path, &e))?;
    if out.len() as u64 > cap {
        return Err(too_large(path, format!("over {cap}"), cap));
    }
    Ok(out)
}

/// [`read_bytes`] as UTF-8 text (E501 naming the path if it is not).
pub fn read_text(path: &Path, cap: u64) -> Result<String, Diagnostic> {
    let bytes = read_bytes(path, cap)?;
    String::from_utf8(bytes).map_err(|e| {
        Diagnostic::new(Code::E501, format!("cannot read {}: not UTF-8 text (invalid byte at offset {})", path.display(), e.utf8_error().valid_up_to()))
    })
}

/// E504: a record that is not what the file should hold, at `file:line`.
pub fn bad_record(path: &Path, line: usize, why: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::new(Code::E504, format!("{}:{line}: {why}", path.display()))
}

/// E504 for a JSON parse error at `file:line:col`.
pub fn bad_json(path: &Path, line: usize, e: &serde_json::Error) -> Diagnostic {
    Diagnostic::new(Code::E504, format!("{}:{line}:{}: {e}", path.display(), e.column()))
}

/// One line of a JSON Lines file, without its newline.
pub struct Line<'a> {
    /// 1-based.
    pub number: usize,
    pub bytes: &'a [u8],
    /// Whether the line ended with `\n` (a final line without one may be torn).
    pub terminated: bool,
    /// Byte offset of the line's start in the file.
    pub offset: u64,
}

impl Line<'_> {
    /// The line as UTF-8 (E504 naming `file:line` if it is not).
    pub fn text(&self, path: &Path) -> Result<&str, Diagnostic> {
        std::str::from_utf8(self.bytes).map_err(|_| bad_record(path, self.number, "not UTF-8 text"))
    }
}

/// Streams the lines of a file, each at most `cap` bytes (E311 naming `file:line` beyond it),
/// holding one line in memory at a time.
pub struct LineReader<R> {
    inner: R,
    path: std::path::PathBuf,
    cap: usize,
    buf: Vec<u8>,
    number: usize,
    offset: u64,
}

impl LineReader<BufReader<File>> {
    /// Open a regular file (E501 / E502) for reading line by line.
    /// The whole file is at most `Limits::max_file_bytes` (E311), each line at most `cap`.
    pub fn open(path: &Path, cap: usize) -> Result<Self, Diagnostic> {
        let (file, len) = open_regular(path)?;
        let max = crate::Limits::default().max_file_bytes;
        if len > max {
            return Err(too_large(path, len, max));
        }
        Ok(LineReader::new(BufReader::with_capacity(64 << 10, file), path, cap))
    }
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, path: &Path, cap: usize) -> Self {
        LineReader { inner, path: path.to_path_buf(), cap, buf: Vec::new(), number: 0, offset: 0 }
    }

    /// The next line, `None` at the end of the file.
    pub fn next_line(&mut self) -> Option<Result<Line<'_>, Diagnostic>> {
        self.buf.clear();
        let start = self.offset;
        let mut terminated = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(cannot_read(&self.path, &e))),
            };
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let body = if done { take - 1 } else { take };
            if self.buf.len() + body > self.cap {
                let n = self.number + 1;
                return Some(Err(Diagnostic::new(Code::E311, format!("{}:{n}: line is over {} bytes, the limit for one record", self.path.display(), self.cap))));
            }
            self.buf.extend_from_slice(&chunk[..body]);
            self.inner.consume(take);
            self.offset += take as u64;
            if done {
                terminated = true;
                break;
            }
        }
        if !terminated && self.buf.is_empty() {
            return None;
        }
        self.number += 1;
        Some(Ok(Line { number: self.number, bytes: &self.buf, terminated, offset: start }))
    }
}

/// Read a JSON Lines file as `T`s, skipping blank lines: E311 for a line over `cap` bytes, E504
/// naming `file:line:col` for one that is not a `T`.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path, cap: usize) -> Result<Vec<T>, Diagnostic> {
    let mut out = Vec::new();
    for_each_json_line(path, cap, |_, v| {
        out.push(v);
        Ok(())
    })?;
    Ok(out)
}

/// Stream a JSON Lines file, calling `f(line_number, record)` for each non-blank line (errors as
/// [`read_jsonl`]).
pub fn for_each_json_line<T: serde::de::DeserializeOwned>(path: &Path, cap: usize, mut f: impl FnMut(usize, T) -> Result<(), Diagnostic>) -> Result<(), Diagnostic> {
    let mut lines = LineReader::open(path, cap)?;
    while let Some(line) = lines.next_line() {
        let line = line?;
        if line.bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let n = line.number;
        let v: T = serde_json::from_slice(line.bytes).map_err(|e| bad_json(path, n, &e))?;
        f(n, v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_file_kinds_have_their_codes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_text(&p, 5).unwrap(), "hello");
        assert_eq!(read_bytes(&p, 4).unwrap_err().code, Code::E311);
        assert_eq!(read_bytes(&dir.path().join("missing"), 10).unwrap_err().code, Code::E501);
        assert_eq!(read_bytes(dir.path(), 10).unwrap_err().code, Code::E502);
        #[cfg(unix)]
        assert_eq!(read_bytes(Path::new("/dev/zero"), 10).unwrap_err().code, Code::E502);
    }

    #[test]
    fn lines_stream_with_a_cap_and_name_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        std::fs::write(&p, "{\"a\":1}\n\n{\"a\":2}\n{\"a\":").unwrap();
        let err = read_jsonl::<serde_json::Value>(&p, 100).unwrap_err();
        assert_eq!(err.code, Code::E504);
        assert!(err.message.contains("a.jsonl:4:"), "{}", err.message);
        std::fs::write(&p, format!("{{\"a\":1}}\n\"{}\"\n", "x".repeat(200))).unwrap();
        let err = read_jsonl::<serde_json::Value>(&p, 100).unwrap_err();
        assert_eq!(err.code, Code::E311);
        assert!(err.message.contains("a.jsonl:2:"), "{}", err.message);
        std::fs::write(&p, "1\n2\n").unwrap();
        assert_eq!(read_jsonl::<u32>(&p, 100).unwrap(), [1, 2]);
    }
}
