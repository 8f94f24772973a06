#!/usr/bin/env bash
# The local S3-compatible store (SeaweedFS from PyPI) for dev and tests.
#   scripts/store.sh start NAME S3PORT   start (if not running) with data under .bagroom/NAME, wait until ready
#   scripts/store.sh stop NAME           stop it (SIGTERM, then wait)
# Credentials: STORE_ACCESS_KEY_ID / STORE_SECRET_ACCESS_KEY from the environment (demo defaults).
# Every port is derived from S3PORT so that a dev store (8333) and a test store (18333) never collide.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cmd="${1:?start|stop}"; name="${2:?name}"
dir="$ROOT/.bagroom/$name"
pidf="$dir/store.pid"
running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }

case "$cmd" in
start)
  p="${3:?s3 port}"
  AK="${STORE_ACCESS_KEY_ID:-bagroom-store-dev}"; SK="${STORE_SECRET_ACCESS_KEY:-bagroom-store-dev-secret}"
  mkdir -p "$dir/data"
  if ! running; then
    cat > "$dir/s3.json" <<JSON
{"identities":[{"name":"bagroom","credentials":[{"accessKey":"$AK","secretKey":"$SK"}],
 "actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
    chmod 600 "$dir/s3.json"
    weed -logtostderr mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -master.telemetry=false -s3.config="$dir/s3.json" -volume.max=2000 \
      -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 \
      -s3.port="$p" -s3.port.grpc=$((p+20)) \
      -master.port=$((p+7)) -master.port.grpc=$((p+17)) \
      -volume.port=$((p+8)) -volume.port.grpc=$((p+18)) \
      -filer.port=$((p+9)) -filer.port.grpc=$((p+19)) \
      -admin.port=$((p+10)) -admin.port.grpc=$((p+21)) \
      >"$dir/store.log" 2>&1 </dev/null &
    echo $! > "$pidf"
  fi
  for i in $(seq 1 120); do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" ; then
      if AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK python3 - "$p" <<'PY' 2>/dev/null; then exit 0; fi
import sys, urllib.request
# a SigV4-signed ListBuckets proves the S3 API and the identity are up
import hashlib, hmac, datetime, os
ak, sk = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
host = f"127.0.0.1:{sys.argv[1]}"
t = datetime.datetime.now(datetime.timezone.utc)
amz, d = t.strftime("%Y%m%dT%H%M%SZ"), t.strftime("%Y%m%d")
ph = hashlib.sha256(b"").hexdigest()
creq = f"GET\n/\n\nhost:{host}\nx-amz-content-sha256:{ph}\nx-amz-date:{amz}\n\nhost;x-amz-content-sha256;x-amz-date\n{ph}"
scope = f"{d}/us-east-1/s3/aws4_request"
sts = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
k = ("AWS4" + sk).encode()
for m in (d, "us-east-1", "s3", "aws4_request"):
    k = hmac.new(k, m.encode(), hashlib.sha256).digest()
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(f"http://{host}/", headers={"x-amz-date": amz, "x-amz-content-sha256": ph,
  "Authorization": f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
urllib.request.urlopen(req, timeout=3).read()
PY
    fi
    if ! running; then echo "store exited; see $dir/store.log" >&2; tail -20 "$dir/store.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "store did not become ready on port $p; see $dir/store.log" >&2; exit 1
  ;;
stop)
  if running; then
    pid="$(cat "$pidf")"; kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
  ;;
*) echo "usage: $0 start NAME PORT | stop NAME" >&2; exit 2 ;;
esac
