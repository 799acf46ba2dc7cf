#!/usr/bin/env bash
# Runs the demo from a fresh clone: installs what is missing, builds, and starts it.
# Until apps/demo-platform lands this is examples/quickstart: real traces, metrics and logs for two
# tenants, served on http://127.0.0.1:${PORT:-9464}/metrics and /traces. Extra args go to the demo
# (e.g. --once: one round, print where everything went, exit).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/bootstrap.sh --demo
log "building"
pnpm exec turbo run build --filter=@autoweave/example-quickstart --output-logs=errors-only
log "starting the quickstart (OTEL_EXPORTER_OTLP_ENDPOINT and LOKI_URL switch on real export)"
exec node examples/quickstart/dist/main.js "$@"
