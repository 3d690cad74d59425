#!/usr/bin/env bash
# Debian's Chromium for the browser tests (playwright-core drives it; nothing is downloaded by npm).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "[browser] installing Debian's chromium" >&2
apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
