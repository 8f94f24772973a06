#!/usr/bin/env bash
# `make dev`: the local stack. Store (SeaweedFS, 127.0.0.1:8333) with a demo bucket and object,
# the worker under `wrangler dev` on 127.0.0.1:8787 serving www/, demo credentials and tokens.
# `BAGROOM_BACKEND=r2 make dev`: the same demo on an R2 binding instead (wrangler.toml's [env.r2]:
# wrangler's local R2, data in .bagroom/dev-r2; no store process, no store credentials).
# Ctrl-C stops the worker, and the store if this run started it.
# Another instance beside a running one: BAGROOM_DEV_PORT=8788 make dev (it shares the running
# store; BAGROOM_DEV_STORE_PORT picks another store port, BAGROOM_DEV_ENV_FILE another env file).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '\033[1;32m[dev]\033[0m %s\n' "$*"; }
PORT="${BAGROOM_DEV_PORT:-8787}"; STORE_PORT="${BAGROOM_DEV_STORE_PORT:-8333}"
BACKEND="${BAGROOM_BACKEND:-s3}"
# the store's name (its data and pidfile under .bagroom/NAME): one store per store port
STORE_NAME=dev; [ "$STORE_PORT" = 8333 ] || STORE_NAME="dev-$STORE_PORT"
case "$BACKEND" in s3|r2) ;; *) echo "BAGROOM_BACKEND must be s3 or r2 (got '$BACKEND')" >&2; exit 2 ;; esac
# R2 mode: the binding's bucket (wrangler.toml [env.r2] r2_buckets) and where wrangler keeps its data
R2_BUCKET=bagroom-demo
R2_PERSIST="${BAGROOM_DEV_R2_PERSIST:-$ROOT/.bagroom/dev-r2}"
# the env file for tools: one per worker port, so a second instance never repoints the first's
DEV_ENV_DEFAULT="$ROOT/.bagroom/dev.env"; [ "$PORT" = 8787 ] || DEV_ENV_DEFAULT="$ROOT/.bagroom/dev-$PORT.env"
DEV_ENV="${BAGROOM_DEV_ENV_FILE:-$DEV_ENV_DEFAULT}"
mkdir -p .bagroom

# Refuse before touching anything when the worker's ports are taken (another `make dev`, say):
# otherwise the wait below would find the other instance's /healthz and print its links as ours.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$((PORT + 442))"; do
  if listening "$p"; then
    echo "[dev] 127.0.0.1:$p is in use (another make dev?). Stop it, or pick another port:" >&2
    echo "      BAGROOM_DEV_PORT=$((PORT + 1)) make dev" >&2
    exit 1
  fi
done

# Demo secrets, made once per checkout (random, never committed). `wrangler dev` reads .dev.vars.
if [ ! -f .dev.vars ]; then
  rnd() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
  cat > .dev.vars <<VARS
STORE_ACCESS_KEY_ID=demo-store-$(rnd 8)
STORE_SECRET_ACCESS_KEY=$(rnd 32)
BAGROOM_ACCESS_KEYS=BAGROOMDEMO$(rnd 9 | tr a-z A-Z):$(rnd 32)
BAGROOM_TOKEN_KEYS=dev1:$(rnd 32)
VARS
  chmod 600 .dev.vars
  say "wrote demo secrets to .dev.vars"
fi
set -a; source .dev.vars; set +a
if [ "$BACKEND" = r2 ]; then
  # `wrangler dev --env r2` reads .dev.vars.r2 instead of .dev.vars: the same gateway secrets,
  # no store credentials (the binding needs none).
  (umask 077; grep -E '^BAGROOM_' .dev.vars > .dev.vars.r2.tmp) && mv .dev.vars.r2.tmp .dev.vars.r2
fi

WPID=""; STORE_OURS=0
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
    kill -TERM "$WPID" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.25; done
  fi
  # a store that was already running belongs to whoever started it (another make dev)
  if [ "$STORE_OURS" = 1 ]; then scripts/store.sh stop "$STORE_NAME" || true; fi
}
trap cleanup EXIT
# Ctrl-C and SIGTERM are the normal way to stop: clean up and exit 0
trap 'cleanup; exit 0' INT TERM

HELLO="Hello from bagroom: this object lives in the store and reaches you through the edge."
if [ "$BACKEND" = s3 ]; then
  if [ -f ".bagroom/$STORE_NAME/store.pid" ] && kill -0 "$(cat ".bagroom/$STORE_NAME/store.pid")" 2>/dev/null; then
    say "using the store already running for another make dev (it stays up when this one stops)"
  else
    say "starting the store on 127.0.0.1:$STORE_PORT (data in .bagroom/$STORE_NAME)"
    STORE_OURS=1
  fi
  scripts/store.sh start "$STORE_NAME" "$STORE_PORT"
  "$BAGROOM_PYENV/bin/python" scripts/store_init.py "http://127.0.0.1:$STORE_PORT" demo
