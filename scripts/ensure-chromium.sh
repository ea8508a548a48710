#!/bin/sh
# Makes sure Debian's headless-capable Chromium is present (the parity HTML report test opens the report
# in it). Idempotent: does nothing when the binary exists. CI runs as root; elsewhere sudo is used if present.
set -eu
CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ -x "$CHROMIUM_BIN" ]; then
  echo "$CHROMIUM_BIN"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: $CHROMIUM_BIN missing and not root; install the 'chromium' package" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium >&2
echo "$CHROMIUM_BIN"
