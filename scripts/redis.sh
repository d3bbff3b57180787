#!/usr/bin/env bash
# Start a throwaway Redis (Debian's redis-server) for the tests on 127.0.0.1:${EYE_REDIS_PORT:-63799},
# no persistence. Prints its URL on stdout. `scripts/redis.sh stop` stops it. Installs the package
# when it is missing.
set -euo pipefail
PORT=${EYE_REDIS_PORT:-63799}
DIR=${EYE_REDIS_DIR:-/tmp/eye-redis-$PORT}
if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "redis.sh: apt-get install redis-server" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends redis-server >&2
  $SUDO service redis-server stop >/dev/null 2>&1 || true
fi
if [ "${1:-start}" = "stop" ]; then
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  exit 0
fi
mkdir -p "$DIR"
if ! redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" --daemonize yes \
    --logfile "$DIR/redis.log" >&2
  for _ in $(seq 1 50); do
    redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
echo "redis://127.0.0.1:$PORT/0"
