#!/usr/bin/env bash
# The Python package's tests: python/build.sh (a fresh virtual environment under target/, the abi3
# wheel built into the shared target/ and installed there), then the pytest tests against the
# installed wheel (not the source folder).
set -euo pipefail
cd "$(dirname "$0")/.."
./python/build.sh
cd python/tests
exec ../../target/py-venv/bin/python -m pytest -q -p no:cacheprovider "$@"
