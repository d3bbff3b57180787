#!/usr/bin/env bash
# Debian's nginx (and openssl) for the test that runs Eye behind a TLS reverse proxy. Installs
# the packages when missing; the test starts its own nginx with its own config and certificate.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  if command -v openssl >/dev/null 2>&1; then exit 0; fi
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-nginx: apt-get install nginx-light openssl" >&2
$SUDO apt-get update -q >&2
# The package's own service is not wanted: the test runs nginx in the foreground itself.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nginx-light openssl >&2 \
  || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nginx openssl >&2
$SUDO service nginx stop >/dev/null 2>&1 || true
