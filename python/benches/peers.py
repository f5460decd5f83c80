"""Per-step cost of one 8-step workflow from Python: dwim in-process against the executors this
field uses, side by side in one run, on this machine.

    target/py-venv/bin/pip install smolagents jupyter_client ipykernel   # the peers (optional)
    target/py-venv/bin/python python/benches/peers.py [workflows=300]

- dwim: `dwim.Session(...).step(line)` per line (parse, check, run, trace record), strict limits;
- smolagents' `LocalPythonExecutor` (its AST-walking interpreter with an import allow-list), the
  equivalent Python line per call;
- a Jupyter kernel round trip per line (the DWIM release's executor): `execute`, then the reply
  and the kernel's return to idle.

Each workflow starts on a fresh session / executor namespace (creation timed apart). The lines do
only arithmetic and lists, so the figure is the executor's own overhead, not a tool's. A peer
that is not installed is reported as such. Per-step figures: median and p90 over the workflows
of (workflow time / 8).
"""

import statistics
import sys
import time

import numpy as np

import dwim

DWIM = [
    "xs = [3, 1, 4, 1, 5, 9, 2, 6]",
    "n = len(xs)",
    "m = max(xs)",
    "s = sum(xs)",
    "mean = s / n",
    "big = m > 2 * mean",
    'label = if big then "yes" else "no"',
    "answer label",
]
PYTHON = [
    "xs = [3, 1, 4, 1, 5, 9, 2, 6]",
    "n = len(xs)",
    "m = max(xs)",
    "s = sum(xs)",
    "mean = s / n",
    "big = m > 2 * mean",
    'label = "yes" if big else "no"',
    "label",
]


def summary(name, per_step_us, setup_us, note=""):
    per_step_us.sort()
    p50 = statistics.median(per_step_us)
    p90 = per_step_us[int(len(per_step_us) * 0.9)]
    print(f"{name:<34} {p50:>10.1f} {p90:>10.1f} {statistics.median(setup_us):>12.1f}  {note}")
    return p50


def bench_dwim(workflows):
    img = np.full((240, 320, 3), 128, np.uint8)
    per, setup = [], []
    for _ in range(workflows):
        t0 = time.perf_counter()
        s = dwim.Session(image=img, tools="benchmark", default_native=False)
        t1 = time.perf_counter()
        for line in DWIM:
            r = s.step(line)
            assert r.ok, r
        t2 = time.perf_counter()
        assert s.answer == "yes", s.answer
        setup.append((t1 - t0) * 1e6)
        per.append((t2 - t1) / len(DWIM) * 1e6)
    return summary("dwim Session.step (in-process)", per, setup)


def bench_smolagents(workflows):
    try:
        from smolagents.local_python_executor import LocalPythonExecutor
    except ImportError:
        print(f"{'smolagents LocalPythonExecutor':<34} {'not installed (pip install smolagents)':>34}")
        return None
    per, setup = [], []
    for _ in range(workflows):
        t0 = time.perf_counter()
        ex = LocalPythonExecutor(additional_authorized_imports=[])
        ex.send_tools({})
        t1 = time.perf_counter()
        out = None
        for line in PYTHON:
            out = ex(line).output
        t2 = time.perf_counter()
        assert out == "yes", out
        setup.append((t1 - t0) * 1e6)
        per.append((t2 - t1) / len(PYTHON) * 1e6)
    return summary("smolagents LocalPythonExecutor", per, setup, "(no security boundary, per its docs)")


def bench_jupyter(workflows):
    try:
        from jupyter_client import KernelManager
    except ImportError:
        print(f"{'Jupyter kernel round trip':<34} {'not installed (pip install jupyter_client ipykernel)':>34}")
        return None
    t0 = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    try:
        km.start_kernel()
    except Exception as e:  # no ipykernel
        print(f"{'Jupyter kernel round trip':<34} cannot start a kernel: {e}")
        return None
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    start_us = (time.perf_counter() - t0) * 1e6

    def run(code):
        msg_id = kc.execute(code)
        while True:
            m = kc.get_shell_msg(timeout=30)
            if m["parent_header"].get("msg_id") == msg_id:
                assert m["content"]["status"] == "ok", m["content"]
                break
        while True:
            m = kc.get_iopub_msg(timeout=30)
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return

    per, setup = [], []
    n = max(1, workflows // 10)  # a round trip costs milliseconds: fewer workflows
    for _ in range(n):
        t1 = time.perf_counter()
        run("%reset -f")
        t2 = time.perf_counter()
        for line in PYTHON:
            run(line)
        t3 = time.perf_counter()
        setup.append((t2 - t1) * 1e6)
        per.append((t3 - t2) / len(PYTHON) * 1e6)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return summary("Jupyter kernel round trip", per, setup, f"({n} workflows; kernel start {start_us / 1e6:.2f} s)")


def main():
    workflows = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"8-step workflow, {workflows} workflows; microseconds")
    print(f"{'executor':<34} {'step p50':>10} {'step p90':>10} {'setup p50':>12}")
    ours = bench_dwim(workflows)
    peers = [bench_smolagents(workflows), bench_jupyter(workflows)]
    goal = "met" if ours <= 50 and all(p is None or ours < p for p in peers) else "NOT met"
    print(f"goal (dwim <= 50 us per step and faster than every peer measured): {goal}")


if __name__ == "__main__":
    main()
