#!/usr/bin/env bash
# Rebuild the example plugins from source.
#
#   tools-wasm/build.sh            rebuild into tools-wasm/dist (the committed binaries)
#   tools-wasm/build.sh --out DIR  rebuild into DIR
#   tools-wasm/build.sh --check    rebuild into a temp dir, report byte differences from dist, and
#                                  run the plugin tests against the rebuilt binaries (CI)
#
# Rust plugins use rustup's wasm32-unknown-unknown target when installed, else Debian's rustc-web
# with build-std (see docs/plugins.md). The C plugin needs clang (any recent version) and wasm-ld.
# Component plugins (./components, world ./wit) need rustup's wasm32-wasip2 target; without it the
# committed ones are copied (and, with --check, tested) and a warning says so. The C component
# (./components/c) needs clang and wasm-component-ld (shipped with rustup's rustc); likewise.
# The Python component (./components/python) needs componentize-py 0.25.1 (pip); likewise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$here/dist"
check=0
case "${1:-}" in
  --out) out=$(mkdir -p "$2" && cd "$2" && pwd) ;;
  --check) check=1; out=$(mktemp -d) ;;
  "") ;;
  *) echo "usage: $0 [--out DIR | --check]" >&2; exit 2 ;;
esac
mkdir -p "$out/test" "$out/perception" "$out/components/test"
rust_plugins="find_color color_stats normalize_answer"
# Test and benchmark plugins go to a subdirectory, which `--plugins DIST` does not load.
test_plugins="echo hostile"
# The benchmark's perception tools (wrapping ./perception), loaded by `--tools benchmark-wasm`;
# a subdirectory too, so that `--plugins DIST` does not load them next to the native ones.
perception_plugins="detect color shape read_text vqa"
# Components go to dist/components (their tool names are their core twins'); test ones below it.
component_plugins="normalize_answer find_color"
component_test_plugins="echo hostile uses_wasi"

cd "$here"
# Remap source paths so that panic locations do not embed this checkout's absolute path, and link
# with a 64 KiB stack (instead of 1 MiB): a smaller initial memory makes each call cheaper.
host_rustflags="${RUSTFLAGS-}"
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$here=/dwim-plugins -C link-arg=-zstack-size=65536"
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  cargo build --release --target wasm32-unknown-unknown
elif [ -x /usr/bin/rustc ] && /usr/bin/rustc --print target-list | grep -qx wasm32-unknown-unknown; then
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-19/bin/wasm-ld \
    /usr/bin/cargo build --release -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown
else
  echo "no wasm32 Rust toolchain: run 'rustup target add wasm32-unknown-unknown', or on Debian" >&2
  echo "  apt-get install rustc-web cargo-web rust-web-src lld-19" >&2
  exit 1
fi
for p in $rust_plugins; do
  cp "target/wasm32-unknown-unknown/release/$p.wasm" "$out/$p.wasm"
  if [ -f "plugins/$p/$p.json" ]; then cp "plugins/$p/$p.json" "$out/$p.json"; fi
done
for p in $test_plugins; do
  cp "target/wasm32-unknown-unknown/release/$p.wasm" "$out/test/$p.wasm"
done
for p in $perception_plugins; do
  cp "target/wasm32-unknown-unknown/release/$p.wasm" "$out/perception/$p.wasm"
done

cc=$(command -v clang || command -v clang-19 || command -v clang-14 || true)
ld=$(command -v wasm-ld || command -v wasm-ld-19 || ls /usr/lib/llvm-*/bin/wasm-ld 2>/dev/null | tail -1 || true)
if [ -n "$cc" ] && [ -n "$ld" ]; then
  obj=$(mktemp --suffix=.o)
  "$cc" --target=wasm32 -O2 -nostdlib -ffreestanding -c plugins/brightness_c/brightness.c -o "$obj"
  "$ld" --no-entry --strip-all -o "$out/brightness.wasm" "$obj"
  rm -f "$obj"
elif [ "$check" = 1 ]; then
  # A check without a C compiler still rebuilds and tests every Rust plugin; it says so, loudly.
  echo "warning: no clang/wasm-ld: the C plugin was NOT rebuilt; testing the committed brightness.wasm" >&2
  echo "  (apt-get install clang-19 lld-19)" >&2
  cp "$here/dist/brightness.wasm" "$out/brightness.wasm"
