#!/usr/bin/env bash
# Installs what this repo needs on a fresh Debian/Ubuntu machine that has only Node.js 20+:
# pnpm (the version pinned in package.json), the locked dependencies, and the Debian packages the
# tests use (Prometheus + promtool, Alertmanager, Chromium for the demo's /debug page test). Safe to
# run again: it only installs what is missing.
#   scripts/bootstrap.sh            everything the test suite needs
#   scripts/bootstrap.sh --demo     only what the demo needs (no Prometheus)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

want_pnpm=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  log "installing pnpm $want_pnpm"
  # npm works everywhere Node does; corepack fails its signature check on some machines.
  npm install -g --silent "pnpm@$want_pnpm" >/dev/null 2>&1 || as_root npm install -g --silent "pnpm@$want_pnpm" >/dev/null \
    || { log "could not install pnpm $want_pnpm with npm; try: COREPACK_INTEGRITY_KEYS=0 corepack enable"; exit 1; }
fi

if [ "${1:-}" != "--demo" ]; then
  if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
    log "installing Prometheus and promtool (Debian package 'prometheus')"
    apt_install prometheus
  fi
  if ! command -v alertmanager >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1; then
    log "installing Alertmanager and amtool (Debian package 'prometheus-alertmanager')"
    apt_install prometheus-alertmanager
  fi
  if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]; then
    log "installing Chromium for the browser test of the demo's /debug page (Debian package 'chromium')"
    apt_install chromium
  fi
fi

log "installing dependencies from pnpm-lock.yaml"
pnpm install --frozen-lockfile --reporter=append-only | grep -vE '^(Progress|Packages):' || true
test -d node_modules/.pnpm || { log "pnpm install failed"; exit 1; }
