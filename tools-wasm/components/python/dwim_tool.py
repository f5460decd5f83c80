"""Write a dwim tool in Python, as a WebAssembly component (the `dwim:tool@0.1.0` world in
`tools-wasm/wit`), built with `componentize-py --stub-wasi` so that it imports nothing.

An author writes a plain function and declares it with `@tool`:

    from dwim_tool import tool, param, Image, Region

    @tool(name="mean_luma", doc="Mean brightness, 0..255.",
          params=[param("image", "image|region")], result="number")
    def mean_luma(image): ...

    Plugin = tool.plugin   # what componentize-py exports

Arguments arrive as plain Python values, in parameter order, defaults filled in by the host:
None, bool, float, str, list, dict, `Image` (width, height, pixels: bytes, RGB row-major) and
`Region` (image: Image, bbox: BBox, label, score). Return the same kinds. Raise `InvalidInput`
for an argument the tool cannot work with (E402); any other exception is E401 with its message.
A declaration is checked when the module is imported, i.e. while componentize-py builds it, so a
mistake (an unknown type, a bad default) fails the build with a clear message.
"""

import math

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import plugin as wit

__all__ = ["tool", "param", "Image", "Region", "BBox", "InvalidInput", "ToolDeclarationError"]


class ToolDeclarationError(Exception):
    """A mistake in a `@tool` declaration (raised at build time)."""


class InvalidInput(Exception):
    """Raise for an argument the tool cannot work with: dwim reports E402."""


class Image:
    """RGB pixels, row-major: `pixels` has `width * height * 3` bytes."""

    __slots__ = ("width", "height", "pixels", "_index")

    def __init__(self, width, height, pixels):
        pixels = bytes(pixels)
        if width < 0 or height < 0 or len(pixels) != width * height * 3:
            raise ValueError(f"Image({width}x{height}) needs {width * height * 3} bytes, got {len(pixels)}")
        self.width, self.height, self.pixels, self._index = int(width), int(height), pixels, None

    def get(self, x, y):
        """The (r, g, b) of one pixel."""
        i = (y * self.width + x) * 3
        return self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]

    def __repr__(self):
        return f"Image({self.width}x{self.height})"


class BBox:
    __slots__ = ("x0", "y0", "x1", "y1")

    def __init__(self, x0, y0, x1, y1):
        self.x0, self.y0, self.x1, self.y1 = float(x0), float(y0), float(x1), float(y1)

    def __repr__(self):
        return f"BBox({self.x0}, {self.y0}, {self.x1}, {self.y1})"


class Region:
    """A box over an image, with an optional label and score."""

    __slots__ = ("image", "bbox", "label", "score")

    def __init__(self, image, bbox, label=None, score=None):
        if not isinstance(image, Image):
            raise TypeError("Region.image must be an Image")
        self.image, self.bbox, self.label, self.score = image, bbox, label, score

    @staticmethod
    def whole(image):
        return Region(image, BBox(0, 0, image.width, image.height))

    def pixel_bounds(self):
        """(x0, y0, x1, y1) in whole pixels, clamped to the image; x1, y1 exclusive."""
        def clamp(v, hi):
            return max(0, min(hi, int(v)))
        b = self.bbox
        x0, y0 = clamp(math.floor(b.x0), self.image.width), clamp(math.floor(b.y0), self.image.height)
        x1, y1 = clamp(math.ceil(b.x1), self.image.width), clamp(math.ceil(b.y1), self.image.height)
        return x0, y0, max(x0, x1), max(y0, y1)

    def __repr__(self):
        return f"Region({self.image!r}, {self.bbox!r}, label={self.label!r}, score={self.score!r})"


# ---- types ------------------------------------------------------------------------------------

_ELEMENTS = {
    "any": wit.ElementType.ANY, "none": wit.ElementType.NONE, "bool": wit.ElementType.BOOLEAN,
    "number": wit.ElementType.NUMBER, "text": wit.ElementType.TEXT, "image": wit.ElementType.IMAGE,
    "region": wit.ElementType.REGION, "image|region": wit.ElementType.VISUAL,
    "visual": wit.ElementType.VISUAL, "record": wit.ElementType.RECORD,
}


