# Sourced by every script: where the pinned tools live and the environment builds and runs need.
# Tools that take minutes to build live in a per-user cache keyed by version, so a fresh clone on a
# machine that has built them once pays seconds.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/bagroom/tools"
WORKER_BUILD_VERSION=0.8.7
# wasm-bindgen CLI must equal the crate version in Cargo.lock
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock")"
PY_REQ_HASH="$(sha256sum "$ROOT/tests/requirements.txt" | cut -c1-12)"
PYENV="$TOOLS/py-$PY_REQ_HASH"
WORKER_BUILD_BIN="$TOOLS/worker-build-$WORKER_BUILD_VERSION/bin/worker-build"
export WASM_BINDGEN_BIN="$TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$ROOT/.wrangler-home"
export PATH="$ROOT/node_modules/.bin:$TOOLS/worker-build-$WORKER_BUILD_VERSION/bin:$TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION/bin:$PYENV/bin:$HOME/.cargo/bin:$PATH"
export BAGROOM_PYENV="$PYENV"
