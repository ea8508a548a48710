#!/bin/sh
# Makes sure Debian's PostgreSQL server binaries are present (the fleet tests start their own server on
# a free port in a throwaway data directory). Idempotent: does nothing when a server binary exists.
# No default cluster is created: nothing listens on 5432 behind the tests' back.
set -eu
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  ls /usr/lib/postgresql/*/bin/postgres | tail -1
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-postgres: PostgreSQL missing and not root; install the 'postgresql' package" >&2
    exit 1
  fi
fi
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/hanzonode.conf >/dev/null
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq postgresql >&2
ls /usr/lib/postgresql/*/bin/postgres | tail -1
