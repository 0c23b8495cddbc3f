#!/usr/bin/env bash
# Leaves what `./campus-sync` needs: a Docker engine, Compose, and the campus-sync image (`./campus-sync setup`
# runs it). On a Raspberry Pi with Debian's Docker and no Node, as on a CI machine without an image registry:
#   1. installs Debian's docker.io when dockerd is missing, and docker-compose when there is no Compose at all;
#   2. starts dockerd in the background when no engine answers;
#   3. makes configs/ and data/ (owned by the user who ran it, also under sudo);
#   4. picks the base image: node:22-bookworm-slim when present or when it can be pulled; else, offline, a
#      stand-in made from this host's own node, npm and libraries (docker import); else says why it cannot;
#   5. builds the project image on it (a download that fails is named, with what to do).
# Idempotent: every step checks first and does nothing when already done; it says what it installs.
#
# Usage: scripts/docker-setup.sh [--force] [--no-image]
#   --force     rebuild the node stand-in even when it exists (e.g. after upgrading the host's node)
#   --no-image  stop before building the project image
# Env: CAMPUS_SYNC_IMAGE (project image tag, default campus-sync:local), NODE_IMAGE (base, default
#      node:22-bookworm-slim), CAMPUS_SYNC_NODE_IMAGE (stand-in tag, default campus-sync/node-standin:local),
#      DOCKERD_LOG (default /var/log/campus-sync-dockerd.log), DOCKERD_WAIT_SECONDS (default 60),
#      PULL_TIMEOUT_SECONDS (default 300: the base image is ~80 MB on a slow line).
set -euo pipefail

STANDIN_IMAGE=${CAMPUS_SYNC_NODE_IMAGE:-campus-sync/node-standin:local}
BASE_IMAGE=${NODE_IMAGE:-node:22-bookworm-slim}
PULL_TIMEOUT_SECONDS=${PULL_TIMEOUT_SECONDS:-300}
PROJECT_IMAGE=${CAMPUS_SYNC_IMAGE:-campus-sync:local}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/campus-sync-dockerd.log}
# A cold dockerd on a Raspberry Pi's SD card takes 10-20 s to answer; 60 s means it is not coming.
DOCKERD_WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}
# Where the official node images keep things; npm derives its global prefix from node's own path.
IMAGE_PATH=/usr/local/bin:/usr/bin:/bin
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FORCE=0
BUILD_IMAGE=1
STARTED=$SECONDS

log() { printf '[docker-setup] %s\n' "$*"; }
die() {
  printf '[docker-setup] error: %s\n' "$*" >&2
  exit 1
}
usage() { sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --no-image) BUILD_IMAGE=0 ;;
    -h | --help) usage; exit 0 ;;
    *)
      usage >&2
      printf '[docker-setup] error: unknown option: %s\n' "$arg" >&2
      exit 2
      ;;
  esac
done

# Root for apt-get and dockerd only; everything else works for any member of the docker group.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "'$*' needs root and sudo is not installed"
  fi
}

engine_answers() { docker info >/dev/null 2>&1; }

install_docker() {
  if command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; then
    log "docker: $(command -v docker), dockerd: $(command -v dockerd) (already installed)"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "dockerd is missing and this is not a Debian-like system (no apt-get): install Docker by hand"
  log "dockerd missing: apt-get install docker.io docker-compose"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io docker-compose
}

compose_installed() { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }

install_compose() {
  if docker compose version >/dev/null 2>&1; then
    log "compose: $(docker compose version 2>/dev/null | head -n 1) (the v2 plugin; already installed)"
    return
  fi
  if command -v docker-compose >/dev/null 2>&1; then
    log "compose: docker-compose $(docker-compose version --short 2>/dev/null || echo '?') (v1; already installed)"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "no Compose (neither \`docker compose\` nor \`docker-compose\`) and no apt-get: install Docker Compose by hand"
  # Debian and Raspberry Pi OS ship v1 as docker-compose; the v2 plugin comes only from Docker's own packages.
  log "no Compose: apt-get install docker-compose"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-compose
  compose_installed || die "docker-compose was installed but does not run"
}

