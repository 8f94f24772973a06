#!/usr/bin/env bash
# A CPU profile of bagroom under load (bench/profile.mjs): builds the worker with its wasm function
# names kept (not stripped, wasm-opt -g) into .bagroom/prof-worker, starts a store, puts a 1 KiB
# and a 1 MiB object, and profiles one request kind:
#   bench/profile.sh [get-1k|get-1m|pub-1k|unknown|bad-token|peer-get-1k|peer-unknown] [seconds]
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
what="${1:-get-1k}"; secs="${2:-5}"
export STORE_ACCESS_KEY_ID=bagroom-store-bench STORE_SECRET_ACCESS_KEY=bagroom-store-bench-secret-0123456789
port="${PROFILE_STORE_PORT:-28433}"
mkdir -p bench/out
if [ "${PROFILE_NO_BUILD:-}" != 1 ] && [[ "$what" != peer-* ]]; then
  # wasm-opt with -g keeps the name section, and so does scripts/shrink-wasm.mjs with
  # BAGROOM_WASM_KEEP_NAMES=1 (the shipped build drops it)
  cat > bench/out/wasm-opt-g <<EOS
#!/bin/sh
exec "$WASM_OPT_BIN" "\$@" -g
EOS
  chmod +x bench/out/wasm-opt-g
  rm -rf .bagroom/prof-worker
  BAGROOM_WASM_KEEP_NAMES=1 CARGO_PROFILE_RELEASE_STRIP=false WASM_OPT_BIN="$ROOT/bench/out/wasm-opt-g" CARGO_TARGET_DIR="$ROOT/target/prof" \
    wrangler deploy --dry-run --outdir .bagroom/prof-worker > bench/out/prof-build.log 2>&1 || { tail -30 bench/out/prof-build.log; exit 1; }
  wasm="$(grep -o '[0-9a-f]*-index_bg.wasm' .bagroom/prof-worker/index.js | head -1)"
  find .bagroom/prof-worker -name '*.wasm' ! -name "$wasm" -delete
fi
if [[ "$what" = peer-* ]]; then
  esbuild bench/peer-js/worker.mjs --bundle --format=esm --platform=browser --target=es2022 --outfile=bench/out/peer/worker.js --log-level=warning
fi
cargo build --quiet --bin bagroom-token
scripts/store.sh stop prof >/dev/null 2>&1 || true
rm -rf .bagroom/prof
# PROFILE_KEEP_STORE=1: leave the store (and its objects) running for bench/ab.mjs
[ "${PROFILE_KEEP_STORE:-}" = 1 ] || trap 'scripts/store.sh stop prof >/dev/null 2>&1' EXIT
scripts/store.sh start prof "$port" >/dev/null
node -e '
const { AwsClient } = require("aws4fetch");
const c = new AwsClient({ accessKeyId: process.env.STORE_ACCESS_KEY_ID, secretAccessKey: process.env.STORE_SECRET_ACCESS_KEY, service: "s3", region: "us-east-1" });
const u = `http://127.0.0.1:${process.argv[1]}/bench`;
(async () => {
  await c.fetch(u, { method: "PUT" });
  for (const [k, n] of [["obj-1k", 1024], ["obj-1m", 1048576], ["pub/obj-1k", 1024]]) {
    const r = await c.fetch(`${u}/${k}`, { method: "PUT", body: require("crypto").randomBytes(n) });
    if (!r.ok) throw new Error(`put ${k}: ${r.status}`);
  }
})();' "$port"
keys="b1:bench-token-key-0123456789abcdef"
tok() { target/debug/bagroom-token mint --keys "$keys" --bucket bench --ttl 86400 --key "$1" --methods GET,HEAD; }
vars=(STORE_ENDPOINT="http://127.0.0.1:$port" STORE_BUCKET=bench STORE_REGION=us-east-1 STORE_ACCESS_KEY_ID="$STORE_ACCESS_KEY_ID"
  STORE_SECRET_ACCESS_KEY="$STORE_SECRET_ACCESS_KEY" BAGROOM_BUCKET=bench BAGROOM_REGION=us-east-1 BAGROOM_TOKEN_KEYS="$keys"
  BAGROOM_CACHE=false PEER_CACHE=false BAGROOM_PUBLIC_PREFIXES=pub/ ${PROFILE_VARS:-})
dir=.bagroom/prof-worker
case "$what" in
  get-1k) p="/bench/obj-1k?token=$(tok obj-1k)" ;;
  get-1m) p="/bench/obj-1m?token=$(tok obj-1m)" ;;
  pub-1k) p="/bench/pub/obj-1k" ;;
  unknown) p="/nosuchbucket/x" ;;
  bad-token) t="$(tok obj-1k)"; p="/bench/obj-1k?token=${t%???}AAA" ;;
  peer-get-1k) dir=bench/out/peer/worker.js; p="/bench/obj-1k?token=$(tok obj-1k)" ;;
  peer-unknown) dir=bench/out/peer/worker.js; p="/nosuchbucket/x" ;;
  *) echo "unknown probe $what" >&2; exit 2 ;;
esac
node bench/profile.mjs "$dir" "$p" "$secs" "${vars[@]}"
