"""Two example dwim tools: one on an image, one on text.

    python3 tools-remote/python/dwim_tool_server.py tools-remote/python/example_tools.py --port 8765
    dwim run prog.wf --image scene.png --remote http://127.0.0.1:8765
"""

from dwim_tool_server import Image, Region, ToolError, tool


@tool(doc="mean of all RGB samples of the image, 0 (black) to 255 (white)")
def mean_brightness(image: Image) -> float:
    return sum(image.rgb) / len(image.rgb)


@tool(doc="the number of words in the text that are at least min_len characters long")
def count_words(text: str, min_len: int = 1) -> float:
    if min_len < 0:
        raise ToolError("min_len must be at least 0")
    return len([w for w in text.split() if len(w) >= min_len])


@tool(doc="the box around the pixels brighter than threshold (mean of R, G, B), labelled `bright`")
def bright_box(image: Image, threshold: float = 128) -> Region:
    xs, ys = [], []
    w, rgb = image.width, image.rgb
    for i in range(0, len(rgb), 3):
        if (rgb[i] + rgb[i + 1] + rgb[i + 2]) / 3 > threshold:
            xs.append((i // 3) % w)
            ys.append((i // 3) // w)
    if not xs:
        raise ToolError("no pixel is brighter than %g" % threshold)
    return Region(image, (min(xs), min(ys), max(xs) + 1, max(ys) + 1), label="bright")