# configs/ and data/ belong to the person, not to root: under sudo, to the user who ran sudo.
make_dirs() {
  local dir owner=${SUDO_USER:-}
  for dir in "$ROOT/configs" "$ROOT/data"; do
    if [ -d "$dir" ]; then continue; fi
    mkdir -p "$dir"
    if [ -n "$owner" ] && [ "$(id -u)" -eq 0 ]; then chown "$owner:$(id -gn "$owner")" "$dir"; fi
    log "made ${dir#"$ROOT"/}/"
  done
}

start_engine() {
  if engine_answers; then
    log "engine answers: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
    return
  fi
  local err
  err=$(docker info 2>&1 >/dev/null || true)
  if grep -qi 'permission denied' <<<"$err"; then
    die "an engine is running but $(id -un) may not use it ($err): add the user to the docker group or run as root"
  fi
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd is running but not answering yet: waiting for it"
  else
    # A dockerd killed without cleaning up leaves its pid file, and a new one refuses to start over it.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
      log "removing stale /var/run/docker.pid"
      as_root rm -f /var/run/docker.pid
    fi
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    as_root sh -c "mkdir -p \"\$(dirname '$DOCKERD_LOG')\" && nohup dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null &"
  fi
  local waited=0
  until engine_answers; do
    if [ "$waited" -ge "$DOCKERD_WAIT_SECONDS" ]; then
      log "last lines of $DOCKERD_LOG:"
      as_root tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "the Docker engine did not answer 'docker info' within ${DOCKERD_WAIT_SECONDS}s"
    fi
    if [ "$waited" -gt 2 ] && ! pgrep -x dockerd >/dev/null 2>&1; then
      as_root tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited while starting (see $DOCKERD_LOG above)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "engine up after ${waited}s: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
}

# Copies a file into the root fs at the same path, following symlinks so the image holds real files.
put() {
  local src=$1 dest=$2
  mkdir -p "$ROOTFS$(dirname "$dest")"
  cp -L "$src" "$ROOTFS$dest"
}

