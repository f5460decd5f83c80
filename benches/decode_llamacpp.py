"""llama.cpp baseline for benches/decode.rs: greedy decoding of given token ids with llama-cpp-python.

Usage: python3 decode_llamacpp.py GGUF THREADS NEW RUNS TOKEN_IDS_JSON
Prints one JSON line: prefill_ms (median), decode_tok_s (median), tokens (greedy ids of the first run).
"""
import json
import statistics
import sys
import time

import llama_cpp
import numpy as np

path, threads, new, runs, ids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
llm = llama_cpp.Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=512, n_batch=512, verbose=False)
n_vocab = llm.n_vocab()


def top1():
    return int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,))))


prefill, decode, first = [], [], None
for r in range(runs + 1):
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(ids)
    tok = top1()
    t1 = time.perf_counter()
    out = [tok]
    while len(out) < new:
        llm.eval([tok])
        tok = top1()
        out.append(tok)
    t2 = time.perf_counter()
    if r == 0:
        first = out
        continue  # warm-up
    prefill.append((t1 - t0) * 1e3)
    decode.append((new - 1) / (t2 - t1))
print(json.dumps({"llama_cpp": llama_cpp.__version__, "prefill_ms": statistics.median(prefill), "decode_tok_s": statistics.median(decode), "tokens": first}))
