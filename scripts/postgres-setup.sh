#!/usr/bin/env bash
# Prepares a real PostgreSQL server for the store's PostgreSQL test leg, on a fresh Debian 12 machine run as root:
#   1. installs Debian's postgresql when its binaries (pg_ctlcluster, postgres) are missing;
#   2. makes the cluster listen on 127.0.0.1 only, and starts it;
#   3. creates (or re-passwords) the role campus_sync and the database campus_sync_test it owns;
#   4. checks a password login over TCP, and prints on stdout the one line
#        CAMPUS_SYNC_TEST_DATABASE_URL=postgres://campus_sync:<pw>@127.0.0.1:<port>/campus_sync_test
# Progress goes to stderr, so stdout is only that line. Idempotent: a second run changes nothing and reuses
# the password it saved the first time.
#
# Usage: scripts/postgres-setup.sh
#   In .ci/run:  pg_line=$(bash scripts/postgres-setup.sh)
#                export "$pg_line"
# Env: CAMPUS_SYNC_PG_PASSWORD (use this password instead of a generated one; letters, digits, . _ ~ - only),
#      CAMPUS_SYNC_PG_PASSWORD_FILE (where the generated password is kept, default
#      /var/lib/postgresql/campus-sync-test.password), PG_WAIT_SECONDS (default 30).
set -euo pipefail

ROLE=campus_sync
DATABASE=campus_sync_test
PASSWORD_FILE=${CAMPUS_SYNC_PG_PASSWORD_FILE:-/var/lib/postgresql/campus-sync-test.password}
# A cold cluster start with crash recovery on a slow SD card takes seconds, not half a minute.
PG_WAIT_SECONDS=${PG_WAIT_SECONDS:-30}
CLUSTER=main
# Our drop-in beside the cluster's postgresql.conf (Debian's includes conf.d/*.conf last, so it wins).
DROPIN_NAME=campus-sync.conf
STARTED=$SECONDS

log() { printf '[postgres-setup] %s\n' "$*" >&2; }
die() {
  printf '[postgres-setup] error: %s\n' "$*" >&2
  exit 1
}

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
[ "$#" -eq 0 ] || die "unexpected argument: $1 (see --help)"
[ "$(id -u)" -eq 0 ] || die "run as root: it installs packages and acts as the postgres user"

