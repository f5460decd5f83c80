#!/usr/bin/env bash
# The README's demo: build dwim, draw a scene, check and run a workflow on it with a trace, replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
dwim=./target/release/dwim
out=${DWIM_DEMO_DIR:-demo-out}
mkdir -p "$out"
$dwim scene --out "$out/scene.png" --seed 3
$dwim check programs/count_red.wf
$dwim run programs/count_red.wf --image "$out/scene.png" --trace "$out/run.jsonl"
$dwim replay "$out/run.jsonl"
echo "demo output in $out/"
