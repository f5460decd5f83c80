#!/usr/bin/env bash
# Build the Python package: a fresh virtual environment under target/py-venv, the abi3 wheel built
# by maturin into the shared target/ (release profile, the one `cargo test --release` uses), and the
# wheel installed there. `target/py-venv/bin/python -c 'import dwim'` then works; the wheel itself
# (target/wheels/dwim-*.whl) installs into any CPython >= 3.9 with `pip install`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/py-venv
rm -rf "$venv" target/wheels/dwim-*.whl
# Debian's python3 needs python3-venv for `-m venv`; fall back to virtualenv from PyPI.
if ! python3 -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m pip install --quiet --user virtualenv 2>/dev/null || python3 -m pip install --quiet --break-system-packages virtualenv
  python3 -m virtualenv --quiet "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.16,<2" pytest numpy pillow
"$venv/bin/maturin" build --release --quiet --manifest-path python/Cargo.toml --interpreter "$venv/bin/python" --out target/wheels
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps target/wheels/dwim-*.whl
echo "the Python package: $(ls target/wheels/dwim-*.whl), installed in $venv"
