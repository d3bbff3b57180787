#!/usr/bin/env bash
# Start a throwaway PostgreSQL (Debian's packages) for the tests: its own cluster in a temporary
# folder on 127.0.0.1:${EYE_PG_PORT:-54329}, trust auth. Prints the database URL on stdout.
# `scripts/postgres.sh stop` stops it. Installs the `postgresql` package when it is missing.
set -euo pipefail
PORT=${EYE_PG_PORT:-54329}
DATA=${EYE_PG_DATA:-/tmp/eye-pg-$PORT}
bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(bin_dir)" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "postgres.sh: apt-get install postgresql" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql >&2
fi
BIN=$(bin_dir)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "${1:-start}" = "stop" ]; then
  as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
