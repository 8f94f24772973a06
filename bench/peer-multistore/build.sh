#!/usr/bin/env bash
# Build the multistore peer for bench/run.sh into OUTDIR (default .bagroom/bench-multistore):
# `wrangler deploy --dry-run` with this folder's wrangler.toml, whose [build] calls this script
# back as `build.sh worker-build`. Installs what only this peer needs, never part of `make test`
# or .ci/run: clang (Debian) for `ring` on wasm32, worker-build 0.7.5 (multistore-cf-workers
# needs worker 0.7, and worker-build must match it) and the wasm-bindgen CLI of this Cargo.lock,
# both in the per-user tools cache.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../scripts/env.sh"
MS_WORKER_BUILD_VERSION=0.7.5
MS_WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$HERE/Cargo.lock")"
MS_WORKER_BUILD_BIN="$TOOLS/worker-build-$MS_WORKER_BUILD_VERSION/bin/worker-build"
export WASM_BINDGEN_BIN="$TOOLS/wasm-bindgen-cli-$MS_WASM_BINDGEN_VERSION/bin/wasm-bindgen"
export CARGO_TARGET_DIR="$HERE/target"
say() { printf '\033[1;35m[peer-multistore]\033[0m %s\n' "$*" >&2; }

if [ "${1:-}" = worker-build ]; then
  # called by wrangler: ring's C parts need clang for wasm32 (gcc cannot target it)
  export CC_wasm32_unknown_unknown="${CC_wasm32_unknown_unknown:-clang}"
  AR="$(command -v llvm-ar || command -v llvm-ar-14 || true)"
  export AR_wasm32_unknown_unknown="${AR_wasm32_unknown_unknown:-$AR}"
  cd "$HERE"
  exec "$MS_WORKER_BUILD_BIN" --release
fi

OUTDIR="${1:-$ROOT/.bagroom/bench-multistore}"
if ! command -v clang >/dev/null || ! { command -v llvm-ar || command -v llvm-ar-14; } >/dev/null; then
  say "installing clang (apt) for ring on wasm32"
  if [ "$(id -u)" = 0 ]; then apt-get install -y clang llvm >/dev/null; else sudo apt-get install -y clang llvm >/dev/null; fi
fi
if [ ! -x "$MS_WORKER_BUILD_BIN" ]; then
  say "installing worker-build $MS_WORKER_BUILD_VERSION (about 4 min, once)"
  cargo install --locked --root "$TOOLS/worker-build-$MS_WORKER_BUILD_VERSION" "worker-build@$MS_WORKER_BUILD_VERSION"
fi
if [ ! -x "$WASM_BINDGEN_BIN" ]; then
  say "installing wasm-bindgen-cli $MS_WASM_BINDGEN_VERSION (about 3 min, once)"
  # not --locked: its lockfile pins a webpki-roots version the registry lacks
  cargo install --root "$TOOLS/wasm-bindgen-cli-$MS_WASM_BINDGEN_VERSION" "wasm-bindgen-cli@$MS_WASM_BINDGEN_VERSION"
fi
say "build (wrangler deploy --dry-run, worker-build $MS_WORKER_BUILD_VERSION, wasm-bindgen $MS_WASM_BINDGEN_VERSION)"
rm -rf "$OUTDIR"
mkdir -p "$(dirname "$OUTDIR")"
cd "$HERE"
wrangler deploy --dry-run --outdir "$OUTDIR" > "$OUTDIR.log" 2>&1 || { tail -n 40 "$OUTDIR.log"; exit 1; }
# keep only the wasm that index.js imports
wasm="$(grep -o '[0-9a-f]*-index_bg.wasm' "$OUTDIR/index.js" | head -1)"
find "$OUTDIR" -name '*.wasm' ! -name "$wasm" -delete
grep -E "Total Upload" "$OUTDIR.log" | tail -1 > "$OUTDIR/bundle.txt"
say "bundle: $(cat "$OUTDIR/bundle.txt")"