# A binary and every shared library (and the loader) ldd lists for it, at the paths the loader looks them up.
put_with_libs() {
  local bin=$1 dest=$2 lib
  put "$bin" "$dest"
  while read -r lib; do
    if [ -n "$lib" ] && [ ! -e "$ROOTFS$lib" ]; then put "$lib" "$lib"; fi
  done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

build_standin() {
  local standin_env
  if [ "$FORCE" -eq 0 ] && standin_env=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$STANDIN_IMAGE" 2>/dev/null); then
    # A stand-in of the older recipe set NODE_EXTRA_CA_CERTS, which node:22-bookworm-slim does not: every node
    # process in every container then parsed the whole CA bundle at start (~45 ms of CPU each). npm in the build
    # has its own NPM_CONFIG_CAFILE. Such a stand-in is made again.
    if grep -q '^NODE_EXTRA_CA_CERTS=' <<<"$standin_env"; then
      log "node stand-in $STANDIN_IMAGE sets NODE_EXTRA_CA_CERTS (an older recipe): making it again"
    else
      local theirs mine
      theirs=$(sed -n 's/^NODE_VERSION=//p' <<<"$standin_env")
      mine=$(node -p 'process.versions.node' 2>/dev/null || echo '?')
      log "node stand-in $STANDIN_IMAGE exists (node ${theirs:-?}; --force rebuilds it)"
      [ "$theirs" = "$mine" ] || log "warning: the host's node is now $mine: run with --force to carry it into the stand-in"
      return
    fi
  fi
  command -v node >/dev/null 2>&1 || die "node is not installed on this host: the stand-in is made from it"
  command -v npm >/dev/null 2>&1 || die "npm is not installed on this host: the stand-in is made from it"
  command -v ldd >/dev/null 2>&1 || die "ldd is missing (Debian: apt-get install libc-bin)"

  local node_bin npm_cli npm_dir sh_bin env_bin version
  node_bin=$(readlink -f "$(command -v node)")
  version=$(node -p 'process.versions.node')
  # npm's bin is a symlink to <npm>/bin/npm-cli.js on Debian/NodeSource; `npm root -g` is where it was
  # installed globally. Trust the resolved symlink first, as it is what actually runs here.
  npm_cli=$(readlink -f "$(command -v npm)")
  if [ "$(basename "$npm_cli")" = npm-cli.js ]; then
    npm_dir=$(dirname "$(dirname "$npm_cli")")
  else
    npm_dir="$(npm root -g 2>/dev/null)/npm"
  fi
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "cannot find npm's package (looked at $npm_dir): is npm a wrapper script here?"
  sh_bin=$(readlink -f /bin/sh)
  env_bin=$(readlink -f "$(command -v env)")
  [ -f "$CA_BUNDLE" ] || die "$CA_BUNDLE is missing (Debian: apt-get install ca-certificates)"
  log "building node stand-in $STANDIN_IMAGE from node $version ($node_bin), npm $(npm -v 2>/dev/null) ($npm_dir), /bin/sh = $sh_bin"

  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  ROOTFS=$WORK/rootfs
  mkdir -p "$ROOTFS"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc/ssl/certs,root,tmp,home/node}

  put_with_libs "$node_bin" /usr/local/bin/node
  put_with_libs "$sh_bin" "/bin/$(basename "$sh_bin")"
  [ "$(basename "$sh_bin")" = sh ] || ln -s "$(basename "$sh_bin")" "$ROOTFS/bin/sh"
  put_with_libs "$env_bin" /usr/bin/env
  # npm's man pages and docs are a third of it and nothing in a build reads them.
  tar -C "$(dirname "$npm_dir")" --exclude=npm/man --exclude=npm/docs -cf - "$(basename "$npm_dir")" |
    tar -C "$ROOTFS/usr/local/lib/node_modules" -xf -
  [ "$(basename "$npm_dir")" = npm ] || mv "$ROOTFS/usr/local/lib/node_modules/$(basename "$npm_dir")" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  put "$CA_BUNDLE" "$CA_BUNDLE"

  # The official node images have a `node` user (1000:1000) that images switch to with USER node.
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'node:x:1000:1000::/home/node:/bin/sh' >"$ROOTFS/etc/passwd"
  printf '%s\n' 'root:x:0:' 'node:x:1000:' >"$ROOTFS/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$ROOTFS/etc/nsswitch.conf"
  chmod 1777 "$ROOTFS/tmp"
  chmod 700 "$ROOTFS/root"

  # Everything root-owned except node's home, whatever user runs this script (tar sets owners, not chown).
  local archive=$WORK/rootfs.tar
  tar -C "$ROOTFS" --numeric-owner --owner=0 --group=0 --exclude=./home/node -cf "$archive" .
  tar -C "$ROOTFS" --numeric-owner --owner=1000 --group=1000 --no-recursion -rf "$archive" ./home/node

  docker import \
    --change "ENV PATH=$IMAGE_PATH" \
    --change "ENV NODE_VERSION=$version" \
    --change "ENV NPM_CONFIG_CAFILE=$CA_BUNDLE" \
    --change 'CMD ["node"]' \
    --message "campus-sync stand-in for node:22-bookworm-slim: the host's node $version and npm" \
    "$archive" "$STANDIN_IMAGE" >/dev/null
  rm -rf "$WORK"
  trap - EXIT

  # Fails here, not halfway through the project build, when a library or the loader was missed.
  local smoke
  smoke=$(docker run --rm --user node "$STANDIN_IMAGE" sh -c 'node -p "process.version" && npm -v && npx -v && node -p "require(\"os\").userInfo().username"') ||
    die "the stand-in $STANDIN_IMAGE does not run node/npm (see above)"
  log "stand-in works: node $(sed -n 1p <<<"$smoke"), npm $(sed -n 2p <<<"$smoke"), npx $(sed -n 3p <<<"$smoke"), runs as $(sed -n 4p <<<"$smoke")"
}

# The image build cannot compile better-sqlite3 (no compiler in the stand-in) nor download its prebuilt binding
# (no network): hand it the one `npm ci` built on this host, named by node ABI so it is only used by the same node.
stage_native_bindings() {
  local built="$ROOT/node_modules/better-sqlite3/build/Release/better_sqlite3.node" name
  if [ ! -f "$built" ]; then
    log "no host build of better-sqlite3 ($built): the image build will run its install script"
    return
  fi
  name=$(node -p '`better_sqlite3-abi${process.versions.modules}-${process.platform}-${process.arch}.node`')
  mkdir -p "$ROOT/docker/native"
  cp "$built" "$ROOT/docker/native/$name"
  log "staged the host's better-sqlite3 binding as docker/native/$name"
}

