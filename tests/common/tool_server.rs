//! The Python reference tool server (`tools-remote/python/`) with the example tools, on a free
//! loopback port, for the tests that use remote tools.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running server; killed when dropped.
pub struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the server; its manifest file (written in `dir`) once it serves.
pub fn python_server(dir: &Path) -> (Server, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = dir.join("tools.json");
    let child = Command::new("python3")
        .arg(root.join("tools-remote/python/dwim_tool_server.py"))
        .arg(root.join("tools-remote/python/example_tools.py"))
        .args(["--port", "0", "--manifest", manifest.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 is on PATH");
    let server = Server(child);
    let t0 = Instant::now();
    while !manifest.is_file() {
        assert!(t0.elapsed() < Duration::from_secs(20), "the Python tool server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, manifest)
}
