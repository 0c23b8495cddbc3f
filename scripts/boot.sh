#!/usr/bin/env bash
# What the Raspberry Pi's @reboot crontab line calls (see README, "Start at boot"):
#   @reboot /bin/bash -c "$HOME/campus-sync/scripts/boot.sh >> $HOME/campus-sync/data/boot.log 2>&1"
# Starts the supervisor with Docker Compose from the checkout (compose.yml needs ${PWD} = the checkout).
# Docker itself restarts the workers after a reboot (restart: unless-stopped); the supervisor adopts them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PWD
echo "$(date -Is) campus-sync boot: $(pwd)"
# Docker may still be starting right after boot: wait for it, a bounded while.
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && break
  sleep 2
done
if docker compose version >/dev/null 2>&1; then
  docker compose up -d
else
  docker-compose up -d
fi
