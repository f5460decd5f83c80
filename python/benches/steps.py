"""Time per step from Python against `dwim session` over a pipe (same steps, same limits).

    target/py-venv/bin/python python/benches/steps.py [path/to/dwim]
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import dwim

N = 1000


def scene():
    img = np.full((240, 320, 3), 128, np.uint8)
    img[20:70, 20:70] = (220, 30, 30)
    img[100:160, 150:210] = (30, 60, 220)
    return img


def steps(kind):
    return [f"x{i} = 1 + 1" for i in range(N)] if kind == "arith" else [f"r{i} = segment(image)" for i in range(N)]


def python_us(kind):
    s = dwim.Session(image=scene(), tools="benchmark", strict=False, default_native=False)
    texts = steps(kind)
    t0 = time.perf_counter()
    for t in texts:
        assert s.step(t).ok
    return (time.perf_counter() - t0) / N * 1e6


def pipe_us(kind, exe, png):
    p = subprocess.Popen([exe, "session", "--lenient", "--no-default-native", "--tools", "benchmark", "--image", png], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    texts = steps(kind)
    t0 = time.perf_counter()
    for t in texts:
        p.stdin.write(json.dumps({"op": "step", "text": t}) + "\n")
        p.stdin.flush()
        assert json.loads(p.stdout.readline())["ok"]
    dt = (time.perf_counter() - t0) / N * 1e6
    p.stdin.close()
    p.wait()
    return dt


if __name__ == "__main__":
    exe = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as d:
        png = os.path.join(d, "scene.png")
        from PIL import Image

        Image.fromarray(scene()).save(png)
        for kind, label in [("arith", "x = 1 + 1"), ("segment", "r = segment(image), 320x240")]:
            line = f"{label:32} python {python_us(kind):8.1f} us/step"
            if exe:
                line += f"   dwim session pipe {pipe_us(kind, exe, png):8.1f} us/step"
            print(line)
