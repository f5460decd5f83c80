#!/usr/bin/env bash
# Build the C component plugin brightness (a component of the dwim:tool@0.1.0 world, ../../wit).
#
#   tools-wasm/components/c/build.sh OUT.wasm             compile and link into OUT.wasm
#   tools-wasm/components/c/build.sh --bindings [OUT.wasm] regenerate ./bindings first (needs
#                                                          wit-bindgen-cli 0.57.x), then build
#
# Needs clang with the wasm32 target (Debian: apt-get install clang-19 lld-19) and the linker
# wasm-component-ld that rustup's wasm32-wasip2 target ships; wasm-component-ld runs wasm-ld
# (LLVM's, else rust-lld's) and makes the core module a component with the component type in
# bindings/tool_component_type.o. The bindings are committed, so wit-bindgen is needed only to
# regenerate them. Override the tools with $CC, $WASM_COMPONENT_LD and $WASM_LD.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

bindings=0
if [ "${1:-}" = "--bindings" ]; then bindings=1; shift; fi
if [ $# -gt 1 ] || { [ $# -eq 0 ] && [ "$bindings" = 0 ]; }; then
  echo "usage: $0 [--bindings] OUT.wasm" >&2
  exit 2
fi

if [ "$bindings" = 1 ]; then
  wbg=$(command -v wit-bindgen || true)
  if [ -z "$wbg" ]; then
    echo "wit-bindgen not found: cargo install wit-bindgen-cli --version 0.57.1 --locked" >&2
    exit 1
  fi
  "$wbg" c "$here/../../wit" --world tool --out-dir "$here/bindings"
  [ $# -eq 1 ] || exit 0
fi
out=$1

# Tools: clang-19 first (what CI installs), then any clang; it must know the wasm32 target.
cc=${CC:-$(command -v clang-19 || command -v clang || true)}
wcl=${WASM_COMPONENT_LD:-$(command -v wasm-component-ld || true)}
if [ -z "$wcl" ]; then
  sysroot=$(rustc --print sysroot 2>/dev/null || true)
  for f in "$sysroot"/lib/rustlib/*/bin/wasm-component-ld "$HOME"/.rustup/toolchains/*/lib/rustlib/*/bin/wasm-component-ld; do
    if [ -x "$f" ]; then wcl=$f; break; fi
  done
fi
ld=${WASM_LD:-$(command -v wasm-ld || command -v wasm-ld-19 || ls /usr/lib/llvm-*/bin/wasm-ld 2>/dev/null | tail -1 || true)}
if [ -z "$ld" ] && [ -n "$wcl" ] && [ -x "$(dirname "$wcl")/gcc-ld/wasm-ld" ]; then
  ld="$(dirname "$wcl")/gcc-ld/wasm-ld" # rust-lld, next to wasm-component-ld
fi
if [ -z "$cc" ]; then echo "no clang (apt-get install clang-19 lld-19)" >&2; exit 1; fi
if [ -z "$wcl" ]; then echo "no wasm-component-ld (rustup target add wasm32-wasip2)" >&2; exit 1; fi
if [ -z "$ld" ]; then echo "no wasm-ld (apt-get install lld-19)" >&2; exit 1; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Freestanding: no libc and no WASI, so the component imports nothing. include/ holds the shim
# headers (stdlib.h, string.h) that the bindings include; shim.c implements them.
cflags=(--target=wasm32 -O2 -ffreestanding -nostdlib -Wall -Wextra -I"$here/include" -I"$here/bindings")
for src in brightness.c shim.c bindings/tool.c; do
  "$cc" "${cflags[@]}" -c "$here/$src" -o "$tmp/$(basename "$src" .c).o"
done
# A 64 KiB stack (as the Rust plugins), no entry point (a library: the bindings export the
# functions), no debug or name sections; --wasi-adapter none: there is no WASI to adapt.
"$wcl" --wasm-ld-path "$ld" --wasi-adapter none --no-entry -zstack-size=65536 --strip-all \
  -o "$out" "$tmp/brightness.o" "$tmp/shim.o" "$tmp/tool.o" "$here/bindings/tool_component_type.o"
echo "built $out ($(wc -c < "$out") bytes)"