# The newest PostgreSQL major whose server binary is installed, or nothing.
installed_version() {
  local dir
  for dir in $(ls -1d /usr/lib/postgresql/*/ 2>/dev/null | sort -V -r); do
    if [ -x "${dir}bin/postgres" ]; then
      basename "$dir"
      return
    fi
  done
}

install_postgresql() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(installed_version)" ]; then
    log "postgresql $(installed_version) already installed"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is missing and this is not a Debian-like system (no apt-get)"
  log "postgresql missing: apt-get install postgresql"
  # apt's chatter goes to stderr: stdout carries only the URL line.
  DEBIAN_FRONTEND=noninteractive apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
  [ -n "$(installed_version)" ] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/postgres appeared"
}

# Fields of `pg_lsclusters -h`: version cluster port status owner datadir logfile.
cluster_field() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" -v f="$1" '$1 == v && $2 == c { print $f }'; }

ensure_cluster() {
  VERSION=$(installed_version)
  if [ -z "$(cluster_field 2)" ]; then
    # Happens when the package was installed with create_main_cluster = false (common in images).
    log "no cluster $VERSION/$CLUSTER: pg_createcluster"
    pg_createcluster "$VERSION" "$CLUSTER" >&2
  fi
  local confdir=/etc/postgresql/$VERSION/$CLUSTER
  [ -d "$confdir" ] || die "cluster $VERSION/$CLUSTER has no configuration directory $confdir"
  mkdir -p "$confdir/conf.d"
  local dropin=$confdir/conf.d/$DROPIN_NAME
  # Debian's default 'localhost' also binds ::1; the tests and CI only ever use 127.0.0.1, and nothing else may reach it.
  local wanted="# Written by campus-sync scripts/postgres-setup.sh: the test server is reachable from this machine only.
listen_addresses = '127.0.0.1'"
  local changed=0
  if [ ! -f "$dropin" ] || [ "$(cat "$dropin")" != "$wanted" ]; then
    printf '%s\n' "$wanted" >"$dropin"
    chown postgres:postgres "$dropin" 2>/dev/null || true
    changed=1
    log "wrote $dropin (listen_addresses = '127.0.0.1')"
  fi
  PORT=$(cluster_field 3)
  local status
  status=$(cluster_field 4)
  if [ "$status" = online ]; then
    if [ "$changed" -eq 1 ]; then
      log "cluster $VERSION/$CLUSTER online: restarting it to apply listen_addresses"
      pg_ctlcluster "$VERSION" "$CLUSTER" restart >&2
    else
      log "cluster $VERSION/$CLUSTER already online on port $PORT"
    fi
  else
    log "starting cluster $VERSION/$CLUSTER (port $PORT)"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2 ||
      {
        tail -n 20 "$(cluster_field 7)" >&2 || true
        die "pg_ctlcluster $VERSION $CLUSTER start failed (log above)"
      }
  fi
}

wait_ready() {
  local waited=0
  until pg_isready -q -h 127.0.0.1 -p "$PORT"; do
    if [ "$waited" -ge "$PG_WAIT_SECONDS" ]; then
      tail -n 20 "$(cluster_field 7)" >&2 || true
      die "PostgreSQL did not accept connections on 127.0.0.1:$PORT within ${PG_WAIT_SECONDS}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "accepting connections on 127.0.0.1:$PORT (after ${waited}s)"
}

# URL-safe characters only, so the password goes into the URL and an SQL literal without escaping.
valid_password() { [[ $1 =~ ^[A-Za-z0-9._~-]{8,}$ ]]; }

choose_password() {
  if [ -n "${CAMPUS_SYNC_PG_PASSWORD:-}" ]; then
    valid_password "$CAMPUS_SYNC_PG_PASSWORD" ||
      die "CAMPUS_SYNC_PG_PASSWORD must be 8 or more letters, digits, '.', '_', '~' or '-'"
    PASSWORD=$CAMPUS_SYNC_PG_PASSWORD
    return
  fi
  if [ -f "$PASSWORD_FILE" ] && valid_password "$(cat "$PASSWORD_FILE")"; then
    PASSWORD=$(cat "$PASSWORD_FILE")
    log "reusing the password saved in $PASSWORD_FILE"
    return
  fi
  # 18 random bytes = 24 base64url characters: plenty for a server that only listens on loopback.
  PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  mkdir -p "$(dirname "$PASSWORD_FILE")"
  (umask 077 && printf '%s\n' "$PASSWORD" >"$PASSWORD_FILE")
  log "generated a password for role $ROLE (kept in $PASSWORD_FILE, mode 600)"
}

as_postgres_psql() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }

ensure_role_and_database() {
  local exists
  exists=$(as_postgres_psql -d postgres -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")
  # The password goes through stdin, not argv, so `ps` never shows it. ALTER on every run keeps the role's
  # password equal to the one printed, even if someone changed it.
  if [ "$exists" = 1 ]; then
    as_postgres_psql -d postgres <<<"ALTER ROLE $ROLE WITH LOGIN PASSWORD '$PASSWORD';"
    log "role $ROLE exists (password set)"
  else
    as_postgres_psql -d postgres <<<"CREATE ROLE $ROLE WITH LOGIN PASSWORD '$PASSWORD';"
    log "created role $ROLE"
  fi
  exists=$(as_postgres_psql -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")
  if [ "$exists" = 1 ]; then
    as_postgres_psql -d postgres -c "ALTER DATABASE $DATABASE OWNER TO $ROLE"
    log "database $DATABASE exists (owner $ROLE)"
  else
    # CREATE DATABASE cannot run inside a transaction block, hence the check in bash rather than in SQL.
    as_postgres_psql -d postgres -c "CREATE DATABASE $DATABASE OWNER $ROLE"
    log "created database $DATABASE owned by $ROLE"
  fi
}

check_login() {
  local answer
  answer=$(PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=5 psql -X -tA -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" \
    -c "SELECT current_user || ' ' || current_database()" 2>&1) ||
    die "password login as $ROLE to $DATABASE on 127.0.0.1:$PORT failed: $answer"
  [ "$answer" = "$ROLE $DATABASE" ] || die "unexpected answer from the login check: $answer"
  log "login as $ROLE over TCP works ($(PGPASSWORD=$PASSWORD psql -X -tA -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" -c 'SHOW server_version'))"
}

install_postgresql
ensure_cluster
wait_ready
choose_password
ensure_role_and_database
check_login
log "done in $((SECONDS - STARTED))s"
printf 'CAMPUS_SYNC_TEST_DATABASE_URL=postgres://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$PASSWORD" "$PORT" "$DATABASE"
