//! `dwim serve`: sessions over HTTP/JSON, for rollout workers, a multi-GPU collection or any agent
//! loop that speaks HTTP. The tool set is built once, from the same flags as `dwim run`; each
//! session is a [`Conversation`] (the replies `dwim session` gives), run on a blocking thread.
//!
//! | method and path | body | reply |
//! |---|---|---|
//! | `POST /v1/sessions` | `{"image": IMG}` or `{"images": {"left": IMG, …}}`; IMG is `{"base64": …}` (PNG/JPEG) or `{"path": …}` inside `--root` | `{"ok", "id", "inputs", "tool_set"}` |
//! | `POST /v1/sessions/{id}/step` | `{"text": …}` | the step reply |
//! | `POST /v1/sessions/{id}/check` | `{"text": …}` | the check reply |
//! | `GET /v1/sessions/{id}/trace` | | every record so far |
//! | `DELETE /v1/sessions/{id}` | | `{"ok": true}` |
//! | `GET /v1/tools` | | signatures and prompt text |
//! | `GET /v1/health` | | `{"ok", "sessions", "version"}` |
//!
//! Bounds: a bearer token when one is set (E508, 401); request bodies of at most `--max-body-mb`
//! (413); at most `--max-sessions` live sessions (E312, 503), each closed after `--idle-secs`
//! without a request; the strict limits per session unless `--lenient`; images decoded within
//! `max_image_pixels` and shared across sessions by content hash. Ctrl-C or SIGTERM stops
//! accepting, lets requests in flight finish, and exits 0.

use super::common::{bad_input, Exit, Failure, ToolArgs};
use dwim::conversation::{error_reply, Conversation};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dwim::value::Image;
use dwim::{Code, Diagnostic, Limits, Registry, Session, Value};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dwim serve --tools benchmark                         # http://127.0.0.1:8750\n  DWIM_TOKEN=secret dwim serve --addr 0.0.0.0:8750 --root /data/images\n  curl -s localhost:8750/v1/sessions -d '{\"image\": {\"path\": \"scene.png\"}}'\n\nThe API, with curl examples: docs/serve.md")]
pub struct ServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port; the first line printed names it).
    #[arg(long, default_value = "127.0.0.1:8750")]
    pub addr: String,
    /// Require `Authorization: Bearer TOKEN` on every request. Default: `$DWIM_TOKEN` if set.
    #[arg(long)]
    pub token: Option<String>,
    /// Let sessions name images by path inside this directory (default: images must be uploaded).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Live sessions at most; a new one beyond is refused (E312) until one closes or expires.
    #[arg(long, default_value_t = 64)]
    pub max_sessions: usize,
    /// Close a session after this many seconds without a request.
    #[arg(long, default_value_t = 600)]
    pub idle_secs: u64,
    /// Largest request body, in MiB.
    #[arg(long, default_value_t = 32)]
    pub max_body_mb: usize,
    /// Give sessions the default limits instead of the strict ones meant for model-written programs.
    #[arg(long)]
    pub lenient: bool,
    #[command(flatten)]
    pub tools: ToolArgs,
}

/// One live session.
struct Live {
    conversation: Mutex<Conversation<'static>>,
    last: Mutex<Instant>,
}

struct App {
    registry: &'static Registry,
    limits: Limits,
    sessions: Mutex<HashMap<String, Arc<Live>>>,
    /// Decoded images by the BLAKE3 of their bytes (cleared when it holds more than 4 per session).
    images: Mutex<HashMap<String, Image>>,
    token: Option<String>,
    root: Option<PathBuf>,
    max_sessions: usize,
    next_id: Mutex<u64>,
}

type Shared = Arc<App>;

pub fn run(a: ServeArgs) -> Result<Exit, Failure> {
    let limits = if a.lenient { Limits::default() } else { Limits::strict() };
    let registry = super::common::registry_within(&a.tools, &limits)?;
    let root = match &a.root {
        Some(r) => Some(std::fs::canonicalize(r).map_err(|e| bad_input(&Diagnostic::new(Code::E505, format!("--root {}: {e}", r.display()))))?),
        None => None,
    };
    let token = a.token.clone().or_else(|| std::env::var("DWIM_TOKEN").ok()).filter(|t| !t.is_empty());
    // The registry lives as long as the server: one allocation for the process's lifetime.
    let registry: &'static Registry = Box::leak(Box::new(registry));
    let app = Arc::new(App { registry, limits, sessions: Mutex::new(HashMap::new()), images: Mutex::new(HashMap::new()), token, root, max_sessions: a.max_sessions.max(1), next_id: Mutex::new(0) });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| bad_input(&Diagnostic::new(Code::E499, format!("cannot start the server runtime: {e}"))))?;
    runtime.block_on(serve(app, &a.addr, a.max_body_mb.max(1) << 20, Duration::from_secs(a.idle_secs.max(1))))
}

