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
//! (E311, 413), sent within 30 s (E311, 408); at most `--max-sessions` live sessions (E312, 503), each closed after `--idle-secs`
//! without a request; the strict limits per session unless `--lenient`; images decoded within
//! `max_image_pixels` and shared across sessions by content hash. Ctrl-C or SIGTERM stops
//! accepting, lets requests in flight finish, and exits 0.

use super::common::{bad_input, Exit, Failure, ToolArgs};
use super::sessions::{Live, Store};
use dwim::conversation::error_reply;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dwim::{Code, Diagnostic, Limits};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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

struct App {
    store: Store,
    token: Option<String>,
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
    let app = Arc::new(App { store: Store::new(registry, limits, root, a.max_sessions), token });
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
        .layer(axum::middleware::from_fn(move |req, next| bounded_body(req, next, max_body)))
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

/// How long a client may take to send a request's body, from its headers to its last byte.
const BODY_DEADLINE: Duration = Duration::from_secs(30);

/// Every request's body is read whole before a handler runs, within `max` bytes and
/// [`BODY_DEADLINE`]: a declared length over `max` is E311 (413) at once, without waiting for a
/// body that may never come; a body that grows past `max` is E311 (413); one that does not arrive
/// in time is E311 (408). So a client that announces more than it sends holds no handler.
async fn bounded_body(req: axum::extract::Request, next: axum::middleware::Next, max: usize) -> Response {
    let too_big = |what: String| fail(StatusCode::PAYLOAD_TOO_LARGE, Diagnostic::new(Code::E311, format!("{what}; --max-body-mb allows {max} bytes")));
    let declared = req.headers().get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > max as u64) {
        return too_big(format!("the request declares a body of {n} bytes"));
    }
    let (parts, body) = req.into_parts();
    let limited = http_body_util::BodyExt::collect(http_body_util::Limited::new(body, max));
    match tokio::time::timeout(BODY_DEADLINE, limited).await {
        Ok(Ok(collected)) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(collected.to_bytes()))).await,
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => too_big("the request body is longer".into()),
        Ok(Err(e)) => fail(StatusCode::BAD_REQUEST, Diagnostic::new(Code::E504, format!("the request body could not be read: {e}"))),
        Err(_) => fail(StatusCode::REQUEST_TIMEOUT, Diagnostic::new(Code::E311, format!("the request body did not arrive within {} s", BODY_DEADLINE.as_secs()))),
    }
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
        app.store.expire(idle);
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
    reply(StatusCode::OK, json!({"ok": true, "sessions": app.store.len(), "max_sessions": app.store.max_sessions, "version": env!("CARGO_PKG_VERSION")}))
}

async fn tools(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    reply(StatusCode::OK, app.store.tools_reply())
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
    let made = tokio::task::spawn_blocking(move || worker.store.open(&req)).await;
    let (names, conversation) = match made {
        Ok(Ok(x)) => x,
        Ok(Err(d)) => return fail(StatusCode::BAD_REQUEST, d),
        Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, Diagnostic::new(Code::E499, format!("creating the session failed: {e}"))),
    };
    match app.store.insert(conversation) {
        Ok(id) => reply(StatusCode::OK, json!({"ok": true, "id": id, "inputs": names, "tool_set": {"set": app.store.registry.set_name, "fingerprint": app.store.registry.fingerprint()}})),
        Err(d) => fail(StatusCode::SERVICE_UNAVAILABLE, d),
    }
}

fn live(app: &App, id: &str) -> Result<Arc<Live>, Response> {
    app.store.get(id).map_err(|d| fail(StatusCode::NOT_FOUND, d))
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
    let done = tokio::task::spawn_blocking(move || live.request(&req)).await;
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
    match app.store.close(&id) {
        Ok(()) => reply(StatusCode::OK, json!({"ok": true, "id": id})),
        Err(d) => fail(StatusCode::NOT_FOUND, d),
    }
}
