//! `dwim mcp`: a Model Context Protocol server over stdio (the official Rust SDK, `rmcp`), so an
//! MCP-speaking assistant can write a workflow step by step and have dwim run each step safely.
//! The tool set is built once, from the same flags as `dwim run`; each session is a
//! [`Conversation`](dwim::conversation::Conversation), so every reply is the JSON `dwim session`
//! and `dwim serve` give.
//!
//! MCP tools: `dwim_tools` (signatures and prompt text), `open_session` (images by path inside
//! `--root`, by default the working directory, or as base64), `step`, `check`, `trace`,
//! `close_session`, and `run_program` (a whole program on a fresh session, closed after). A
//! reply whose `ok` is false is an MCP tool error (`isError`), with dwim's diagnostics as its
//! content. Bounds: the strict limits per session unless `--lenient`; at most `--max-sessions`
//! live (E312), each closed after `--idle-secs`; a JSON-RPC line of at most `--max-request-mb`.
//! A line that is too long, not UTF-8 or not JSON is dropped with a line on stderr, and the
//! server goes on ([`super::mcp_lines`]).

use super::common::{bad_input, Exit, Failure, ToolArgs};
use super::sessions::Store;
use dwim::conversation::error_reply;
use dwim::{Code, Diagnostic, Limits};
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ErrorData, Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ServerHandler, ServiceExt};
use serde_json::{json, Value as Json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
#[command(after_help = "Examples:\n  dwim mcp --tools benchmark\n  dwim mcp --root ~/images --plugins ~/my-plugins\n\nAn MCP client's server entry: {\"command\": \"dwim\", \"args\": [\"mcp\", \"--root\", \"/data/images\"]}.\nThe tools it offers, with a client example: docs/serve.md")]
pub struct McpArgs {
    /// Let sessions name images by path inside this directory (default: the working directory).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Live sessions at most; a new one beyond is refused (E312) until one closes or expires.
    #[arg(long, default_value_t = 16)]
    pub max_sessions: usize,
    /// Close a session after this many seconds without a request.
    #[arg(long, default_value_t = 1800)]
    pub idle_secs: u64,
    /// Largest JSON-RPC message, in MiB (a longer line is dropped and said on stderr).
    #[arg(long, default_value_t = 32)]
    pub max_request_mb: usize,
    /// Give sessions the default limits instead of the strict ones meant for model-written programs.
    #[arg(long)]
    pub lenient: bool,
    #[command(flatten)]
    pub tools: ToolArgs,
}

pub fn run(a: McpArgs) -> Result<Exit, Failure> {
    let limits = if a.lenient { Limits::default() } else { Limits::strict() };
    let registry = super::common::registry_within(&a.tools, &limits)?;
    let root = a.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let root = std::fs::canonicalize(&root).map_err(|e| bad_input(&Diagnostic::new(Code::E505, format!("--root {}: {e}", root.display()))))?;
    let store = Arc::new(Store::new(registry, limits, Some(root), a.max_sessions));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| bad_input(&Diagnostic::new(Code::E499, format!("cannot start the server runtime: {e}"))))?;
    let max_line = a.max_request_mb.max(1) << 20;
    let idle = Duration::from_secs(a.idle_secs.max(1));
    let ended = runtime.block_on(async move {
        let expiring = store.clone();
        tokio::spawn(async move {
            let every = (idle / 4).clamp(Duration::from_millis(200), Duration::from_secs(30));
            loop {
                tokio::time::sleep(every).await;
                expiring.expire(idle);
            }
        });
        // Lines reach rmcp through our filter, which says on stderr what it drops and holds back
        // requests while too many replies wait for the client (see mcp_lines).
        let flight = super::mcp_lines::InFlight::new(super::mcp_lines::MAX_IN_FLIGHT);
        let (to_rmcp, from_filter) = tokio::io::duplex(64 << 10);
        let (rmcp_out, from_rmcp) = tokio::io::duplex(64 << 10);
        tokio::spawn(super::mcp_lines::forward(tokio::io::stdin(), to_rmcp, max_line, flight.clone(), |s| {
            let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{s}\n"));
        }));
        let copied = tokio::spawn(super::mcp_lines::replies(from_rmcp, tokio::io::stdout(), flight));
        let transport = rmcp::transport::async_rw::AsyncRwTransport::<RoleServer, _, _>::new(from_filter, rmcp_out).with_max_line_length(max_line + 2);
        let running = Server { store }.serve(transport).await.map_err(|e| bad_input(&Diagnostic::new(Code::E504, format!("MCP: the client's initialization failed: {e}"))))?;
        // The client closing stdin ends the service; that is a normal end.
        let _ = running.waiting().await;
        // Every reply rmcp wrote reaches stdout before the exit.
        let _ = tokio::time::timeout(Duration::from_secs(5), copied).await;
        Ok::<_, Failure>(Exit::Ok)
    });
    // A stdin read still pending on a blocking thread must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    ended
}

#[derive(Clone)]
struct Server {
    store: Arc<Store>,
}

