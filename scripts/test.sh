#!/usr/bin/env bash
# The README's test command: every test, including the heavy ones marked #[ignore].
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -- --include-ignored
