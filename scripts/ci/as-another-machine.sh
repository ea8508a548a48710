#!/usr/bin/env bash
# Runs a command as if on another machine: another host name (a private UTS namespace, where the
# kernel allows one), time zone and locale. The suite must not care which machine it runs on
# (recordings carry the recording machine's facts), and CI proves it on every run.
# usage: as-another-machine.sh HOSTNAME TZ LANG -- command...
set -euo pipefail
host=$1 tz=$2 lang=$3
shift 3
[ "${1:-}" = "--" ] && shift
export TZ=$tz LANG=$lang
if unshare --uts true 2>/dev/null; then
  exec unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
fi
echo "as-another-machine: no UTS namespace here; host name stays $(hostname)" >&2
exec "$@"
