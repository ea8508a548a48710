#!/usr/bin/env bash
# Services the tests start themselves, installed (never started) here: Debian's openssh-server for the
# `hanzonode attach --ssh` tests (each test runs its own sshd on a free loopback port and stops it by PID),
# systemd's tools for `systemd-analyze verify` of the unit `hanzod service install` writes.
set -euo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v systemd-analyze >/dev/null || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "missing ${need[*]} and cannot apt-get install them (not root or not Debian); the tests that need them skip with that reason" >&2
  fi
fi
# sshd refuses to start without its privilege separation directory (normally made by its systemd unit).
if [ -x /usr/sbin/sshd ] && [ ! -d /run/sshd ] && [ "$(id -u)" = 0 ]; then mkdir -p -m 0755 /run/sshd; fi
