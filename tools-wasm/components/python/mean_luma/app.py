"""mean_luma(image|region) -> number: the mean of (r+g+b)/3 over the pixels, 0..255."""
from dwim_tool import tool, param, Region, InvalidInput


@tool(name="mean_luma", doc="Mean brightness of an image or region: the mean of (r+g+b)/3 over its pixels, 0..255.",
      params=[param("image", "image|region", doc="what to measure")], result="number")
def mean_luma(image):
    region = image if isinstance(image, Region) else Region.whole(image)
    x0, y0, x1, y1 = region.pixel_bounds()
    if x1 <= x0 or y1 <= y0:
        raise InvalidInput("the region is empty")
    px, w, total = region.image.pixels, region.image.width, 0
    for y in range(y0, y1):
        total += sum(px[(y * w + x0) * 3:(y * w + x1) * 3])
    return total / (3 * (x1 - x0) * (y1 - y0))


Plugin = tool.plugin
