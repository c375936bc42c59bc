#!/usr/bin/env bash
# Headless Chromium for the browser tests, from Debian packages (never a Playwright browser download).
# Idempotent: does nothing when /usr/bin/chromium already exists. Needs root (or sudo) for apt-get.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "browser_deps.sh: need root to apt-get install chromium" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
echo "browser_deps.sh: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)"
