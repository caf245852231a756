#!/usr/bin/env bash
# Run every test of assoc on a throwaway PostgreSQL 15 cluster:
# pg_regress (sql/ + expected/) and pgTAP (test/*.sql via pg_prove).
# Installs missing Debian packages, builds and installs the extension first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
make -s PG_CFLAGS=-Werror
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO make -s install

# The server runs as the postgres user and reads test data from this tree.
chmod -R a+rX . 2>/dev/null || true

pg_virtualenv -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o max_worker_processes=16 -- bash -c '
    set -e
    status=0
    make -s installcheck || { status=$?; cat regression.diffs 2>/dev/null | head -200; }
    pg_prove test/*.sql || status=$?
    exit $status
'
