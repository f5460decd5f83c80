"""dwim from Python: typed workflow sessions over a tool set, one step at a time.

    import dwim
    s = dwim.Session(image="scene.png", tools="benchmark")
    r = s.step("regions = segment(image)")
    r.ok, r.observation          # True, "regions = list[region] of 4 …"
    s.step("answer len(regions)").answer

Results are the JSON ``dwim session`` prints (``StepResult.raw``), as objects. Steps, checks and
tools run with the GIL released, so sessions in several threads run at once. Misuse (bad tool
options, an unreadable image, a bad input name) raises :class:`DwimError` with a ``code``; a step
that does not parse, check or run is data: ``ok`` is false and ``diagnostics`` say why.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _dwim
from ._dwim import DwimError

__all__ = ["Session", "StepResult", "CheckResult", "Diagnostic", "ToolSet", "DwimError", "tools", "check", "__version__"]
__version__ = _dwim.__version__

ImageLike = Any
"""A path (str or os.PathLike), PNG/JPEG bytes, an H×W×3 uint8 NumPy array, or a PIL image."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem: its code (``E101``), message, where (1-based line and column, when known),
    help, and for a syntax error the tokens the parser would have accepted."""

    code: str
    message: str
    line: Optional[int] = None
    col: Optional[int] = None
    help: Optional[str] = None
    expected: List[str] = field(default_factory=list)
    title: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, d: Mapping[str, Any], loc: Optional[Mapping[str, Any]] = None) -> "Diagnostic":
        line, col = d.get("line"), d.get("col")
        if line is None and loc is not None:
            line, col = loc.get("line"), loc.get("col")
        return cls(d["code"], d["message"], line, col, d.get("help"), list(d.get("expected", [])), d.get("title"), dict(d))


@dataclass(frozen=True)
class StepResult:
    """What a step did: ``kind`` (``assign``, ``expr``, ``answer``, ``think`` …, or ``rejected``),
    the observation a model is shown, the value as JSON and its type, the session's answer so far,
    the diagnostics when it failed, and the ``dwim.trace/1`` records it wrote."""

    ok: bool
    kind: Optional[str]
    observation: str
    value: Any
    type: Optional[str]
    answer: Any
    diagnostics: List[Diagnostic]
    records: List[Dict[str, Any]]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def error(self) -> Optional[Diagnostic]:
        return self.diagnostics[0] if self.diagnostics else None

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "StepResult":
        records = raw.get("records", [])
        last = records[-1] if records else {}
        diags = [Diagnostic.from_json(d) for d in raw.get("diagnostics", [])]
        if not diags:
            diags = [Diagnostic.from_json(r["error"], r.get("loc")) for r in records if r.get("error")]
        result = last.get("result") or {}
        return cls(
            ok=bool(raw.get("ok")),
            kind=last.get("kind"),
            observation="\n".join(r.get("observation", "") for r in records),
            value=result.get("value"),
            type=result.get("type"),
            answer=raw.get("answer"),
            diagnostics=diags,
            records=records,
            raw=raw,
        )


@dataclass(frozen=True)
class CheckResult:
    """Whether a step or program would be accepted, and if not, why."""

    ok: bool
    diagnostics: List[Diagnostic]
    raw: Dict[str, Any] = field(repr=False)

    def __bool__(self) -> bool:
        return self.ok

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "CheckResult":
        return cls(bool(raw.get("ok")), [Diagnostic.from_json(d) for d in raw.get("diagnostics", [])], raw)


@dataclass(frozen=True)
class ToolSet:
    """A tool set: its name and fingerprint, each tool's signature, the prompt text generated from
    them, native tools skipped because the name was taken, and plugins that did not load."""

    set: str
    fingerprint: str
    signatures: List[Dict[str, Any]]
    prompt: str
    skipped: List[Any]
    warnings: List[str]

    @property
    def names(self) -> List[str]:
        return [s["name"] for s in self.signatures]

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "ToolSet":
        return cls(raw["set"], raw["fingerprint"], raw["tools"], raw["prompt"], raw.get("skipped", []), raw.get("warnings", []))


def _error(code: str, message: str) -> DwimError:
    e = DwimError(f"{code}: {message}")
    e.code, e.message, e.help, e.diagnostic = code, message, None, json.dumps({"code": code, "message": message})
    return e


def _opts(tools: str, plugins: Sequence[Union[str, os.PathLike]], native: Optional[Union[str, os.PathLike]], native_tools: Sequence[str],
          default_native: bool, overrides: Sequence[str], device: str, dtype: str, remote: Sequence[Union[str, os.PathLike]],
          llm: Optional[str], strict: bool) -> Dict[str, Any]:
    if isinstance(plugins, (str, os.PathLike)) or isinstance(remote, (str, os.PathLike)) or isinstance(native_tools, str) or isinstance(overrides, str):
        raise _error("E505", "plugins, remote, native_tools and overrides take lists")
    return {
        "tools": tools, "plugins": [os.fspath(p) for p in plugins], "native": None if native is None else os.fspath(native),
        "native_tools": list(native_tools), "default_native": default_native, "overrides": list(overrides),
        "device": device, "dtype": dtype, "remote": [os.fspath(r) for r in remote], "llm": llm, "strict": strict,
    }


def _input(name: str, img: ImageLike):
    """An image as the extension takes it: (name, kind, bytes, width, height)."""
    if isinstance(img, (str, os.PathLike)):
        return (name, "path", os.fsencode(img), 0, 0)
    if isinstance(img, (bytes, bytearray, memoryview)):
        return (name, "bytes", bytes(img), 0, 0)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(img, np.ndarray):
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise _error("E402", f"image {name!r}: a NumPy image is H×W×3 uint8, not {img.shape} {img.dtype}")
        h, w = img.shape[0], img.shape[1]
        return (name, "rgb", np.ascontiguousarray(img).tobytes(), w, h)
    if hasattr(img, "convert") and hasattr(img, "size") and hasattr(img, "tobytes"):
        rgb = img.convert("RGB")
        w, h = rgb.size
        return (name, "rgb", rgb.tobytes(), w, h)
    raise _error("E505", f"image {name!r}: give a path, PNG/JPEG bytes, an H×W×3 uint8 NumPy array or a PIL image, not {type(img).__name__}")


class Session:
    """One conversation with dwim: images bound to names, then steps run one at a time, each once,
    against what the accepted steps built (``dwim session`` in-process).

    ``image`` is bound to ``image``; ``images`` binds each name (``{"left": a, "right": b}``).
    The tool options are the CLI's tool flags: ``tools`` (``builtin``, ``benchmark``,
    ``benchmark-wasm``), ``plugins`` (directories of ``*.wasm``), ``native`` (a models directory),
    ``native_tools``, ``default_native`` (add what the default models directory holds, as the CLI
    does), ``overrides``, ``device``, ``dtype``, ``remote`` (manifests or server URLs), ``llm``.
    ``strict`` (default) uses the limits meant for model-written programs.
    A session may be used from any thread; calls on one session run one at a time."""

    def __init__(self, image: Optional[ImageLike] = None, *, images: Optional[Mapping[str, ImageLike]] = None, tools: str = "builtin",
                 plugins: Sequence[Union[str, os.PathLike]] = (), native: Optional[Union[str, os.PathLike]] = None,
                 native_tools: Sequence[str] = (), default_native: bool = True, overrides: Sequence[str] = (), device: str = "cpu",
                 dtype: str = "f32", remote: Sequence[Union[str, os.PathLike]] = (), llm: Optional[str] = None, strict: bool = True):
        named = dict(images or {})
        if image is not None:
            if "image" in named:
                raise _error("E505", "`image` is given twice: as image= and in images=")
            named = {"image": image, **named}
        inputs = [_input(n, v) for n, v in named.items()]
        self._inner = _dwim.NativeSession(inputs, _opts(tools, plugins, native, native_tools, default_native, overrides, device, dtype, remote, llm, strict))
        self.inputs = list(named)

    def step(self, text: str) -> StepResult:
        """Parse, check and run ``text`` (one step, or several lines). A step that does not parse or
        check runs nothing and leaves the session as it was (``kind == "rejected"``)."""
        return StepResult.from_json(self._inner.step(text))

    def run(self, program: str) -> StepResult:
        """Run a whole program in this session: checked as a whole first, then step by step,
        stopping at the first step that fails."""
        return self.step(program)

    def check(self, text: str) -> CheckResult:
        """Would ``text`` be accepted as the next step? Runs nothing and records nothing."""
        return CheckResult.from_json(self._inner.check(text))

    @property
    def answer(self) -> Any:
        """The answer as JSON once a step gave one, else ``None``."""
        a = self._inner.answer()
        return None if a is None else json.loads(a)

    @property
    def steps_run(self) -> int:
        return self._inner.steps_run()

    def trace(self) -> List[Dict[str, Any]]:
        """Every ``dwim.trace/1`` record so far, rejected steps included; the first carries the tool set."""
        return self._inner.trace()["records"]

    def tools(self) -> ToolSet:
        """This session's tool set."""
        return ToolSet.from_json(json.loads(self._inner.tools()))


