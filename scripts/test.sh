#!/usr/bin/env bash
# Every test: the native core (cargo test), then the end-to-end suite (the real worker under
# workerd, the real store, real S3 clients) and the browser suite (Debian's Chromium).
#   scripts/test.sh [lint|core|e2e|browser|all]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
what="${1:-all}"
say() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }
t0=$(date +%s)

if [ "$what" = all ] || [ "$what" = lint ]; then
  say "lint: cargo fmt --check, clippy -D warnings (native and wasm32), no import cycles"
  cargo fmt --check
  cargo clippy --quiet --all-targets -- -D warnings
  cargo clippy --quiet --target wasm32-unknown-unknown --lib -- -D warnings
  python3 scripts/check_imports.py
fi

if [ "$what" = all ] || [ "$what" = core ]; then
  say "cargo test (native core)"
  cargo test --quiet
fi

if [ "$what" = all ] || [ "$what" = e2e ] || [ "$what" = browser ]; then
  say "build the worker (release wasm, wrangler deploy --dry-run)"
  cargo build --quiet --bin bagroom-token --bin bagroom-report
  rm -rf .bagroom/worker-out .bagroom/worker-out-r2
  wrangler deploy --dry-run --outdir .bagroom/worker-out >.bagroom/build.log 2>&1 || { tail -n 40 .bagroom/build.log; exit 1; }
  # the same worker for wrangler.toml's [env.r2] (the R2 binding): the e2e suite's second backend
  wrangler deploy --dry-run --env r2 --outdir .bagroom/worker-out-r2 >.bagroom/build-r2.log 2>&1 || { tail -n 40 .bagroom/build-r2.log; exit 1; }
  # The test store: its own ports (18333..) and data, fresh every run.
  export STORE_ACCESS_KEY_ID=bagroom-store-test STORE_SECRET_ACCESS_KEY=bagroom-store-test-secret-0123456789
  export BAGROOM_TEST_STORE_PORT="${BAGROOM_TEST_STORE_PORT:-18333}"
  scripts/store.sh stop test >/dev/null 2>&1 || true
  rm -rf .bagroom/test
  trap 'scripts/store.sh stop test' EXIT
  say "start the test store (SeaweedFS on 127.0.0.1:$BAGROOM_TEST_STORE_PORT)"
  scripts/store.sh start test "$BAGROOM_TEST_STORE_PORT"
  mkdir -p tests/artifacts
  # every gateway the suites start appends the worker's console output here (tests/e2e/harness.mjs)
  export BAGROOM_E2E_CONSOLE_LOG="$ROOT/tests/artifacts/e2e-console.log"
  rm -f "$BAGROOM_E2E_CONSOLE_LOG"
  if [ "$what" != browser ]; then
    # Two backends (tests/e2e/harness.mjs, BAGROOM_TEST_BACKEND): the whole suite on the S3 store,
    # then the backend-neutral files (a `// backends: s3 r2` line) on the R2 binding. Each run's
    # TAP goes to .bagroom/e2e-<backend>.tap too, for the counts at the end.
    e2e_rc=0
    e2e() { # backend, files...
      local b="$1"; shift
      BAGROOM_TEST_BACKEND="$b" node --test --test-concurrency=1 --test-timeout=300000 \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination=".bagroom/e2e-$b.tap" "$@" || e2e_rc=1
    }
    counts() { # backend: "tests N, pass N, fail N, skipped N" from its TAP summary
      awk '/^# (tests|pass|fail|cancelled|skipped|todo) [0-9]+$/ { printf "%s%s %s", sep, $2, $3; sep=", " } END { print "" }' ".bagroom/e2e-$1.tap"
    }
    say "end-to-end suite, S3 backend (node --test tests/e2e)"
    e2e s3 'tests/e2e/*.test.mjs'
    mapfile -t neutral < <(grep -l '^// backends: .*\br2\b' tests/e2e/*.test.mjs)
    say "end-to-end suite, R2 backend: the backend-neutral files (${#neutral[@]})"
    e2e r2 "${neutral[@]}"
    say "e2e S3 backend: $(counts s3)"
    say "e2e R2 backend: $(counts r2)"
    [ "$e2e_rc" = 0 ] || { say "end-to-end suite failed"; exit 1; }
    say "bagroom-report over the e2e run's access log ($BAGROOM_E2E_CONSOLE_LOG)"
    target/debug/bagroom-report "$BAGROOM_E2E_CONSOLE_LOG"
  fi
  if [ "$what" != e2e ] && [ -d tests/browser ]; then
    # Once per backend: the S3 test store, then the R2 binding (the gateway built for
    # wrangler.toml's [env.r2], Miniflare's local R2; tests/browser/lib.mjs BAGROOM_BROWSER_BACKEND).
    # (unless this run built it already: newer than this run's S3 build log)
    if ! [ .bagroom/worker-out-r2/index.js -nt .bagroom/build.log ]; then
      say "build the worker for the R2 binding (wrangler deploy --dry-run --env r2)"
      rm -rf .bagroom/worker-out-r2
      wrangler deploy --dry-run --env r2 --outdir .bagroom/worker-out-r2 >.bagroom/build-r2.log 2>&1 || { tail -n 40 .bagroom/build-r2.log; exit 1; }
    fi
    browser_rc=0; counts=""
    for backend in s3 r2; do
      say "browser suite on the $backend backend (Chromium via playwright-core)"
      tap="tests/artifacts/browser-$backend.tap"
      BAGROOM_BROWSER_BACKEND=$backend BAGROOM_TEST_BACKEND=$backend node --test --test-concurrency=1 --test-timeout=300000 \
        --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$tap" \
        'tests/browser/*.test.mjs' || browser_rc=1
      n() { awk -v k="$1" '$1 == "#" && $2 == k { v = $3 } END { print v + 0 }' "$tap"; }
      counts="$counts  $backend: $(n tests) tests, $(n pass) pass, $(n fail) fail, $(n skipped) skipped"$'\n'
    done
    say "browser suite per backend:"
    printf '%s' "$counts"
    [ "$browser_rc" = 0 ] || exit 1
  fi
fi
say "done in $(( $(date +%s) - t0 ))s"
