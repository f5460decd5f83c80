#!/usr/bin/env python3
"""sentence-transformers/PyTorch baseline for benches/native.rs: embeds the same sentences with the
same model folder and thread count, prints one JSON line.

usage: bench_minilm_torch.py MODEL_DIR SENTENCES_FILE THREADS BATCH
"""
import json, sys, time, statistics

model_dir, sentences_file, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import torch
torch.set_num_threads(threads)
from sentence_transformers import SentenceTransformer

sentences = [l.rstrip("\n") for l in open(sentences_file, encoding="utf-8")]
t0 = time.perf_counter()
model = SentenceTransformer(model_dir, device="cpu")
load_s = time.perf_counter() - t0
a, b = model.encode(["A man is eating food.", "A man is eating a piece of bread."], normalize_embeddings=True)
cos = float((a * b).sum())
with torch.inference_mode():
    model.encode(sentences[:batch], batch_size=batch)  # warm-up
    singles = []
    for s in sentences[:20]:
        t = time.perf_counter()
        model.encode([s], batch_size=1)
        singles.append(time.perf_counter() - t)
    t = time.perf_counter()
    model.encode(sentences, batch_size=batch)
    total = time.perf_counter() - t
print(json.dumps({
    "torch": torch.__version__, "load_s": load_s, "cosine": cos,
    "single_ms_median": statistics.median(singles) * 1e3,
    "batch_sentences_per_s": len(sentences) / total,
}))