def tools(tools: str = "builtin", *, plugins: Sequence[Union[str, os.PathLike]] = (), native: Optional[Union[str, os.PathLike]] = None,
          native_tools: Sequence[str] = (), default_native: bool = True, overrides: Sequence[str] = (), device: str = "cpu",
          dtype: str = "f32", remote: Sequence[Union[str, os.PathLike]] = (), llm: Optional[str] = None) -> ToolSet:
    """The tool set these options build (as ``dwim tools`` does): signatures and prompt text."""
    return ToolSet.from_json(json.loads(_dwim.tools(_opts(tools, plugins, native, native_tools, default_native, overrides, device, dtype, remote, llm, True))))


def check(program: str, *, inputs: Sequence[str] = ("image",), require_answer: bool = False, tools: str = "builtin",
          plugins: Sequence[Union[str, os.PathLike]] = (), native: Optional[Union[str, os.PathLike]] = None, native_tools: Sequence[str] = (),
          default_native: bool = True, overrides: Sequence[str] = (), remote: Sequence[Union[str, os.PathLike]] = (),
          llm: Optional[str] = None, strict: bool = True) -> CheckResult:
    """Parse and check a whole program against a tool set, ``inputs`` bound as images (as
    ``dwim check --format json``); runs nothing."""
    opts = _opts(tools, plugins, native, native_tools, default_native, overrides, "cpu", "f32", remote, llm, strict)
    return CheckResult.from_json(json.loads(_dwim.check(program, opts, list(inputs), require_answer)))
