# bagroom: the two commands. Both install whatever is missing first (idempotent, pinned).
# `BAGROOM_BACKEND=r2 make dev` (or `make dev-r2`): the same demo on wrangler's local R2.
.PHONY: dev dev-r2 test setup build lint test-core test-e2e test-browser bench clean

dev:
	@BAGROOM_SKIP_BROWSER=1 scripts/setup.sh
	@scripts/dev.sh

dev-r2:
	@BAGROOM_SKIP_BROWSER=1 scripts/setup.sh
	@BAGROOM_BACKEND=r2 scripts/dev.sh

test: setup
	@scripts/test.sh

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh

lint: setup
	@scripts/test.sh lint

test-core: setup
	@scripts/test.sh core

test-e2e: setup
	@scripts/test.sh e2e

bench: setup
	@bench/run.sh

clean:
	rm -rf target build .wrangler .bagroom node_modules/.bagroom-stamp
