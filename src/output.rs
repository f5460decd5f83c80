//! Writing files: the one way dwim writes what it is told to (`--out`, `--trace`, `--chat`,
//! `--html`, checkpoints, converted datasets).
//!
//! - A failure is E503 naming the path and the OS reason, and the command fails: a full disk or
//!   `/dev/full` never ends in exit 0.
//! - A FIFO that no process is reading is E503 at once (probed with a non-blocking open), never a
//!   wait: dwim cannot hang on its own output.
//! - [`write_atomic`] replaces a regular file (or makes a new one) through a temporary file beside
//!   it and a rename, so a reader sees the old file or the new one, and a failure leaves the old
//!   one as it was. Anything else that already exists — a device such as `/dev/null` or
//!   `/dev/stdout`, a FIFO — is written in place and never replaced by a regular file; a symbolic
//!   link stays a link, and its target is what is written.

use crate::diag::{Code, Diagnostic};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

fn failed(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::new(Code::E503, format!("cannot write {}: {e}", path.display()))
}

/// `ENXIO`: opening a FIFO for writing, non-blocking, when no process has it open for reading.
const ENXIO: i32 = 6;
#[cfg(unix)]
use crate::io::NONBLOCK;

/// A file opened for writing. A FIFO stays open with the non-blocking descriptor that found its
/// reader (closing it and opening again would send that reader an end of file first), so a write
/// the pipe cannot take yet is retried until the reader takes it, as a blocking write would wait.
pub struct Output {
    file: File,
    fifo: bool,
}

impl Output {
    /// Make sure what was written reached the OS (see [`sync`]).
    pub fn sync(&self, path: &Path) -> Result<(), Diagnostic> {
        sync(&self.file, path)
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        loop {
            match self.file.write(buf) {
                Err(e) if self.fifo && e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(std::time::Duration::from_millis(1)),
                r => return r,
            }
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Open `path` for writing, created or truncated (a device or FIFO is opened as it is).
pub fn create(path: &Path) -> Result<Output, Diagnostic> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(Diagnostic::new(Code::E503, format!("cannot write {}: it is a directory", path.display())));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
            if meta.file_type().is_fifo() {
                let file = OpenOptions::new().write(true).custom_flags(NONBLOCK).open(path).map_err(|e| {
                    if e.raw_os_error() == Some(ENXIO) {
                        Diagnostic::new(Code::E503, format!("cannot write {}: it is a FIFO that no process is reading", path.display()))
                    } else {
                        failed(path, &e)
                    }
                })?;
                return Ok(Output { file, fifo: true });
            }
            if !meta.is_file() {
                let file = OpenOptions::new().write(true).open(path).map_err(|e| failed(path, &e))?;
                return Ok(Output { file, fifo: false });
            }
        }
    }
    File::create(path).map(|file| Output { file, fifo: false }).map_err(|e| failed(path, &e))
}

/// Make sure what was written reached the OS: `fsync` where the file supports it (a device or a
/// pipe answers EINVAL, which is not an error here).
fn sync(f: &File, path: &Path) -> Result<(), Diagnostic> {
    match f.sync_all() {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput || e.raw_os_error() == Some(22) => Ok(()),
        Err(e) => Err(failed(path, &e)),
    }
}

/// The file a write to `path` lands in: a symbolic link's target (so the link stays a link).
fn target(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// Write a whole file from `fill` (see the module docs: atomic for regular files, in place for
/// devices and FIFOs, E503 on any failure). The parent directory must exist.
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Diagnostic> {
    let dest = target(path);
    let in_place = std::fs::metadata(&dest).map(|m| !m.is_file()).unwrap_or(false);
    if in_place {
        let mut w = std::io::BufWriter::new(create(&dest)?);
        fill(&mut w).and_then(|()| w.flush()).map_err(|e| failed(path, &e))?;
        return w.into_inner().map_err(|e| failed(path, e.error()))?.sync(path);
    }
    let mut tmp = dest.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let f = File::create(&tmp).map_err(|e| failed(&tmp, &e))?;
        let mut w = std::io::BufWriter::new(&f);
        fill(&mut w).and_then(|()| w.flush()).map_err(|e| failed(path, &e))?;
        drop(w);
        sync(&f, path)?;
        std::fs::rename(&tmp, &dest).map_err(|e| failed(path, &e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// [`write_atomic`] of bytes already in memory.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    write_atomic(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_replaced_whole_and_a_failure_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.jsonl");
        write_bytes(&p, b"one\n").unwrap();
        write_bytes(&p, b"two\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n");
        let d = write_atomic(&p, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk gone"))
        })
        .unwrap_err();
        assert_eq!(d.code, Code::E503);
        assert!(d.message.contains("out.jsonl") && d.message.contains("disk gone"), "{d}");
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n", "the old file is left as it was");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_links_are_written_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        // /dev/full: the write fails (E503) and the device is still a device.
        let d = write_bytes(Path::new("/dev/full"), b"x").unwrap_err();
        assert_eq!(d.code, Code::E503, "{d}");
        assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
        write_bytes(Path::new("/dev/null"), b"x").unwrap();
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());

        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let t = std::time::Instant::now();
        let d = write_bytes(&fifo, b"x").unwrap_err();
        assert!(d.code == Code::E503 && d.message.contains("no process is reading"), "{d}");
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(create(&fifo).is_err());
        // With a reader, everything arrives, more than a pipe holds at once included.
        let got = dir.path().join("got");
        let mut reader = std::process::Command::new("cat").arg(&fifo).stdout(File::create(&got).unwrap()).spawn().unwrap();
        let big = vec![b'x'; 1 << 20];
        let t = std::time::Instant::now();
        let written = loop {
            match write_bytes(&fifo, &big) {
                Err(d) if d.message.contains("no process is reading") && t.elapsed() < std::time::Duration::from_secs(10) => std::thread::sleep(std::time::Duration::from_millis(20)),
                r => break r,
            }
        };
        written.unwrap();
        assert!(reader.wait().unwrap().success());
        assert_eq!(std::fs::metadata(&got).unwrap().len(), big.len() as u64);

        let real = dir.path().join("real.txt");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_bytes(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        assert!(create(dir.path()).is_err(), "a directory");
    }
}
