#!/usr/bin/env bash
# `pnpm demo` / `npm run demo` from a fresh clone: installs what is missing (pnpm, the locked
# dependencies, redis-server when no Redis answers and apt-get is there), builds the demo platform
# and starts it. It prints its URLs and demo keys; Ctrl-C stops it cleanly. Env vars: README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/bootstrap.sh --demo
if [ -z "${REDIS_URL:-}" ] && ! redis_answers 127.0.0.1 6379 && ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    log "no Redis found: installing redis-server (the demo starts a private one on a free port)"
    apt_install redis-server || log "could not install redis-server; the demo will say how to get Redis"
  fi
fi
log "building the demo platform"
pnpm exec turbo run build --filter=@autoweave/demo-platform --output-logs=errors-only
exec node apps/demo-platform/dist/main.js "$@"