else
  say "R2 backend: wrangler's local R2 (binding BAGROOM_R2, bucket $R2_BUCKET, data in ${R2_PERSIST#$ROOT/})"
  mkdir -p "$R2_PERSIST"
  printf '%s\n' "$HELLO" > .bagroom/hello.txt
  # the same object the S3 path's store_init.py puts (every run, as there)
  wrangler r2 object put "$R2_BUCKET/hello.txt" --env r2 --local --persist-to "$R2_PERSIST" \
    --file .bagroom/hello.txt --content-type "text/plain; charset=utf-8" >.bagroom/dev-r2-seed.log 2>&1 \
    || { cat .bagroom/dev-r2-seed.log >&2; exit 1; }
  say "seeded $R2_BUCKET/hello.txt"
fi

say "building the token tool"
cargo build --quiet --release --bin bagroom-token
TOKEN_BIN="$ROOT/target/release/bagroom-token"

say "starting wrangler dev on 127.0.0.1:$PORT"
if [ "$BACKEND" = s3 ]; then
  wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$((PORT + 442))" \
    --var "STORE_ENDPOINT:http://127.0.0.1:$STORE_PORT" </dev/null &
else
  wrangler dev --env r2 --persist-to "$R2_PERSIST" --ip 127.0.0.1 --port "$PORT" --inspector-port "$((PORT + 442))" </dev/null &
fi
WPID=$!
for i in $(seq 1 240); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$WPID" 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done

URL="http://127.0.0.1:$PORT"
health="$(curl -s -w '\n%{http_code}' "$URL/healthz" || true)"
if [ "${health##*$'\n'}" != 200 ]; then
  printf '\033[1;33m[dev]\033[0m warning: GET /healthz answers %s:\n%s\n' "${health##*$'\n'}" "${health%$'\n'*}" >&2
fi
UPLOAD_TOKEN="$("$TOKEN_BIN" mint --bucket demo --prefix "" --methods GET,HEAD,PUT,POST,DELETE,LIST,SHARE --ttl 604800)"
READ_TOKEN="$("$TOKEN_BIN" mint --bucket demo --key hello.txt --methods GET,HEAD --ttl 86400)"
mkdir -p "$(dirname "$DEV_ENV")"
{
  cat <<ENV
BAGROOM_URL=$URL
BAGROOM_BUCKET=demo
BAGROOM_ACCESS_KEY_ID=${BAGROOM_ACCESS_KEYS%%:*}
BAGROOM_SECRET_ACCESS_KEY=${BAGROOM_ACCESS_KEYS#*:}
BAGROOM_UPLOAD_TOKEN=$UPLOAD_TOKEN
ENV
  if [ "$BACKEND" = s3 ]; then
    cat <<ENV
STORE_URL=http://127.0.0.1:$STORE_PORT
STORE_ACCESS_KEY_ID=$STORE_ACCESS_KEY_ID
STORE_SECRET_ACCESS_KEY=$STORE_SECRET_ACCESS_KEY
ENV
  else
    cat <<ENV
# R2 backend (BAGROOM_BACKEND=r2): no STORE_URL or store credentials; the store is the R2 binding
# BAGROOM_R2 (bucket $R2_BUCKET) in wrangler's local R2 under ${R2_PERSIST#$ROOT/}. Reach it
# through the gateway, or: npx wrangler r2 object get $R2_BUCKET/hello.txt --env r2 --local --persist-to ${R2_PERSIST#$ROOT/} --pipe
ENV
  fi
} > "$DEV_ENV"
chmod 600 "$DEV_ENV"
echo
if [ "$BACKEND" = s3 ]; then say "bagroom is up"; else say "bagroom is up (R2 backend)"; fi
echo "  demo page:      $URL/?token=$UPLOAD_TOKEN"
echo "  download link:  $URL/demo/hello.txt?token=$READ_TOKEN"
echo "  share link:     $URL/s/$READ_TOKEN"
echo "  for your tools: source ${DEV_ENV#$ROOT/}   (README: Use it with aws-cli)"
if [ "$BACKEND" = s3 ] && [ "$STORE_OURS" = 1 ]; then echo "  Ctrl-C stops the worker and the store."
elif [ "$BACKEND" = s3 ]; then echo "  Ctrl-C stops the worker (the store belongs to the other make dev)."; else echo "  Ctrl-C stops the worker (the R2 data stays in ${R2_PERSIST#$ROOT/})."; fi
rc=0; wait "$WPID" || rc=$?
# wrangler stopped by Ctrl-C or SIGTERM (130, 143) is a normal stop, not an error for make to report
case "$rc" in 0|130|143) exit 0 ;; *) echo "wrangler dev exited with status $rc" >&2; exit "$rc" ;; esac
