"""`dwim serve` under load, on loopback: step latency with many concurrent clients, and the
server's resident memory with many live sessions on one image. Standard library only.

    python3 python/benches/serve.py [path/to/dwim] [clients=64] [sessions=1000]

1. Starts `dwim serve --addr 127.0.0.1:0 --tools benchmark` (strict limits per session).
2. Latency: `clients` threads, each with its own keep-alive connection, create a session by
   uploading the same PNG, then run an 8-step workflow (one POST per step, `segment` among them)
   for a fixed time; p50/p99/max of the step requests and steps per second overall.
3. Memory: the server's VmRSS (from /proc) before and after `sessions` sessions are created on
   one uploaded image (the server shares its pixels by content hash); each session then runs one
   step so it holds a record.

The clients are Python threads on the same machine as the server: on a small machine they share
its cores, so the figures are an upper bound on the server's own latency.
"""

import base64
import http.client
import json
import os
import statistics
import struct
import subprocess
import sys
import threading
import time
import zlib

STEPS = [
    "objs = segment(image)",
    "n = len(objs)",
    "big = filter(objs, r -> area(r) > 100)",
    "k = len(big)",
    "m = max([n, k])",
    "s = n + k",
    'label = if m > 1 then "many" else "few"',
    "answer label",
]


def png(w=320, h=240):
    """A small RGB PNG: a grey field with two coloured squares."""
    rows = []
    for y in range(h):
        row = bytearray()
        for x in range(w):
            if 20 <= x < 70 and 20 <= y < 70:
                row += b"\xdc\x1e\x1e"
            elif 150 <= x < 210 and 100 <= y < 160:
                row += b"\x1e\x3c\xdc"
            else:
                row += b"\x80\x80\x80"
        rows.append(b"\x00" + bytes(row))
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def start(exe, max_sessions):
    p = subprocess.Popen([exe, "serve", "--addr", "127.0.0.1:0", "--tools", "benchmark", "--no-default-native", "--max-sessions", str(max_sessions), "--idle-secs", "3600"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    addr = line.strip().rsplit("http://", 1)[1]
    host, port = addr.rsplit(":", 1)
    return p, host, int(port)


def post(conn, path, body):
    data = json.dumps(body)
    conn.request("POST", path, data, {"Content-Type": "application/json"})
    r = conn.getresponse()
    out = json.loads(r.read())
    return r.status, out


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def latency(host, port, image_b64, clients, seconds):
    lat, errors, lock = [], [], threading.Lock()
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(clients)

    def client():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        status, r = post(conn, "/v1/sessions", {"image": {"base64": image_b64}})
        if status != 200:
            with lock:
                errors.append(r)
            barrier.wait()
            return
        mine = []
        barrier.wait()
        while time.perf_counter() < stop:
            status, r = post(conn, "/v1/sessions", {"image": {"base64": image_b64}})
            sid = r["id"]
            for text in STEPS:
                t0 = time.perf_counter()
                status, r = post(conn, f"/v1/sessions/{sid}/step", {"text": text})
                mine.append(time.perf_counter() - t0)
                if status != 200 or not r["ok"]:
                    with lock:
                        errors.append(r)
                    return
            conn.request("DELETE", f"/v1/sessions/{sid}")
            conn.getresponse().read()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return lat, errors, wall


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else "target/release/dwim"
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    sessions = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    image_b64 = base64.b64encode(png()).decode()
    print(f"dwim serve on loopback ({os.cpu_count()} cores shared with the clients)")

    p, host, port = start(exe, max(sessions, clients * 2) + 8)
    try:
        # Baseline in the same run: one client alone (no queueing), then `clients` at once.
        for n, seconds in ((1, 3.0), (clients, 10.0)):
            lat, errors, wall = latency(host, port, image_b64, n, seconds)
            if errors:
                print("errors:", errors[:3])
                sys.exit(1)
            lat.sort()
            ms = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))] * 1e3
            print(f"{n:>3} concurrent client(s), 8-step workflows: {len(lat)} steps in {wall:.1f} s = {len(lat) / wall:.0f} steps/s; "
                  f"step latency p50 {statistics.median(lat) * 1e3:.2f} ms, p99 {ms(0.99):.2f} ms, max {lat[-1] * 1e3:.2f} ms")
    finally:
        p.terminate()
        p.wait()

    p, host, port = start(exe, sessions + 8)
    try:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        before = rss_kib(p.pid)
        t0 = time.perf_counter()
        for i in range(sessions):
            status, r = post(conn, "/v1/sessions", {"image": {"base64": image_b64}})
            assert status == 200, r
            status, r = post(conn, f"/v1/sessions/{r['id']}/step", {"text": "objs = segment(image)"})
            assert status == 200 and r["ok"], r
        made = time.perf_counter() - t0
        after = rss_kib(p.pid)
        print(f"{sessions} live sessions on one image, one step each: VmRSS {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
              f"({(after - before) / sessions:.1f} KiB per session; goal <= 1 GiB: {'met' if after <= 1 << 20 else 'NOT met'}); "
              f"created and stepped in {made:.1f} s")
    finally:
        p.terminate()
        p.wait()


if __name__ == "__main__":
    main()
