//! Resumable, shardable output: an append-only JSON Lines file of finished items.
//!
//! Each finished item is one line, written and flushed at once. After a crash (even `kill -9`
//! mid-write) reopening drops a torn last line, reports which ids are done, and appending goes on,
//! so a re-run finishes every item exactly once. `Shard` splits work by a stable hash of the id,
//! so SLURM array tasks or Kubernetes indexed Jobs can each run `--shard K/N`.

use crate::diag::{Code, Diagnostic};
use crate::pipeline::mask::fxhash;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// `K/N`: this process handles the items whose id hashes to K modulo N (0 ≤ K < N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { k: 0, n: 1 };

    pub fn owns(&self, id: &str) -> bool {
        fxhash(id) % self.n == self.k
    }
    /// File-name suffix, e.g. `-2of8`, empty for the whole set.
    pub fn suffix(&self) -> String {
        if self.n == 1 { String::new() } else { format!("-{}of{}", self.k, self.n) }
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s.split_once('/').ok_or_else(|| format!("E505 `{s}` is not K/N"))?;
        let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| format!("E505 bad K in `{s}`"))?, n.trim().parse().map_err(|_| format!("E505 bad N in `{s}`"))?);
        if n == 0 || k >= n {
            return Err(format!("E505 shard `{s}` needs 0 <= K < N"));
        }
        Ok(Shard { k, n })
    }
}

pub struct JsonlStore {
    path: PathBuf,
    file: std::fs::File,
}

fn io_err(path: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::new(Code::E503, format!("{}: {e}", path.display()))
}

impl JsonlStore {
    /// Open (or create) the store; returns it with the ids already present.
    ///
    /// Only a torn final line (no newline at the end and not a record: what `kill -9` mid-write
    /// leaves) is cut off. A final record that parses but lost its newline is completed. Any other
    /// damaged line is E504 naming `file:line` and the file is left exactly as it was; a line over
    /// `Limits::max_record_bytes` is E311. The path must be a regular file (E502) if it exists.
    pub fn open(path: &Path) -> Result<(JsonlStore, BTreeSet<String>), Diagnostic> {
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d).map_err(|e| io_err(d, e))?;
        }
        if path.exists() {
            crate::io::check_regular(path)?;
        }
        let mut file = std::fs::OpenOptions::new().read(true).append(true).create(true).open(path).map_err(|e| io_err(path, e))?;
        if !file.metadata().map_err(|e| io_err(path, e))?.is_file() {
            return Err(Diagnostic::new(Code::E502, format!("{} is not a regular file", path.display())));
        }
        // One writer per store: a second collection on the same directory would interleave and
        // duplicate workflows. The OS releases the lock when the process ends, kill -9 included.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Diagnostic::new(Code::E503, format!("{}: another process is writing to this store (is a collection already running on this directory?)", path.display())));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(path, e)),
        }
        let (done, end) = scan(path, &file)?;
        match end {
            End::Clean => {}
            End::Torn(at) => {
                file.set_len(at).map_err(|e| io_err(path, e))?;
                file.seek(SeekFrom::End(0)).map_err(|e| io_err(path, e))?;
            }
            End::Unterminated => {
                file.seek(SeekFrom::End(0)).map_err(|e| io_err(path, e))?;
                file.write_all(b"\n").map_err(|e| io_err(path, e))?;
            }
        }
        Ok((JsonlStore { path: path.to_path_buf(), file }, done))
    }

    /// Append one item as a line and flush it to the OS.
    pub fn append(&mut self, item: &impl Serialize) -> Result<(), Diagnostic> {
        let mut line = serde_json::to_vec(item).map_err(|e| Diagnostic::new(Code::E499, e.to_string()))?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(|e| io_err(&self.path, e))?;
        self.file.flush().map_err(|e| io_err(&self.path, e))
    }
}

/// How a store's last line ends.
enum End {
    Clean,
    /// A torn final line starts at this offset.
    Torn(u64),
    /// The final line is a whole record without its newline.
    Unterminated,
}

/// The ids in a store, streamed line by line; any damaged line but a torn last one is E504.
fn scan(path: &Path, file: &std::fs::File) -> Result<(BTreeSet<String>, End), Diagnostic> {
    let mut lines = crate::io::LineReader::new(std::io::BufReader::new(file), path, crate::Limits::default().max_record_bytes);
    let mut done = BTreeSet::new();
    let mut end = End::Clean;
    while let Some(line) = lines.next_line() {
        let line = line?;
        if line.terminated && line.bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let id = serde_json::from_slice::<serde_json::Value>(line.bytes)
            .ok()
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(String::from));
        match (id, line.terminated) {
            (Some(id), terminated) => {
                done.insert(id);
                if !terminated {
                    end = End::Unterminated;
                }
            }
            (None, false) => end = End::Torn(line.offset),
            (None, true) => {
                return Err(crate::io::bad_record(path, line.number, "not a stored record (a JSON object with an \"id\")")
                    .help("only a torn last line is dropped on reopening; fix or remove this line by hand, nothing was changed"));
            }
        }
    }
    Ok((done, end))
}