# The image the project builds on: the real node image when here or pullable, else the stand-in (offline).
pick_base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE is here"
    return
  fi
  local pulled pull_error
  log "pulling the base image $BASE_IMAGE (once; up to ${PULL_TIMEOUT_SECONDS}s)"
  if pulled=$(timeout "$PULL_TIMEOUT_SECONDS" docker pull "$BASE_IMAGE" 2>&1); then
    log "pulled $BASE_IMAGE"
    return
  fi
  pull_error=$(printf '%s\n' "$pulled" | tail -n 1)
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    log "cannot pull $BASE_IMAGE ($pull_error): building on a stand-in made from this host's node instead"
    build_standin
    BASE_IMAGE=$STANDIN_IMAGE
    return
  fi
  die "cannot build the image: the base image $BASE_IMAGE could not be downloaded (Docker said: $pull_error), and this host has no Node to make a stand-in from.
  What to do: connect this machine to the internet and run ./campus-sync setup again (the download is needed once);
  or build the image on another machine and copy it here: docker save $PROJECT_IMAGE | ssh <this machine> docker load"
}

build_project() {
  if [ "$BUILD_IMAGE" -eq 0 ]; then
    log "--no-image: not building $PROJECT_IMAGE"
    return
  fi
  pick_base
  # Docker's CLI only uses BuildKit through the buildx plugin; without it, say so instead of failing on a
  # DOCKER_BUILDKIT=1 inherited from the environment.
  if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi
  stage_native_bindings
  log "building $PROJECT_IMAGE on $BASE_IMAGE (--network host: npm ci needs the registry)"
  local started=$SECONDS previous output status
  previous=$(docker image inspect -f '{{.Id}}' "$PROJECT_IMAGE" 2>/dev/null || true)
  output=$(mktemp)
  # --force-rm: a failed RUN would otherwise leave its container behind. The output is shown and kept, so
  # a download that failed (npm registry unreachable) can be named.
  set +e
  docker build --network host --force-rm --build-arg "NODE_IMAGE=$BASE_IMAGE" -t "$PROJECT_IMAGE" "$ROOT" 2>&1 | tee "$output"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    local cause
    cause=$(grep -m1 -E 'EAI_AGAIN|ENOTFOUND|ETIMEDOUT|ECONNREFUSED|no such host|server misbehaving|i/o timeout|network is unreachable|TLS handshake timeout' "$output" || true)
    rm -f "$output"
    [ -z "$cause" ] || die "the image $PROJECT_IMAGE could not be built: a download failed (no network, or DNS not answering): $cause
  What to do: connect this machine to the internet and run ./campus-sync setup again (npm packages are downloaded once, then cached);
  or build on another machine: docker save $PROJECT_IMAGE | ssh <this machine> docker load"
    die "docker build failed (exit $status; its output is above)"
  fi
  rm -f "$output"
  log "built $PROJECT_IMAGE in $((SECONDS - started))s"
  # The image it replaces is left untagged: drop it, unless a container still uses it. The build stage's
  # untagged layers stay: they are the legacy builder's cache.
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$PROJECT_IMAGE")" ] &&
    [ -z "$(docker image inspect -f '{{join .RepoTags ","}}' "$previous" 2>/dev/null)" ]; then
    if docker image rm "$previous" >/dev/null 2>&1; then log "removed the image it replaces (${previous#sha256:})"; fi
  fi
}

summary() {
  log "engine: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}} (client {{.Client.Version}})')"
  local image
  for image in "$STANDIN_IMAGE" "$PROJECT_IMAGE"; do
    if docker image inspect "$image" >/dev/null 2>&1; then
      log "image $image: $(docker image ls --format '{{.ID}} {{.Size}}' "$image" | head -n 1)"
    fi
  done
  log "done in $((SECONDS - STARTED))s"
}

install_docker
start_engine
install_compose
make_dirs
build_project
summary
log "next: ./campus-sync add-config <name>, then ./campus-sync up"
