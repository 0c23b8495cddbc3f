#!/usr/bin/env bash
# better-sqlite3's native binding (the reporting store's SQLite driver) for a checkout installed with
# `npm ci --ignore-scripts`, as .ci/run does. Nothing can be downloaded here, so its install script compiles SQLite:
# a minute of one core. The binding it builds is kept in a cache outside the checkout, keyed by better-sqlite3's
# version, node's ABI, the platform and the architecture (what makes a binding fit), so the next run on this
# machine copies it instead, as a CI cache would. A cached binding is used only if it loads; otherwise it is built.
#
# Usage: bash scripts/native-setup.sh   (CAMPUS_SYNC_NATIVE_CACHE: the cache folder, default ~/.cache/campus-sync/native)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[native-setup] $*"; }
pkg=node_modules/better-sqlite3
[ -f "$pkg/package.json" ] || { log "$pkg is not installed: run npm ci first" >&2; exit 1; }
key=$(node -p "'better_sqlite3-' + require('./$pkg/package.json').version + '-abi' + process.versions.modules + '-' + process.platform + '-' + process.arch + '.node'")
cache="${CAMPUS_SYNC_NATIVE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/campus-sync/native}"
target="$pkg/build/Release/better_sqlite3.node"
loads() { node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; }

if [ -f "$cache/$key" ]; then
  mkdir -p "$(dirname "$target")"
  cp "$cache/$key" "$target"
  if loads; then
    log "restored $key from $cache (built by an earlier run on this machine)"
    exit 0
  fi
  log "the cached $key does not load: building it again"
  rm -f "$target"
fi
started=$SECONDS
npm rebuild better-sqlite3
loads || { log "better-sqlite3 was built but does not load" >&2; exit 1; }
mkdir -p "$cache"
# Through a temporary name, so a run stopped half-way never leaves a truncated binding to restore.
cp "$target" "$cache/$key.partial"
mv "$cache/$key.partial" "$cache/$key"
log "built $key in $((SECONDS - started)) s; kept in $cache for the next run"
