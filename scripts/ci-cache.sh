#!/usr/bin/env bash
# A folder of the checkout carried from one CI run on this machine to the next, as a CI service's cache would:
# restored from a cache outside the checkout before a step (a fresh clone has none), kept there after it. What
# .ci/run keeps (issue 19, CI time):
#   tsc    node_modules/.cache/tsc     tsc's incremental state (tsconfig*.json `tsBuildInfoFile`). tsc decides what to
#                                      check again: every file whose text differs from the state's (hashes of the
#                                      contents, not dates) and every file whose types depend on one; a state of
#                                      another TypeScript version or other options is ignored. The whole check was
#                                      ~30 s of one core, the longest step of the set-up.
#   vitest node_modules/.vite/vitest   vitest's results of the last run (each file's duration, whether it failed): it
#                                      starts the failed and the longest files first. Without it a fresh clone ran
#                                      the files by size, and the long page and process files started last: the
#                                      tests took 450 s instead of 390. Also the modules vitest transformed
#                                      (vitest.config.ts's experimental.fsModuleCache, keyed by their contents):
#                                      transform 7.5 -> 1.5 s on src/api, src/store and src/worker.
#   node_modules-<key>  node_modules   what `npm ci --ignore-scripts` made from one package-lock.json with one node
#                                      (<key>: a hash of both, .ci/run), kept right after the install: a fresh clone
#                                      copies it in under a second instead of 15 s of npm ci. Only the newest key is
#                                      kept (prune).
# A cache never decides whether something passes: it only saves work or orders it.
#
# Usage: bash scripts/ci-cache.sh restore|save <name> <folder>
#        bash scripts/ci-cache.sh has <name>            exit 0 when <name> is kept
#        bash scripts/ci-cache.sh prune <prefix> <name>  removes every kept <prefix>* but <name>
#   (CAMPUS_SYNC_CI_CACHE: where, default ~/.cache/campus-sync/ci; <name>'s copy is <where>/<name>/)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bash scripts/ci-cache.sh restore|save <name> <folder> | has <name> | prune <prefix> <name>" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1 name=$2 folder=${3:-}
where="${CAMPUS_SYNC_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/campus-sync/ci}"
kept="$where/$name"
log() { echo "[ci-cache] $*"; }
case "$action" in
  has) [ -d "$kept" ] ;;
  prune)
    # Here the arguments are <prefix> <name>.
    prefix=$name keep=$folder
    [ -n "$keep" ] || usage
    for old in "$where/$prefix"*; do
      [ -d "$old" ] && [ "$old" != "$where/$keep" ] || continue
      rm -rf "$old"
      log "removed $old (superseded by $keep)"
    done
    ;;
  restore)
    [ -n "$folder" ] || usage
    if [ -d "$kept" ]; then
      mkdir -p "$folder"
      cp -R "$kept/." "$folder/"
      log "$name: restored $folder from $kept"
    else
      log "$name: nothing kept yet in $kept (the first run on this machine)"
    fi
    ;;
  save)
    [ -n "$folder" ] || usage
    [ -d "$folder" ] || { log "$name: $folder does not exist, nothing to keep"; exit 0; }
    # Through a temporary folder, so a run stopped half-way never leaves a half-copied cache to restore.
    rm -rf "$kept.partial"
    mkdir -p "$(dirname "$kept")"
    cp -R "$folder" "$kept.partial"
    rm -rf "$kept"
    mv "$kept.partial" "$kept"
    log "$name: kept $folder in $kept for the next run"
    ;;
  *) usage ;;
esac
