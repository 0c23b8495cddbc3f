#!/usr/bin/env bash
# Debian's Chromium for the browser tests, as its headless shell (driven by playwright-core; Playwright downloads
# nothing). Idempotent: installs the `chromium-headless-shell` package when its binary is missing, then checks it
# renders a page.
#
# Why the headless shell (issue 19, CI time): it is Chromium's own "old headless" build, the browser engine without
# the desktop browser around it, and what Playwright itself runs for `headless: true` (its chromium-headless-shell).
# Measured on the 2-core machine (2026-12-07, test/browser-booking + test/browser-self): Chromium's processes used
# 42 s of CPU under the full browser's headless mode and 12.6 s under the shell, the files took 34 s and 19 s.
set -euo pipefail
log() { printf '[chromium-setup] %s\n' "$*" >&2; }
SHELL_BIN=/usr/bin/chromium-headless-shell
if [ ! -x "$SHELL_BIN" ]; then
  command -v apt-get >/dev/null 2>&1 || { log "error: $SHELL_BIN is missing and there is no apt-get"; exit 1; }
  log "installing Debian's chromium-headless-shell"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell >&2
fi
log "$("$SHELL_BIN" --version 2>/dev/null || echo 'chromium-headless-shell does not start')"
# The flags the tests use: without the background-networking ones Chromium keeps dialling Google's hosts.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$SHELL_BIN" --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>' ||
  { log "error: the headless shell did not render a page"; exit 1; }
log "headless Chromium renders pages"