else
  echo "clang and wasm-ld are needed for the C plugin (apt-get install clang-19 lld-19)" >&2
  exit 1
fi
if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  # The SDK is no_std, so the components import nothing. Same flags as above (64 KiB stack).
  (cd components && cargo build --release --target wasm32-wasip2)
  for p in $component_plugins; do cp "components/target/wasm32-wasip2/release/$p.wasm" "$out/components/$p.wasm"; done
  for p in $component_test_plugins; do cp "components/target/wasm32-wasip2/release/$p.wasm" "$out/components/test/$p.wasm"; done
elif [ "$out" != "$here/dist" ]; then
  echo "WARNING: the wasm32-wasip2 target is not installed: the component plugins were NOT rebuilt;" >&2
  echo "WARNING:   copying (and testing) the committed ones. Run 'rustup target add wasm32-wasip2'." >&2
  cp -r "$here/dist/components/." "$out/components/"
else
  echo "WARNING: the wasm32-wasip2 target is not installed: the component plugins were NOT rebuilt" >&2
  echo "WARNING:   (rustup target add wasm32-wasip2); dist/components keeps the committed ones." >&2
fi
# A guest whose toolchain ($1) is missing: say so, loudly, and copy the committed binary ($2, under
# dist) into $out (so --check tests it), or keep it when building into dist; $3 says how to install.
not_rebuilt() {
  echo "WARNING: no $1: $2 was NOT rebuilt ($3)." >&2
  if [ "$out" != "$here/dist" ]; then
    echo "WARNING:   copying (and testing) the committed one." >&2
    cp "$here/dist/$2" "$out/$2"
  else
    echo "WARNING:   dist keeps the committed one." >&2
  fi
}
# The C component (components/c, committed bindings from wit-bindgen c): clang and the
# wasm-component-ld that rustup ships with rustc (it needs wasm-ld, found as above). After the
# Rust components, whose fallback copies every committed component, this one included.
wcl=$(command -v wasm-component-ld || ls "$(rustc --print sysroot 2>/dev/null)"/lib/rustlib/*/bin/wasm-component-ld 2>/dev/null | head -1 || true)
if [ -n "$cc" ] && [ -n "$wcl" ]; then
  CC="$cc" WASM_COMPONENT_LD="$wcl" WASM_LD="$ld" "$here/components/c/build.sh" "$out/components/brightness.wasm"
else
  not_rebuilt "clang or wasm-component-ld" components/brightness.wasm "apt-get install clang-19 lld-19; rustup"
fi
# The Python component (components/python, SDK dwim_tool.py): componentize-py, pinned. It bundles
# CPython (18 MB) and its bytes differ from build to build, so --check tests the rebuilt one
# rather than comparing bytes. In a subfolder: `--plugins DIST/components` does not load it (its
# first, uncached compile takes seconds).
mkdir -p "$out/components/python"
cpy=$(command -v componentize-py || true)
if [ -n "$cpy" ] && "$cpy" --version 2>/dev/null | grep -q "0\.25\.1"; then
  (cd components/python && "$cpy" -d ../../wit -w tool componentize --stub-wasi -p . -p mean_luma app \
    -o "$out/components/python/mean_luma.wasm" >/dev/null)
else
  not_rebuilt "componentize-py 0.25.1" components/python/mean_luma.wasm "pip install componentize-py==0.25.1"
fi
echo "built into $out:"; ls -lR "$out"

if [ "$check" = 1 ]; then
  status=0
  for f in "$out"/*.wasm "$out"/test/*.wasm "$out"/perception/*.wasm "$out"/components/*.wasm "$out"/components/test/*.wasm; do
    rel=${f#"$out"/}
    if ! cmp -s "$f" "$here/dist/$rel"; then
      echo "note: $rel differs from the committed binary (toolchain differences are expected across machines)"
    fi
  done
  cd "$root"
  # The host tests build with the caller's flags, not the guests': otherwise the whole release
  # tree would be compiled twice (once here, once by scripts/test.sh).
  if [ -n "$host_rustflags" ]; then export RUSTFLAGS="$host_rustflags"; else unset RUSTFLAGS; fi
  DWIM_TEST_PLUGINS="$out" cargo test --release --test wasm_hostile --test wasm_roundtrip --test wasm_cli --test wasm_perception --test wasm_component || status=1
  rm -rf "$out"
  exit $status
fi
