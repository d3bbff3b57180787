#!/usr/bin/env bash
# Set up everything (venv, npm runtime, build, Chromium, PostgreSQL) and run all tests: unit and end-to-end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install-chromium.sh
scripts/install-nginx.sh
# Server tests run on SQLite and on a throwaway PostgreSQL (Debian's packages).
EYE_TEST_POSTGRES_URL=$(scripts/postgres.sh)
export EYE_TEST_POSTGRES_URL
# Rate limits shared by several instances are tested on a throwaway Redis (Debian's redis-server).
EYE_TEST_REDIS_URL=$(scripts/redis.sh)
export EYE_TEST_REDIS_URL
trap 'scripts/redis.sh stop; scripts/postgres.sh stop' EXIT
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests — treating that as a failure" >&2
  exit 1
fi
exit "$status"
