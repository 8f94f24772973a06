#!/usr/bin/env bash
# Build the worker (wasm32, release) into build/. Used by wrangler's [build] and by the scripts.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
export BAGROOM_GIT_COMMIT="${BAGROOM_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
# The edge bundle is optimised for size (opt-level z: about 12% smaller gzipped than "s");
# native builds (tests, benches, the token CLI) keep Cargo.toml's profile.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"
"$WORKER_BUILD_BIN" --release "$@"
# what the wasm does not need at run time: long import names, custom sections
node "$ROOT/scripts/shrink-wasm.mjs" "$ROOT/build/index_bg.wasm" "$ROOT/build/index.js"
