#!/usr/bin/env bash
# Run every test of assoc on a throwaway PostgreSQL 15 cluster:
# pg_regress (sql/ + expected/, specs/), pgTAP (test/*.sql via pg_prove, the
# fuzz tests among them) and the pg_cron test (test/cron_retrain.sh).
# Installs missing Debian packages, builds and installs the extension first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
make -s PG_CFLAGS=-Werror
make -s -C test/fuzz PG_CFLAGS=-Werror		# test-only module of the fuzz tests
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO make -s install
$SUDO make -s -C test/fuzz install

# The server runs as the postgres user and reads test data from this tree.
chmod -R a+rX . 2>/dev/null || true

# pg_cron runs jobs in background workers: no connection, so no password.
pg_virtualenv -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
  -o cron.use_background_workers=on -o max_worker_processes=16 -- bash -c '
    set -e
    status=0
    make -s installcheck || { status=$?; cat regression.diffs 2>/dev/null | head -200; }
    pg_prove test/*.sql || status=$?
    bash test/cron_retrain.sh || status=$?		# waits for the next minute (at most 75 s)
    exit $status
'
