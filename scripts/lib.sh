# Shared shell helpers for scripts/*.sh (sourced, not run).

log() { printf '\033[1m[autoweave]\033[0m %s\n' "$*" >&2; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    log "need root for: $* (run as root or install sudo)"; return 1
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# True when a Redis answers PING at host $1 port $2 (bash /dev/tcp: no redis-cli needed).
redis_answers() {
  local reply
  { exec 9<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&9
  IFS= read -r -t 2 reply <&9 || reply=''
  exec 9>&- 9<&-
  case "$reply" in +PONG*|-NOAUTH*) return 0 ;; *) return 1 ;; esac
}

# A free TCP port on loopback, asked of the kernel through Node.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts a private redis-server on a free loopback port unless REDIS_URL or 127.0.0.1:6379 answers;
# exports REDIS_URL either way. The caller stops it with stop_private_redis.
PRIVATE_REDIS_PID=''
PRIVATE_REDIS_DIR=''
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then log "using REDIS_URL=$REDIS_URL"; return 0; fi
  if redis_answers 127.0.0.1 6379; then export REDIS_URL=redis://127.0.0.1:6379; log "using Redis on 127.0.0.1:6379"; return 0; fi
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  local port; port=$(free_port)
  PRIVATE_REDIS_DIR=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$PRIVATE_REDIS_DIR" >"$PRIVATE_REDIS_DIR/redis.log" 2>&1 &
  PRIVATE_REDIS_PID=$!
  for _ in $(seq 1 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.1; done
  redis_answers 127.0.0.1 "$port" || { log "redis-server did not start:"; cat "$PRIVATE_REDIS_DIR/redis.log" >&2; return 1; }
  export REDIS_URL="redis://127.0.0.1:$port"
  log "started a private redis-server on $REDIS_URL"
}
stop_private_redis() {
  if [ -n "$PRIVATE_REDIS_PID" ]; then kill "$PRIVATE_REDIS_PID" 2>/dev/null || true; wait "$PRIVATE_REDIS_PID" 2>/dev/null || true; fi
  if [ -n "$PRIVATE_REDIS_DIR" ]; then rm -rf "$PRIVATE_REDIS_DIR"; fi
}
