#!/usr/bin/env bash
# The benchmarks, in one run: bagroom vs a JavaScript peer (aws4fetch) vs the store directly, and
# bagroom vs multistore (a Rust S3 gateway for Workers, bench/peer-multistore).
#   bench/run.sh            everything (about 10 min), then rewrites BENCHMARKS.md
#   BENCH_DURATION=3 BENCH_WARMUP=1 BENCH_BIG_BYTES=67108864 bench/run.sh   a quick run
#   BENCH_ONLY='GET 1 KiB' bench/run.sh   only the scenarios whose name matches (regex)
#   BENCH_SKIP_NATIVE=1     skip the criterion benches (native µs/op)
#   BENCH_SKIP_R2=1         skip the R2-binding rows (bagroom built for [env.r2], Miniflare's local R2)
#   BENCH_SKIP_MULTISTORE=1 skip the multistore rows (and its build: clang from Debian, worker-build
#                           0.7.5, about 5 min the first time); BENCH_ONLY=multistore runs only them
#   bench/run.sh distance   only the distance scenarios (BENCH_ONLY=distance): the store
#                           BENCH_DISTANCE_MS (40) away each way, through bench/delay-proxy.mjs
# Ports: store 28333 (+7..+21 for its other services), workers and the delay proxy 28791-28805:
# they collide with neither dev (8333/8787) nor tests (18333). BENCH_STORE_PORT and
# BENCH_PORT_BASE move them (two benches at once). Raw outputs go to bench/out/ (git-ignored).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
say() { printf '\033[1;35m[bench]\033[0m %s\n' "$*" >&2; }
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
if [ "${1:-}" = distance ]; then export BENCH_ONLY=distance BENCH_SKIP_NATIVE=1; fi
export BENCH_OUT="$OUT" BENCH_STORE_PORT="${BENCH_STORE_PORT:-28333}"
export STORE_ACCESS_KEY_ID=bagroom-store-bench STORE_SECRET_ACCESS_KEY=bagroom-store-bench-secret-0123456789

# Load generator: wrk (Debian).
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi

# bagroom, built into its own folder (others rebuild .bagroom/worker-out concurrently).
say "build bagroom (wrangler deploy --dry-run)"
cargo build --quiet --bin bagroom-token
rm -rf .bagroom/bench-worker
wrangler deploy --dry-run --outdir .bagroom/bench-worker >"$OUT/build.log" 2>&1 || { tail -n 40 "$OUT/build.log"; exit 1; }
# keep only the wasm that index.js imports (the outdir may hold older ones)
wasm="$(grep -o '[0-9a-f]*-index_bg.wasm' .bagroom/bench-worker/index.js | head -1)"
find .bagroom/bench-worker -name '*.wasm' ! -name "$wasm" -delete
grep -E "Total Upload" "$OUT/build.log" | tail -1 > "$OUT/bundle.txt"
say "bundle: $(cat "$OUT/bundle.txt")"
# the same gateway for wrangler.toml's [env.r2] (an R2 binding instead of the S3 endpoint): the
# "bagroom (R2)" rows (BENCH_SKIP_R2=1 leaves them out)
rm -rf .bagroom/bench-worker-r2
if [ "${BENCH_SKIP_R2:-}" != 1 ] && [ "${BENCH_ONLY:-}" != distance ]; then
  say "build bagroom for the R2 binding (wrangler deploy --dry-run --env r2)"
  wrangler deploy --dry-run --env r2 --outdir .bagroom/bench-worker-r2 >"$OUT/build-r2.log" 2>&1 || { tail -n 40 "$OUT/build-r2.log"; exit 1; }
  wasm="$(grep -o '[0-9a-f]*-index_bg.wasm' .bagroom/bench-worker-r2/index.js | head -1)"
  find .bagroom/bench-worker-r2 -name '*.wasm' ! -name "$wasm" -delete
fi

# The second peer, multistore: its own Cargo project and wrangler.toml (bench/peer-multistore/build.sh
# installs clang for ring on wasm32 and worker-build 0.7.5 on first use; bench setup only).
if [ "${BENCH_SKIP_MULTISTORE:-}" != 1 ] && [ "${BENCH_ONLY:-}" != distance ] \
  && node -e 'const o = process.env.BENCH_ONLY; process.exit(!o || new RegExp(o).test("multistore") ? 0 : 1)'; then
  say "build the multistore peer (bench/peer-multistore/build.sh)"
  bench/peer-multistore/build.sh "$ROOT/.bagroom/bench-multistore"
fi

# The peer: bundled the way wrangler would (esbuild), aws4fetch from node_modules.
say "build the JS peer (esbuild bench/peer-js/worker.mjs)"
mkdir -p "$OUT/peer"
esbuild bench/peer-js/worker.mjs --bundle --format=esm --platform=browser --target=es2022 \
  --outfile="$OUT/peer/worker.js" --log-level=warning

# The store: its own name, ports and data, fresh every run.
scripts/store.sh stop bench >/dev/null 2>&1 || true
rm -rf .bagroom/bench
trap 'scripts/store.sh stop bench' EXIT
say "start the bench store (SeaweedFS on 127.0.0.1:$BENCH_STORE_PORT)"
scripts/store.sh start bench "$BENCH_STORE_PORT"

say "load runs (${BENCH_DURATION:-10} s each after ${BENCH_WARMUP:-2} s warm-up, ${BENCH_CONNS:-4} connections)"
node bench/bench.mjs

if [ -z "${BENCH_SKIP_NATIVE:-}" ]; then
  say "native criterion benches (cargo bench --bench verify/token/sign)"
  cargo bench --bench verify --bench token --bench sign -- --warm-up-time 1 --measurement-time 3 >"$OUT/criterion.txt" 2>&1 \
    || { tail -n 30 "$OUT/criterion.txt"; exit 1; }
fi

say "report"
node bench/report.mjs