/// The JSON Schema of an object with these string-or-object properties, `required` among them.
fn schema(props: Json, required: &[&str]) -> Arc<serde_json::Map<String, Json>> {
    let v = json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    Arc::new(v.as_object().cloned().unwrap_or_default())
}

fn image_schema() -> Json {
    json!({"type": "object", "description": "{\"path\": a PNG/JPEG inside the server's root} or {\"base64\": the file's bytes}",
           "properties": {"path": {"type": "string"}, "base64": {"type": "string"}}})
}

fn tools() -> Vec<Tool> {
    let session = json!({"type": "string", "description": "the id open_session returned"});
    let text = json!({"type": "string", "description": "one or more workflow steps (dwim's language: see dwim_tools' prompt)"});
    let images = json!({"type": "object", "description": "several images by variable name", "additionalProperties": image_schema()});
    vec![
        Tool::new("dwim_tools", "The tools a workflow may call: their typed signatures, and the prompt text that teaches a model the language.", schema(json!({}), &[])),
        Tool::new("open_session", "Open a session on an image (bound to `image`) or several (`images`: name -> image). Returns its id.", schema(json!({"image": image_schema(), "images": images}), &[])),
        Tool::new("step", "Run the next workflow step(s) in a session, against what the accepted steps built. Returns each step's record (kind, observation, value) and the answer once given; a rejected step returns diagnostics with line, column and expected tokens, and changes nothing.", schema(json!({"session": session, "text": text}), &["session", "text"])),
        Tool::new("check", "Check step(s) against a session's variables and the tool signatures without running anything.", schema(json!({"session": session, "text": text}), &["session", "text"])),
        Tool::new("trace", "Every step record of a session so far (dwim.trace/1), rejected steps included.", schema(json!({"session": session}), &["session"])),
        Tool::new("close_session", "Close a session.", schema(json!({"session": session}), &["session"])),
        Tool::new("run_program", "Run a whole workflow program (ending in `answer`) on an image in a fresh session, and close it. Returns the records and the answer.", schema(json!({"image": image_schema(), "images": images, "text": text}), &["text"])),
    ]
}

impl Server {
    /// The dwim reply to one MCP tool call (blocking: steps run tools).
    fn answer(&self, name: &str, args: &Json) -> Result<Json, ErrorData> {
        let session = || args["session"].as_str().ok_or_else(|| ErrorData::invalid_params(format!("`{name}` needs a \"session\" string"), None));
        let store = &self.store;
        Ok(match name {
            "dwim_tools" => store.tools_reply(),
            "open_session" => match store.open(args).and_then(|(names, c)| store.insert(c).map(|id| (names, id))) {
                Ok((names, id)) => json!({"ok": true, "op": "open_session", "session": id, "inputs": names, "tool_set": {"set": store.registry.set_name, "fingerprint": store.registry.fingerprint()}}),
                Err(d) => error_reply(Some("open_session"), d),
            },
            "step" | "check" | "trace" => {
                let id = session()?;
                match store.get(id) {
                    Ok(live) => live.request(&json!({"op": name, "text": args["text"]})),
                    Err(d) => error_reply(Some(name), d),
                }
            }
            "close_session" => match store.close(session()?) {
                Ok(()) => json!({"ok": true, "op": "close_session"}),
                Err(d) => error_reply(Some(name), d),
            },
            "run_program" => match store.open(args) {
                Ok((_, mut conversation)) => {
                    let mut reply = conversation.request(&json!({"op": "step", "text": args["text"]}));
                    if reply["ok"] == json!(true) && reply["answer"].is_null() {
                        let d = Diagnostic::new(Code::E206, "the program ended without `answer`");
                        reply = error_reply(Some("run_program"), d);
                    }
                    reply["op"] = json!("run_program");
                    reply
                }
                Err(d) => error_reply(Some(name), d),
            },
            _ => return Err(ErrorData::invalid_params(format!("unknown tool {name:?}: dwim offers {}", tools().iter().map(|t| t.name.to_string()).collect::<Vec<_>>().join(", ")), None)),
        })
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("dwim", env!("CARGO_PKG_VERSION")))
            .with_instructions("dwim runs typed visual-reasoning workflows step by step in a sandbox. Call dwim_tools for the language and the tools, open_session on an image, then step with one line at a time; end with `answer EXPR`.")
    }

    async fn list_tools(&self, _request: Option<PaginatedRequestParams>, _context: RequestContext<RoleServer>) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(&self, request: CallToolRequestParams, _context: RequestContext<RoleServer>) -> Result<CallToolResponse, ErrorData> {
        let args = Json::Object(request.arguments.unwrap_or_default());
        let name = request.name.to_string();
        let server = self.clone();
        let reply = tokio::task::spawn_blocking(move || server.answer(&name, &args))
            .await
            .map_err(|e| ErrorData::internal_error(format!("the call failed: {e}"), None))??;
        let ok = reply["ok"] == json!(true);
        Ok(if ok { CallToolResult::structured(reply) } else { CallToolResult::structured_error(reply) }.into())
    }
}