/// Read every `*.jsonl` in a directory (all shards) as `T`, sorted by id: one canonical result
/// whether the work ran as one process or as N shards. Files are read through [`crate::io`]: a
/// line that is not a `T` is E504 naming `file:line:col`, except a torn last line (no newline, not
/// a record), which is skipped as [`JsonlStore::open`] would drop it.
pub fn read_all<T: serde::de::DeserializeOwned>(dir: &Path, prefix: &str, id: impl Fn(&T) -> &str) -> Result<Vec<T>, Diagnostic> {
    let mut out = Vec::new();
    let meta = std::fs::metadata(dir).map_err(|e| crate::io::cannot_read(dir, &e))?;
    if !meta.is_dir() {
        return Err(Diagnostic::new(Code::E502, format!("{} is not a directory", dir.display())));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| crate::io::cannot_read(dir, &e))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
        .collect();
    files.sort();
    for f in files {
        let mut lines = crate::io::LineReader::open(&f, crate::Limits::default().max_record_bytes)?;
        while let Some(line) = lines.next_line() {
            let line = line?;
            if line.bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            match serde_json::from_slice::<T>(line.bytes) {
                Ok(v) => out.push(v),
                // A torn last line (a writer killed mid-line) is not a record; the file is left as it is.
                Err(_) if !line.terminated => {}
                Err(e) => return Err(crate::io::bad_json(&f, line.number, &e)),
            }
        }
    }
    out.sort_by(|a, b| id(a).cmp(id(b)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_dropped_and_ids_are_known() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.jsonl");
        std::fs::write(&p, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"x\":[1,").unwrap();
        let (mut s, done) = JsonlStore::open(&p).unwrap();
        assert_eq!(done.into_iter().collect::<Vec<_>>(), ["a", "b"]);
        s.append(&serde_json::json!({"id": "c"})).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n");
    }

    #[test]
    fn a_damaged_line_in_the_middle_is_an_error_and_nothing_is_changed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("workflows.jsonl");
        let mut lines: Vec<String> = (0..81).map(|i| format!("{{\"id\":\"q{i}\",\"steps\":[]}}\n")).collect();
        lines.insert(40, "{\"id\":\"broken\",\"st\n".into());
        let text = lines.concat();
        std::fs::write(&p, &text).unwrap();
        let err = JsonlStore::open(&p).err().expect("a damaged middle line is an error");
        assert_eq!(err.code, Code::E504);
        assert!(err.message.contains("workflows.jsonl:41:"), "{}", err.message);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text, "the store is byte-identical");
    }

    #[test]
    fn readers_skip_a_torn_last_line_and_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("workflows.jsonl");
        let text = "{\"id\":\"b\"}\n{\"id\":\"a\"}\n{\"id\":\"c\",\"x\":[1,";
        std::fs::write(&p, text).unwrap();
        let all: Vec<serde_json::Value> = read_all(dir.path(), "workflows", |v: &serde_json::Value| v["id"].as_str().unwrap_or("")).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
        std::fs::write(&p, "{\"id\":\"b\"}\n{\"id\":\n{\"id\":\"a\"}\n").unwrap();
        let e = read_all::<serde_json::Value>(dir.path(), "workflows", |v| v["id"].as_str().unwrap_or("")).unwrap_err();
        assert_eq!(e.code, Code::E504);
        assert!(e.message.contains("workflows.jsonl:2:"), "{}", e.message);
    }

    #[test]
    fn a_whole_last_record_without_its_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.jsonl");
        std::fs::write(&p, "{\"id\":\"a\"}\n{\"id\":\"b\"}").unwrap();
        let (mut s, done) = JsonlStore::open(&p).unwrap();
        assert_eq!(done.len(), 2);
        s.append(&serde_json::json!({"id": "c"})).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n");
    }

    #[test]
    fn a_second_writer_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.jsonl");
        let first = JsonlStore::open(&p).unwrap();
        let err = JsonlStore::open(&p).err().expect("a second writer is refused");
        assert!(err.message.contains("another process is writing"), "{}", err.message);
        drop(first);
        assert!(JsonlStore::open(&p).is_ok(), "the lock goes with the first writer");
    }

    #[test]
    fn shards_partition_ids() {
        let shards: Vec<Shard> = (0..4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        for i in 0..1000 {
            let id = format!("q{i}");
            assert_eq!(shards.iter().filter(|s| s.owns(&id)).count(), 1);
        }
        assert!("4/4".parse::<Shard>().is_err() && "x".parse::<Shard>().is_err() && "1/0".parse::<Shard>().is_err());
    }
}
