#!/bin/sh
# What the Raspberry Pi's @reboot crontab line calls (see README, "Start at boot"):
#   @reboot /bin/sh -c "$HOME/campus-sync/scripts/boot.sh >> $HOME/campus-sync/data/boot.log 2>&1"
# Waits for Docker (bounded: right after boot it may still be starting), then `./campus-sync up`: the
# supervisor, and the workers `down` had stopped. Works from any folder and without PWD (cron has none).
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
# A cold dockerd on an SD card answers within 10-20 s; two minutes means it is not coming.
DOCKER_WAIT_TRIES=60
echo "$(date -Is) campus-sync boot: $ROOT"
tries=0
until docker info >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge "$DOCKER_WAIT_TRIES" ]; then
    echo "$(date -Is) Docker did not answer after $((DOCKER_WAIT_TRIES * 2)) s: not starting campus-sync" >&2
    exit 1
  fi
  sleep 2
done
exec "$ROOT/campus-sync" up
