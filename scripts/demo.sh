#!/usr/bin/env bash
# Set up and run the product: Eye server + demo exam page (SQLite file eye.db in this folder).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/eye demo "$@"
