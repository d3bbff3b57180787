#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright's own browser download cannot work offline).
set -euo pipefail
if [ -n "${EYE_CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-chromium: apt-get install chromium" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
