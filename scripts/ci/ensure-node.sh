#!/usr/bin/env bash
# Prints the bin folder of Node VERSION, installed once from the npm package node@VERSION into the
# project's cache (the same place and layout the legacy installer uses for its Node 24), so CI can run
# the suite on the runtimes people use without a system-wide install.
set -euo pipefail
version=${1:?usage: ensure-node.sh VERSION}
root=${HANZONODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hanzonode}
dir=$root/node-$version
bin=$dir/node_modules/node/bin
if [ ! -f "$dir/.installed" ]; then
  echo "installing Node $version (npm package node@$version) into $dir" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  # node's preinstall fetches the platform binary (from the npm registry); npm 11.16+ asks that it be allowed.
  printf '{"name":"hanzonode-node-%s","private":true,"allowScripts":{"node":true}}\n' "$version" >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --no-save --loglevel=error "node@$version" >&2)
  date -u +%FT%TZ >"$dir/.installed"
fi
"$bin/node" --version >/dev/null
echo "$bin"