def _parse_type(s, where):
    if not isinstance(s, str):
        raise ToolDeclarationError(f"{where}: a type is a string such as 'number' or 'list[region]', got {s!r}")
    t, depth = s.strip(), 0
    while t.startswith("list[") and t.endswith("]"):
        t, depth = t[5:-1].strip(), depth + 1
    if t not in _ELEMENTS:
        raise ToolDeclarationError(
            f"{where}: unknown type {s!r} (known: {', '.join(sorted(_ELEMENTS))}, and list[T])")
    if depth > 255:
        raise ToolDeclarationError(f"{where}: type {s!r} nests too deep")
    return wit.ValueType(element=_ELEMENTS[t], list_depth=depth)


def _fits(v, vt):
    """Whether a default value `v` has type `vt` (defaults hold no images)."""
    def elem(x):
        e = vt.element
        if e == wit.ElementType.ANY:
            return _plain(x)
        if e == wit.ElementType.NONE:
            return x is None
        if e == wit.ElementType.BOOLEAN:
            return isinstance(x, bool)
        if e == wit.ElementType.NUMBER:
            return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        if e == wit.ElementType.TEXT:
            return isinstance(x, str)
        if e == wit.ElementType.RECORD:
            return isinstance(x, dict) and _plain(x)
        return False  # image, region, visual: a default cannot hold an image

    def at(x, depth):
        if depth == 0:
            return elem(x)
        return isinstance(x, list) and all(at(y, depth - 1) for y in x)
    return at(v, vt.list_depth)


def _plain(x):
    if x is None or isinstance(x, (bool, str)):
        return True
    if isinstance(x, (int, float)):
        return math.isfinite(x)
    if isinstance(x, list):
        return all(_plain(y) for y in x)
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain(y) for k, y in x.items())
    return False


# ---- values ⇄ the flattened WIT encoding -------------------------------------------------------

def _decode(args):
    images = []
    for i, im in enumerate(args.images):
        img = Image.__new__(Image)
        img.width, img.height, img.pixels, img._index = im.width, im.height, bytes(im.pixels), i
        images.append(img)
    nodes = args.nodes

    def node(i):
        n = nodes[i]
        if isinstance(n, wit.Node_None_):
            return None
        if isinstance(n, (wit.Node_Boolean, wit.Node_Number, wit.Node_Text)):
            return n.value
        if isinstance(n, wit.Node_Image):
            return images[n.value]
        if isinstance(n, wit.Node_Region):
            r = n.value
            b = r.bbox
            return Region(images[r.image], BBox(b.x0, b.y0, b.x1, b.y1), r.label, r.score)
        if isinstance(n, wit.Node_List):
            return [node(k) for k in n.value]
        if isinstance(n, wit.Node_Record):
            return {f.key: node(f.value) for f in n.value}
        raise ValueError(f"unknown node {n!r}")
    return [node(r) for r in args.roots]


def _encode(values, inputs=0):
    """Python values → wit.Values. Images not sent by the host are appended after the `inputs`."""
    nodes, images, seen = [], [], {}

    def image(img):
        if img._index is not None:
            return img._index
        k = seen.get(id(img))
        if k is None:
            if len(img.pixels) != img.width * img.height * 3:
                raise ValueError(f"an {img!r} has {len(img.pixels)} bytes of pixels, not {img.width * img.height * 3}")
            images.append(wit.Image(width=img.width, height=img.height, pixels=img.pixels))
            k = seen[id(img)] = inputs + len(images) - 1
        return k

    def push(n):
        nodes.append(n)
        return len(nodes) - 1

    def value(v, depth=0):
        if depth > 256:
            raise ValueError("the result nests too deep (a cycle?)")
        if v is None:
            return push(wit.Node_None_())
        if isinstance(v, bool):
            return push(wit.Node_Boolean(v))
        if isinstance(v, (int, float)):
            return push(wit.Node_Number(float(v)))
        if isinstance(v, str):
            return push(wit.Node_Text(v))
        if isinstance(v, Image):
            return push(wit.Node_Image(image(v)))
        if isinstance(v, Region):
            b = v.bbox
            return push(wit.Node_Region(wit.Region(
                image=image(v.image), bbox=wit.Bbox(b.x0, b.y0, b.x1, b.y1),
                label=None if v.label is None else str(v.label),
                score=None if v.score is None else float(v.score))))
        if isinstance(v, (list, tuple)):
            kids = [value(x, depth + 1) for x in v]
            return push(wit.Node_List(kids))
        if isinstance(v, dict):
            fields = []
            for k, x in v.items():
                if not isinstance(k, str):
                    raise ValueError(f"a record key must be text, got {k!r}")
                fields.append(wit.Field(key=k, value=value(x, depth + 1)))
            return push(wit.Node_Record(fields))
        raise ValueError(f"cannot return a {type(v).__name__} ({v!r}): use None, bool, float, str, "
                         "list, dict, Image or Region")
    roots = [value(v) for v in values]
    return wit.Values(images=images, nodes=nodes, roots=roots)


