#!/usr/bin/env bash
# The README's demo: build dwim, run a hand-written workflow with a trace, then the DWIM loop on
# the built-in benchmark: generate → collect (with DW) → instruct masks → train → evaluate.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
dwim=./target/release/dwim
out=${DWIM_DEMO_DIR:-demo-out}
mkdir -p "$out"

echo "== a workflow, checked, run and traced"
$dwim scene --out "$out/scene.png" --seed 3 >/dev/null
$dwim run programs/count_red.wf --image "$out/scene.png" --trace "$out/run.jsonl"

echo; echo "== the DWIM loop on the built-in benchmark"
$dwim bench-world generate --out "$out/bench" --n 150 --seed 1
$dwim collect --data "$out/bench" --out "$out/collect-dw"
$dwim collect --data "$out/bench" --no-dw --out "$out/collect-nodw"
$dwim mask --traces "$out/collect-dw" --mode im --context packed --tokenizer new:1024 --prompt minimal --max-len 512 --out "$out/data/im.jsonl"
$dwim train --data "$out/data/im.jsonl" --tokenizer "$out/data/tokenizer.json" --model small \
  --steps 300 --batch 8 --lr 5e-3 --max-seq 512 --out "$out/policy"
$dwim eval --policy "$out/policy" --data "$out/bench" --split test --limit 100
echo; echo "== the Python package (a wheel, installed in target/py-venv)"
if ./python/build.sh; then
  target/py-venv/bin/python -c "import dwim; s = dwim.Session(tools='benchmark'); print('from Python:', s.step('answer 6 * 7').answer)"
else
  echo "warning: the Python package was not built (python3 with pip and venv is needed; see README)"
fi
echo "demo output in $out/ (HTML rationale: dwim report $out/run.jsonl --html $out/run.html --image $out/scene.png)"