async fn serve(app: Shared, addr: &str, max_body: usize, idle: Duration) -> Result<Exit, Failure> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| bad_input(&Diagnostic::new(Code::E505, format!("--addr {addr}: {e}"))))?;
    let local = listener.local_addr().map_err(|e| bad_input(&Diagnostic::new(Code::E505, format!("--addr {addr}: {e}"))))?;
    let router = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/tools", get(tools))
        .route("/v1/sessions", post(create))
        .route("/v1/sessions/{id}", axum::routing::delete(close))
        .route("/v1/sessions/{id}/step", post(step))
        .route("/v1/sessions/{id}/check", post(check))
        .route("/v1/sessions/{id}/trace", get(trace))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app.clone());
    tokio::spawn(expire(app.clone(), idle));
    println!("dwim serve: listening on http://{local}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| bad_input(&Diagnostic::new(Code::E499, format!("the server stopped: {e}"))))?;
    Ok(Exit::Ok)
}

/// Ctrl-C or SIGTERM.
async fn shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Close sessions idle longer than `idle`.
async fn expire(app: Shared, idle: Duration) {
    let every = (idle / 4).clamp(Duration::from_millis(200), Duration::from_secs(30));
    loop {
        tokio::time::sleep(every).await;
        if let Ok(mut s) = app.sessions.lock() {
            s.retain(|_, live| live.last.lock().map(|t| t.elapsed() < idle).unwrap_or(false));
        }
    }
}

fn reply(status: StatusCode, v: serde_json::Value) -> Response {
    (status, Json(v)).into_response()
}

fn fail(status: StatusCode, d: Diagnostic) -> Response {
    reply(status, error_reply(None, d))
}

/// E508 unless the request carries the server's bearer token (when it has one).
fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let Some(token) = &app.token else { return Ok(()) };
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    // Compare without an early exit on the first differing byte.
    let same = given.is_some_and(|g| g.len() == token.len() && g.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0);
    if same { Ok(()) } else { Err(fail(StatusCode::UNAUTHORIZED, Diagnostic::new(Code::E508, "missing or wrong bearer token"))) }
}

fn body_json(body: &Bytes) -> Result<serde_json::Value, Response> {
    serde_json::from_slice(body).map_err(|e| fail(StatusCode::BAD_REQUEST, Diagnostic::new(Code::E504, format!("the request body is not JSON: {e}"))))
}

async fn health(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let n = app.sessions.lock().map(|s| s.len()).unwrap_or(0);
    reply(StatusCode::OK, json!({"ok": true, "sessions": n, "max_sessions": app.max_sessions, "version": env!("CARGO_PKG_VERSION")}))
}

async fn tools(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let r = app.registry;
    reply(StatusCode::OK, json!({"ok": true, "set": r.set_name, "fingerprint": r.fingerprint(), "tools": r.signatures().collect::<Vec<_>>(), "prompt": r.prompt()}))
}

/// One image of a create request: uploaded bytes (shared by content hash) or a path inside the root.
fn image_of(app: &App, spec: &serde_json::Value, name: &str) -> Result<Image, Diagnostic> {
    if let Some(b64) = spec["base64"].as_str() {
        let bytes = dwim::tools::remote::base64::decode(b64).map_err(|e| Diagnostic::new(Code::E504, format!("image `{name}`: bad base64: {e}")))?;
        let key = blake3::hash(&bytes).to_hex().to_string();
        if let Some(img) = app.images.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(img);
        }
        let img = Image::decode(&bytes, &app.limits)?;
        if let Ok(mut m) = app.images.lock() {
            if m.len() >= app.max_sessions.saturating_mul(4) {
                m.clear();
            }
            m.insert(key, img.clone());
        }
        return Ok(img);
    }
    if let Some(p) = spec["path"].as_str() {
        let Some(root) = &app.root else {
            return Err(Diagnostic::new(Code::E505, format!("image `{name}`: this server takes no paths (start it with --root DIR), upload the image as base64")));
        };
        let full = std::fs::canonicalize(root.join(p)).map_err(|e| Diagnostic::new(Code::E501, format!("image `{name}`: {p}: {e}")))?;
        if !full.starts_with(root) {
            return Err(Diagnostic::new(Code::E505, format!("image `{name}`: {p} is outside the server's root")));
        }
        return Image::load(&full, &app.limits);
    }
    Err(Diagnostic::new(Code::E504, format!("image `{name}`: give {{\"base64\": …}} or {{\"path\": …}}")))
}

