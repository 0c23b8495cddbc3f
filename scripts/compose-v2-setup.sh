#!/usr/bin/env bash
# Compose v2 beside Debian's v1, for CI to run the Raspberry Pi path under both (test/pi-path.test.ts).
# Downloads Debian trixie's docker-compose package (a static Go build of Compose v2), checks its sha256,
# unpacks it with dpkg-deb into .tools/compose-v2/ (nothing goes into /usr), and puts the binary where the
# Docker CLI looks for plugins in a DOCKER_CONFIG of its own: .tools/compose-v2/docker-config/cli-plugins/.
# So `docker compose version` works only with DOCKER_CONFIG set to that folder; v1 (`docker-compose`) stays
# the default everywhere else. Idempotent: a plugin that already answers is kept and nothing is downloaded.
#
# Prints one line on stdout for the caller to export: CAMPUS_SYNC_COMPOSE_V2_CONFIG=<that DOCKER_CONFIG>.
# Everything else goes to stderr. Fails loudly (exit 1, with what went wrong) on any step.
#
# Usage: scripts/compose-v2-setup.sh
# Env: COMPOSE_V2_DIR (default <checkout>/.tools/compose-v2), COMPOSE_V2_DEB_URL (a mirror of the same file;
#      the sha256 is checked all the same), DOWNLOAD_TIMEOUT_SECONDS (default 120).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${COMPOSE_V2_DIR:-$ROOT/.tools/compose-v2}
# Debian trixie's docker-compose 2.26.1-4 (amd64): Depends only libc6 >= 2.34, so it runs on bookworm too.
# The sha256 is the one in trixie's Packages index: a changed or damaged file is refused.
DEB_NAME=docker-compose_2.26.1-4_amd64.deb
DEB_URL=${COMPOSE_V2_DEB_URL:-http://deb.debian.org/debian/pool/main/d/docker-compose/$DEB_NAME}
DEB_SHA256=47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea
# The package is ~10 MB; two minutes is a slow line, more is no line.
DOWNLOAD_TIMEOUT_SECONDS=${DOWNLOAD_TIMEOUT_SECONDS:-120}

CONFIG=$DIR/docker-config
PLUGIN=$CONFIG/cli-plugins/docker-compose

log() { printf '[compose-v2-setup] %s\n' "$*" >&2; }
die() {
  printf '[compose-v2-setup] error: %s\n' "$*" >&2
  exit 1
}

# The plugin as the Docker CLI runs it: `docker compose version --short` answers 2.x.
plugin_version() { DOCKER_CONFIG=$CONFIG docker compose version --short 2>/dev/null; }

command -v docker >/dev/null 2>&1 || die "docker is not installed (run scripts/docker-setup.sh first)"

if [ -x "$PLUGIN" ] && version=$(plugin_version) && [[ $version == 2.* || $version == v2.* ]]; then
  log "compose v2 plugin $version in $CONFIG (already installed)"
  printf 'CAMPUS_SYNC_COMPOSE_V2_CONFIG=%s\n' "$CONFIG"
  exit 0
fi

arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
case $arch in amd64 | x86_64) ;; *) die "only the amd64 package's checksum is known here (this machine is $arch): install the docker-compose-plugin package instead" ;; esac
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is missing (Debian: apt-get install dpkg)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum is missing (Debian: apt-get install coreutils)"

mkdir -p "$DIR"
deb=$DIR/$DEB_NAME
if [ -f "$deb" ] && [ "$(sha256sum "$deb" | cut -d' ' -f1)" = "$DEB_SHA256" ]; then
  log "$DEB_NAME already downloaded"
else
  log "downloading $DEB_URL"
  rm -f "$deb.part"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --max-time "$DOWNLOAD_TIMEOUT_SECONDS" -o "$deb.part" "$DEB_URL" || die "cannot download $DEB_URL (curl exit $?)"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T "$DOWNLOAD_TIMEOUT_SECONDS" -O "$deb.part" "$DEB_URL" || die "cannot download $DEB_URL (wget exit $?)"
  else
    die "neither curl nor wget is installed to download $DEB_URL"
  fi
  got=$(sha256sum "$deb.part" | cut -d' ' -f1)
  if [ "$got" != "$DEB_SHA256" ]; then
    rm -f "$deb.part"
    die "$DEB_NAME from $DEB_URL has sha256 $got, expected $DEB_SHA256: refused"
  fi
  mv "$deb.part" "$deb"
  log "sha256 checked: $DEB_SHA256"
fi

rm -rf "$DIR/extract"
dpkg-deb -x "$deb" "$DIR/extract" || die "dpkg-deb could not unpack $deb"
# Debian installs the binary as /usr/bin/docker-compose (the cli-plugins entry is a symlink to it).
binary=
for candidate in "$DIR/extract/usr/libexec/docker/cli-plugins/docker-compose" "$DIR/extract/usr/bin/docker-compose"; do
  if [ -e "$candidate" ]; then binary=$(readlink -f "$candidate") && break; fi
done
[ -n "$binary" ] && [ -f "$binary" ] || die "no docker-compose binary in $deb (looked in usr/libexec/docker/cli-plugins and usr/bin)"
mkdir -p "$(dirname "$PLUGIN")"
install -m 0755 "$binary" "$PLUGIN"
rm -rf "$DIR/extract"

version=$(plugin_version) || die "the Docker CLI does not run $PLUGIN as a plugin: $(DOCKER_CONFIG=$CONFIG docker compose version 2>&1 | head -n 3)"
[[ $version == 2.* || $version == v2.* ]] || die "$PLUGIN answers version '$version', not 2.x"
log "installed compose v2 plugin $version in $CONFIG (used only with DOCKER_CONFIG=$CONFIG; docker-compose v1 stays the default)"
printf 'CAMPUS_SYNC_COMPOSE_V2_CONFIG=%s\n' "$CONFIG"
