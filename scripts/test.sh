#!/usr/bin/env bash
# Set up everything (venv, npm runtime, build, Chromium) and run all tests: unit and end-to-end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install-chromium.sh
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests — treating that as a failure" >&2
  exit 1
fi
exit "$status"
