#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, starts Redis if none answers,
# checks formatting, then builds, type-checks, lints and tests every package through turbo.
# Prints one closing line "N passed, N failed" summed over every package's jest run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/bootstrap.sh
ensure_redis
trap stop_private_redis EXIT

log "checking formatting (prettier)"
pnpm exec prettier --check . --log-level warn

find . -path ./node_modules -prune -o -name .jest-results.json -print0 | xargs -0 rm -f
log "build, typecheck, lint and test (turbo)"
status=0
pnpm exec turbo run build typecheck lint test --concurrency=2 --output-logs=new-only || status=$?

node scripts/sum-results.js || status=1
exit "$status"