async fn create(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let req = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let worker = app.clone();
    let made = tokio::task::spawn_blocking(move || -> Result<(Vec<String>, Conversation<'static>), Diagnostic> {
        let mut specs: Vec<(String, serde_json::Value)> = Vec::new();
        if !req["image"].is_null() {
            specs.push(("image".into(), req["image"].clone()));
        }
        if let Some(m) = req["images"].as_object() {
            specs.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if specs.is_empty() {
            return Err(Diagnostic::new(Code::E504, "a session needs \"image\" or \"images\""));
        }
        let mut session = Session::new(worker.registry, worker.limits.clone()).keep_records();
        let mut names = Vec::new();
        for (name, spec) in specs {
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && name.len() <= 64;
            if !ok {
                return Err(Diagnostic::new(Code::E504, format!("image name {name:?} is not a variable name")));
            }
            session.bind(&name, Value::Image(image_of(&worker, &spec, &name)?));
            names.push(name);
        }
        Ok((names, Conversation::new(session, worker.registry)))
    })
    .await;
    let (names, conversation) = match made {
        Ok(Ok(x)) => x,
        Ok(Err(d)) => return fail(StatusCode::BAD_REQUEST, d),
        Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, Diagnostic::new(Code::E499, format!("creating the session failed: {e}"))),
    };
    let id = {
        let mut n = app.next_id.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        let h = blake3::hash(format!("{}-{}-{:?}", *n, std::process::id(), Instant::now()).as_bytes());
        h.to_hex()[..16].to_string()
    };
    let mut sessions = app.sessions.lock().unwrap_or_else(|e| e.into_inner());
    if sessions.len() >= app.max_sessions {
        return fail(StatusCode::SERVICE_UNAVAILABLE, Diagnostic::new(Code::E312, format!("{} sessions are live, the most this server keeps; close one or wait for one to expire", sessions.len())));
    }
    sessions.insert(id.clone(), Arc::new(Live { conversation: Mutex::new(conversation), last: Mutex::new(Instant::now()) }));
    reply(StatusCode::OK, json!({"ok": true, "id": id, "inputs": names, "tool_set": {"set": app.registry.set_name, "fingerprint": app.registry.fingerprint()}}))
}

fn live(app: &App, id: &str) -> Result<Arc<Live>, Response> {
    let found = app.sessions.lock().ok().and_then(|s| s.get(id).cloned());
    let live = found.ok_or_else(|| fail(StatusCode::NOT_FOUND, Diagnostic::new(Code::E507, format!("no live session {id:?} (closed, expired, or never created)"))))?;
    if let Ok(mut t) = live.last.lock() {
        *t = Instant::now();
    }
    Ok(live)
}

/// Run one request of a session's conversation on a blocking thread.
async fn converse(app: Shared, headers: HeaderMap, id: String, req: serde_json::Value) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let live = match live(&app, &id) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let done = tokio::task::spawn_blocking(move || live.conversation.lock().map(|mut c| c.request(&req)).unwrap_or_else(|_| error_reply(None, Diagnostic::new(Code::E499, "this session failed earlier")))).await;
    match done {
        Ok(v) => reply(StatusCode::OK, v),
        Err(e) => fail(StatusCode::INTERNAL_SERVER_ERROR, Diagnostic::new(Code::E499, format!("the step failed: {e}"))),
    }
}

async fn step(State(app): State<Shared>, headers: HeaderMap, UrlPath(id): UrlPath<String>, body: Bytes) -> Response {
    let mut req = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    req["op"] = json!("step");
    converse(app, headers, id, req).await
}

async fn check(State(app): State<Shared>, headers: HeaderMap, UrlPath(id): UrlPath<String>, body: Bytes) -> Response {
    let mut req = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    req["op"] = json!("check");
    converse(app, headers, id, req).await
}

async fn trace(State(app): State<Shared>, headers: HeaderMap, UrlPath(id): UrlPath<String>) -> Response {
    converse(app, headers, id, json!({"op": "trace"})).await
}

async fn close(State(app): State<Shared>, headers: HeaderMap, UrlPath(id): UrlPath<String>) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let removed = app.sessions.lock().ok().and_then(|mut s| s.remove(&id));
    match removed {
        Some(_) => reply(StatusCode::OK, json!({"ok": true, "id": id})),
        None => fail(StatusCode::NOT_FOUND, Diagnostic::new(Code::E507, format!("no live session {id:?}"))),
    }
}
