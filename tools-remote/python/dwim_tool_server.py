"""A dwim tool server in one file, standard library only.

Turn Python functions into dwim tools and serve them over HTTP::

    from dwim_tool_server import tool, Image

    @tool(doc="mean of all RGB samples, 0-255")
    def mean_brightness(image: Image) -> float:
        return sum(image.rgb) / len(image.rgb)

Then ``python3 dwim_tool_server.py my_tools.py --port 8765`` serves:

* ``GET /manifest`` -- the manifest dwim reads (``dwim run prog.wf --remote http://127.0.0.1:8765``);
  ``--manifest FILE`` also writes it to a file once the port is bound (``--remote FILE``).
* ``POST /call/NAME`` -- one call: ``{"tool", "args": {param: value}, "images": [...]}`` in,
  ``{"ok": value, "images": [...]}`` or ``{"error": "message"}`` out.

The wire format is documented in ``docs/remote-tools.md``. Types come from the type hints
(``float``/``int`` -> number, ``str`` -> text, ``bool``, ``Image`` -> image, ``Region`` -> region,
``dict`` -> record, ``list[X]`` -> list[X], ``Any``/none -> any) or from ``@tool(params=..., returns=...)``
with dwim's type names. Defaults come from the function's defaults.
"""

import argparse
import base64
import importlib.util
import inspect
import json
import math
import os
import sys
import threading
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["tool", "Image", "Region", "ToolError", "serve", "manifest", "TOOLS"]

#: Name -> (function, signature dict), in declaration order.
TOOLS = {}

#: Largest request body accepted (bytes): images travel as base64 raw RGB.
MAX_REQUEST_BYTES = 256 << 20


class ToolError(Exception):
    """Raise to answer ``{"error": message}`` (dwim reports it as E401, naming the tool)."""


class Image:
    """An RGB image: ``width``, ``height`` and ``rgb``, row-major ``bytes`` of ``width*height*3``."""

    def __init__(self, width, height, rgb):
        if width <= 0 or height <= 0 or len(rgb) != width * height * 3:
            raise ToolError("an image needs width*height*3 bytes of RGB")
        self.width, self.height, self.rgb = int(width), int(height), bytes(rgb)

    def pixel(self, x, y):
        i = (y * self.width + x) * 3
        return tuple(self.rgb[i:i + 3])


class Region:
    """A box on an image: ``image``, ``box`` = (x0, y0, x1, y1), optional ``label`` and ``score``."""

    def __init__(self, image, box, label=None, score=None):
        self.image, self.box, self.label, self.score = image, tuple(float(c) for c in box), label, score


_HINTS = {float: "number", int: "number", str: "text", bool: "bool", Image: "image", Region: "region", dict: "record",
          list: "list", type(None): "none", typing.Any: "any", inspect.Parameter.empty: "any"}


def _dwim_type(hint):
    if hint in _HINTS:
        return _HINTS[hint]
    if typing.get_origin(hint) is list:
        (inner,) = typing.get_args(hint) or (typing.Any,)
        return "list[%s]" % _dwim_type(inner)
    if typing.get_origin(hint) is typing.Union and set(typing.get_args(hint)) == {Image, Region}:
        return "image|region"
    raise TypeError("no dwim type for %r" % (hint,))


def tool(fn=None, *, name=None, doc=None, params=None, returns=None):
    """Declare a dwim tool. ``params`` maps parameter names to dwim types and ``returns`` is the
    result's dwim type; both default to what the type hints say."""

    def register(f):
        sig = inspect.signature(f)
        hints = typing.get_type_hints(f)
        declared = []
        for p in sig.parameters.values():
            ty = (params or {}).get(p.name) or _dwim_type(hints.get(p.name, inspect.Parameter.empty))
            entry = {"name": p.name, "type": ty}
            if p.default is not inspect.Parameter.empty:
                entry["default"] = p.default
            declared.append(entry)
        result = returns or _dwim_type(hints.get("return", inspect.Parameter.empty))
        text = doc if doc is not None else (inspect.getdoc(f) or "").split("\n")[0]
        tool_name = name or f.__name__
        TOOLS[tool_name] = (f, {"name": tool_name, "params": declared, "result": result, "doc": text})
        return f

    return register(fn) if fn is not None else register


def manifest(endpoint, timeout_ms=None):
    """The manifest for every declared tool, called at ``endpoint``."""
    m = {"endpoint": endpoint, "tools": [sig for _, sig in TOOLS.values()]}
    if timeout_ms is not None:
        m["timeout_ms"] = timeout_ms
    return m


def _decode(v, images):
    if isinstance(v, list):
        return [_decode(x, images) for x in v]
    if isinstance(v, dict):
        if "record" in v:
            return {k: _decode(x, images) for k, x in v["record"].items()}
        if "region" in v:
            return Region(images[v["image"]], v["region"], v.get("label"), v.get("score"))
        if "image" in v:
            return images[v["image"]]
        raise ToolError("unknown value object with keys %s" % sorted(v))
    return v


