#!/usr/bin/env bash
# Debian's Chromium for the browser tests (driven by playwright-core; nothing is downloaded by Playwright).
# Idempotent: installs the `chromium` and `chromium-headless-shell` packages when either is missing, then checks
# that both render a page headless.
set -euo pipefail
log() { printf '[chromium-setup] %s\n' "$*" >&2; }
# The full browser, and the headless shell the page tests use when they run in a network namespace of their own
# (scripts/netns-run.mjs, test/browser.ts's TEST_BROWSER).
SHELL_BIN=/usr/lib/chromium/chromium-headless-shell
if [ ! -x /usr/bin/chromium ] || [ ! -x "$SHELL_BIN" ]; then
  command -v apt-get >/dev/null 2>&1 || { log "error: Chromium is missing and there is no apt-get"; exit 1; }
  log "installing Debian's chromium and chromium-headless-shell"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-headless-shell >&2
fi
log "$(/usr/bin/chromium --version 2>/dev/null || echo 'chromium does not start')"
# The flags the tests use: without the background-networking ones Chromium keeps dialling Google's hosts.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>' ||
  { log "error: headless Chromium did not render a page"; exit 1; }
log "headless Chromium renders pages"
"$SHELL_BIN" --no-sandbox --disable-gpu --user-data-dir="$profile" --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>' ||
  { log "error: the headless shell ($SHELL_BIN) did not render a page"; exit 1; }
log "the headless shell renders pages"
