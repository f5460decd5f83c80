#!/usr/bin/env bash
# The Python package: a fresh virtual environment under target/, the abi3 wheel built by maturin
# into the shared target/ (release profile, the one `cargo test --release` uses), installed there,
# then the pytest tests against the installed wheel (not the source folder).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
rm -rf "$venv" target/wheels/dwim-*.whl
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.16,<2" pytest numpy pillow
"$venv/bin/maturin" build --release --quiet --manifest-path python/Cargo.toml --interpreter "$venv/bin/python" --out target/wheels
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps target/wheels/dwim-*.whl
cd python/tests
exec "../../$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