class _Encoder:
    def __init__(self, inputs):
        self.inputs, self.new = inputs, []

    def image_index(self, img):
        for i, known in enumerate(self.inputs + self.new):
            if known is img:
                return i
        self.new.append(img)
        return len(self.inputs) + len(self.new) - 1

    def value(self, v):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)):
            if not math.isfinite(v):
                raise ToolError("the result holds %r; dwim numbers are finite" % v)
            return float(v)
        if isinstance(v, Image):
            return {"image": self.image_index(v)}
        if isinstance(v, Region):
            out = {"region": list(v.box), "image": self.image_index(v.image)}
            if v.label is not None:
                out["label"] = v.label
            if v.score is not None:
                out["score"] = float(v.score)
            return out
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            return {"record": {str(k): self.value(x) for k, x in v.items()}}
        raise ToolError("cannot send a %s to dwim" % type(v).__name__)

    def images(self):
        return [{"width": i.width, "height": i.height, "rgb": base64.b64encode(i.rgb).decode("ascii")} for i in self.new]


def call(name, request):
    """Answer one call request (a dict): the reply dict."""
    fn, _ = TOOLS[name]
    try:
        images = [Image(i["width"], i["height"], base64.b64decode(i["rgb"], validate=True)) for i in request.get("images", [])]
        args = {k: _decode(v, images) for k, v in request.get("args", {}).items()}
        enc = _Encoder(images)
        ok = enc.value(fn(**args))
        return {"ok": ok, "images": enc.images()}
    except ToolError as e:
        return {"error": str(e)}
    except Exception as e:  # the tool's own failure, reported to dwim, never a dead server
        return {"error": "%s: %s" % (type(e).__name__, e)}


class _Handler(BaseHTTPRequestHandler):
    server_version = "dwim-tool-server/1"

    def _send(self, status, doc):
        body = json.dumps(doc, allow_nan=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/manifest":
            self._send(200, manifest(self.server.endpoint, self.server.timeout_ms))
        else:
            self._send(404, {"error": "GET /manifest, POST /call/NAME"})

    def do_POST(self):
        name = self.path[len("/call/"):] if self.path.startswith("/call/") else None
        if name not in TOOLS:
            return self._send(404, {"error": "no tool %r" % name})
        try:
            length = int(self.headers.get("Content-Length", "-1"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST_BYTES:
            return self._send(413, {"error": "a request needs a Content-Length of at most %d bytes" % MAX_REQUEST_BYTES})
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError as e:
            return self._send(400, {"error": "the request is not JSON: %s" % e})
        self._send(200, call(name, request))

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


def serve(host="127.0.0.1", port=8765, manifest_path=None, timeout_ms=None, verbose=False, ready=None):
    """Serve every declared tool until interrupted. With ``port=0`` a free port is chosen; the
    manifest (``--manifest``) is written once the port is bound, so its existence means "ready"."""
    httpd = ThreadingHTTPServer((host, port), _Handler)
    httpd.daemon_threads = True
    httpd.endpoint = "http://%s:%d" % (host, httpd.server_address[1])
    httpd.timeout_ms, httpd.verbose = timeout_ms, verbose
    if manifest_path:
        tmp = manifest_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(manifest(httpd.endpoint, timeout_ms), f, indent=1)
        os.replace(tmp, manifest_path)
    print("dwim tool server: %d tools at %s" % (len(TOOLS), httpd.endpoint), file=sys.stderr, flush=True)
    if ready is not None:
        ready(httpd)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


def serve_in_thread(host="127.0.0.1", port=0):
    """Start serving in a daemon thread (for tests and notebooks); returns the server."""
    got = threading.Event()
    box = []
    threading.Thread(target=serve, kwargs={"host": host, "port": port, "ready": lambda s: (box.append(s), got.set())}, daemon=True).start()
    got.wait(10)
    return box[0]


def _load(path):
    # Tools modules say `from dwim_tool_server import tool`: make that this very module even when
    # it runs as __main__, so their tools land in this TOOLS.
    sys.modules.setdefault("dwim_tool_server", sys.modules[__name__])
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Serve Python functions as dwim tools.")
    ap.add_argument("modules", nargs="+", help="Python files that declare tools with @tool")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    ap.add_argument("--manifest", help="also write the manifest to this file once serving")
    ap.add_argument("--timeout-ms", type=int, help="per-call timeout written into the manifest")
    ap.add_argument("--verbose", action="store_true", help="log every request")
    a = ap.parse_args(argv)
    for m in a.modules:
        _load(m)
    serve(a.host, a.port, a.manifest, a.timeout_ms, a.verbose)


if __name__ == "__main__":
    main()
