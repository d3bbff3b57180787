#!/usr/bin/env bash
# The LMS of the end-to-end LTI test: Open edX's own LTI platform code (lti-consumer-xblock, AGPL,
# from PyPI) in its own virtualenv, .venv-openedx/, apart from Eye's (it is a test dependency, never
# vendored and never imported by Eye). Prints the virtualenv's python on stdout; the test runs
# tests/openedx/lms.py with it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv-openedx
PINS="lti-consumer-xblock==11.4.4 cryptography==50.0.2"
if [ ! -f "$VENV/.pins" ] || [ "$(cat "$VENV/.pins")" != "$PINS" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check $PINS >&2
  echo "$PINS" > "$VENV/.pins"
fi
echo "$PWD/$VENV/bin/python"
