import os
import tempfile

# No native models from the default directory: the tool sets here are the same on every machine.
os.environ["DWIM_MODELS"] = os.path.join(tempfile.gettempdir(), "dwim-py-tests-no-models")

import numpy as np
import pytest


def scene(width=320, height=240, objects=(("red", (20, 20, 70, 70)), ("blue", (150, 100, 210, 160)), ("red", (240, 30, 290, 80)))):
    """A grey image with filled rectangles: (colour, (x0, y0, x1, y1))."""
    rgb = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 180, 60)}
    img = np.full((height, width, 3), 128, dtype=np.uint8)
    for colour, (x0, y0, x1, y1) in objects:
        img[y0:y1, x0:x1] = rgb[colour]
    return img


@pytest.fixture
def scene_array():
    return scene()


@pytest.fixture
def scene_png(tmp_path, scene_array):
    from PIL import Image

    path = tmp_path / "scene.png"
    Image.fromarray(scene_array).save(path)
    return path
