#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright's own browser download cannot work offline),
# and fonts for the candidate's languages that Debian's base fonts lack (Chinese and Japanese:
# WenQuanYi Zen Hei; Hindi: Lohit Devanagari), so the language screenshots show real glyphs and
# measure real line widths.
set -euo pipefail
want=()
if [ -z "${EYE_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
  want+=(chromium)
fi
fc-list 2>/dev/null | grep -qi "wenquanyi zen hei" || want+=(fonts-wqy-zenhei)
fc-list 2>/dev/null | grep -qi "lohit devanagari" || want+=(fonts-lohit-deva)
[ "${#want[@]}" -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-chromium: apt-get install ${want[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${want[@]}"
