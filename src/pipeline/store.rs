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
use std::io::{Read, Seek, SeekFrom, Write};
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
        let (k, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not K/N"))?;
        let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| format!("bad K in `{s}`"))?, n.trim().parse().map_err(|_| format!("bad N in `{s}`"))?);
        if n == 0 || k >= n {
            return Err(format!("shard `{s}` needs 0 <= K < N"));
        }
        Ok(Shard { k, n })
    }
}

pub struct JsonlStore {
    path: PathBuf,
    file: std::fs::File,
}

fn io_err(path: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::new(Code::E402, format!("{}: {e}", path.display()))
}

impl JsonlStore {
    /// Open (or create) the store; returns it with the ids already present.
    pub fn open(path: &Path) -> Result<(JsonlStore, BTreeSet<String>), Diagnostic> {
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d).map_err(|e| io_err(d, e))?;
        }
        let mut file = std::fs::OpenOptions::new().read(true).append(true).create(true).open(path).map_err(|e| io_err(path, e))?;
        // One writer per store: a second collection on the same directory would interleave and
        // duplicate workflows. The OS releases the lock when the process ends, kill -9 included.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Diagnostic::new(Code::E402, format!("{}: another process is writing to this store (is a collection already running on this directory?)", path.display())));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(path, e)),
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| io_err(path, e))?;
        let mut done = BTreeSet::new();
        let mut good_len = 0;
        for line in text.split_inclusive('\n') {
            let complete = line.ends_with('\n');
            let id = serde_json::from_str::<serde_json::Value>(line.trim_end())
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(String::from));
            match (complete, id) {
                (true, Some(id)) => {
                    done.insert(id);
                    good_len += line.len();
                }
                _ => break,
            }
        }
        if good_len < text.len() {
            file.set_len(good_len as u64).map_err(|e| io_err(path, e))?;
            file.seek(SeekFrom::End(0)).map_err(|e| io_err(path, e))?;
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

/// Read every `*.jsonl` in a directory (all shards) as `T`, sorted by id: one canonical result
/// whether the work ran as one process or as N shards.
pub fn read_all<T: serde::de::DeserializeOwned>(dir: &Path, prefix: &str, id: impl Fn(&T) -> &str) -> Result<Vec<T>, Diagnostic> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| io_err(&f, e))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: T = serde_json::from_str(line)
                .map_err(|e| Diagnostic::new(Code::E402, format!("{}:{}:{}: {e}", f.display(), i + 1, e.column())))?;
            out.push(v);
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
