//! llama.cpp's OpenAI-compatible server (PyPI `llama-cpp-python[server]`) serving SmolLM2-135M
//! from the GGUF that scripts/fetch-models.sh writes, started on a loopback port for one test.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, killed when dropped.
pub struct Server(Child, pub String);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start it on a free port and wait until it answers (at most 2 min); `Err(why)` when llama.cpp or
/// the GGUF is missing, so the caller can skip saying why.
pub fn start() -> Result<Server, String> {
    let model = dwim::train::load::smollm2_path();
    if !model.is_file() {
        return Err(format!("no SmolLM2 GGUF at {} (scripts/fetch-models.sh)", model.display()));
    }
    let ok = Command::new("python3").args(["-c", "import llama_cpp.server"]).stderr(Stdio::null()).status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        return Err("needs `pip install 'llama-cpp-python[server]'`".into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).map_err(|e| e.to_string())?;
    let child = Command::new("python3")
        .args(["-m", "llama_cpp.server", "--model", &model.display().to_string(), "--host", "127.0.0.1", "--port", &port.to_string(), "--n_ctx", "4096", "--n_threads", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start llama_cpp.server: {e}"))?;
    let server = Server(child, format!("http://127.0.0.1:{port}/v1"));
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(120) {
        if ureq::get(&format!("{}/models", server.1)).call().is_ok() {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err("llama_cpp.server did not answer within 120 s".into())
}
