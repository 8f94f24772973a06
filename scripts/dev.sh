#!/usr/bin/env bash
# `make dev`: the local stack. Store (SeaweedFS, 127.0.0.1:8333) with a demo bucket and object,
# the worker under `wrangler dev` on 127.0.0.1:8787 serving www/, demo credentials and tokens.
# Ctrl-C stops the worker and the store.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
say() { printf '\033[1;32m[dev]\033[0m %s\n' "$*"; }
PORT="${BAGROOM_DEV_PORT:-8787}"; STORE_PORT="${BAGROOM_DEV_STORE_PORT:-8333}"
mkdir -p .bagroom

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

WPID=""
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
    kill -TERM "$WPID" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.25; done
  fi
  scripts/store.sh stop dev || true
}
trap cleanup INT TERM EXIT

say "starting the store on 127.0.0.1:$STORE_PORT (data in .bagroom/dev)"
scripts/store.sh start dev "$STORE_PORT"
"$BAGROOM_PYENV/bin/python" scripts/store_init.py "http://127.0.0.1:$STORE_PORT" demo

say "building the token tool"
cargo build --quiet --release --bin bagroom-token
TOKEN_BIN="$ROOT/target/release/bagroom-token"

say "starting wrangler dev on 127.0.0.1:$PORT"
wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$((PORT + 442))" \
  --var "STORE_ENDPOINT:http://127.0.0.1:$STORE_PORT" </dev/null &
WPID=$!
for i in $(seq 1 240); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$WPID" 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done

URL="http://127.0.0.1:$PORT"
UPLOAD_TOKEN="$("$TOKEN_BIN" mint --bucket demo --prefix "" --methods GET,HEAD,PUT,POST,DELETE,LIST,SHARE --ttl 604800)"
READ_TOKEN="$("$TOKEN_BIN" mint --bucket demo --key hello.txt --methods GET,HEAD --ttl 86400)"
cat > .bagroom/dev.env <<ENV
BAGROOM_URL=$URL
BAGROOM_BUCKET=demo
BAGROOM_ACCESS_KEY_ID=${BAGROOM_ACCESS_KEYS%%:*}
BAGROOM_SECRET_ACCESS_KEY=${BAGROOM_ACCESS_KEYS#*:}
BAGROOM_UPLOAD_TOKEN=$UPLOAD_TOKEN
STORE_URL=http://127.0.0.1:$STORE_PORT
STORE_ACCESS_KEY_ID=$STORE_ACCESS_KEY_ID
STORE_SECRET_ACCESS_KEY=$STORE_SECRET_ACCESS_KEY
ENV
chmod 600 .bagroom/dev.env
echo
say "bagroom is up"
echo "  demo page:      $URL/?token=$UPLOAD_TOKEN"
echo "  download link:  $URL/demo/hello.txt?token=$READ_TOKEN"
echo "  share link:     $URL/s/$READ_TOKEN"
echo "  for your tools: source .bagroom/dev.env   (README: Use it with aws-cli)"
echo "  Ctrl-C stops the worker and the store."
wait "$WPID"