# ---- declaring the tool ------------------------------------------------------------------------

class param:
    """One parameter: `param("min_area", "number", default=20, doc="...")`."""

    _NO = object()

    def __init__(self, name, type, default=_NO, doc="", vocabulary=None):
        self.name, self.type, self.default, self.doc, self.vocabulary = name, type, default, doc, vocabulary


class _Tool:
    def __init__(self):
        self.signature = None
        self.function = None

    def __call__(self, name, params=(), result="any", doc=""):
        """`@tool(name=..., params=[param(...) or ("name", "type"[, default])], result=..., doc=...)`."""
        if self.signature is not None:
            raise ToolDeclarationError(f"one component is one tool: {self.signature.name!r} is already declared")
        if not isinstance(name, str) or not name or not (name[0].isalpha() or name[0] == "_") \
                or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise ToolDeclarationError(f"tool name {name!r}: letters, digits and '_', not starting with a digit")
        where = f"tool {name!r}"
        wparams, names = [], set()
        for p in params:
            if isinstance(p, tuple):
                if len(p) not in (2, 3):
                    raise ToolDeclarationError(f"{where}: a parameter is (name, type) or (name, type, default), got {p!r}")
                p = param(*p)
            if not isinstance(p, param):
                raise ToolDeclarationError(f"{where}: a parameter is param(...) or a tuple, got {p!r}")
            pw = f"{where}, parameter {p.name!r}"
            if not isinstance(p.name, str) or not p.name.isidentifier():
                raise ToolDeclarationError(f"{where}: parameter name {p.name!r} is not an identifier")
            if p.name in names:
                raise ToolDeclarationError(f"{where}: parameter {p.name!r} is declared twice")
            names.add(p.name)
            vt = _parse_type(p.type, pw)
            default = None
            if p.default is not param._NO:
                if not _fits(p.default, vt):
                    raise ToolDeclarationError(f"{pw}: default {p.default!r} is not a {p.type} "
                                               "(defaults are plain values: no images or regions)")
                default = _encode([p.default])
            vocab = None
            if p.vocabulary is not None:
                if vt != wit.ValueType(wit.ElementType.TEXT, 0):
                    raise ToolDeclarationError(f"{pw}: a vocabulary is for a text parameter")
                vocab = list(p.vocabulary)
                if not all(isinstance(w, str) for w in vocab):
                    raise ToolDeclarationError(f"{pw}: a vocabulary is a list of words")
            wparams.append(wit.Param(name=p.name, type=vt, default=default, doc=str(p.doc), vocabulary=vocab))
        wresult = _parse_type(result, f"{where}, result")
        self.signature = wit.Signature(name=name, params=wparams, result=wresult, doc=str(doc))

        def register(f):
            if not callable(f):
                raise ToolDeclarationError(f"{where}: @tool decorates a function")
            self.function = f
            return f
        return register

    @property
    def plugin(self):
        """The class componentize-py exports (`Plugin = tool.plugin` in the app module)."""
        if self.signature is None or self.function is None:
            raise ToolDeclarationError("no tool declared: decorate a function with @tool(...) first")
        return Plugin


tool = _Tool()


class Plugin(exports.Plugin):
    def describe(self):
        return tool.signature

    def call(self, args):
        try:
            values = _decode(args)
            out = tool.function(*values)
            return _encode([out], len(args.images))
        except InvalidInput as e:
            raise Err(wit.ToolError(code=wit.ErrorCode.INVALID_INPUT, message=str(e) or "invalid input"))
        except Exception as e:
            raise Err(wit.ToolError(code=wit.ErrorCode.FAILED, message=f"{type(e).__name__}: {e}"))
