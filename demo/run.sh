#!/usr/bin/env bash
# The assoc demo: installs what is missing, builds and installs the extension,
# starts a throwaway PostgreSQL 15 cluster, loads the Groceries baskets shipped
# in demo/data and prints frequent items, the top rules by lift and the rule count.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
make -s
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO make -s install >/dev/null
chmod -R a+rX demo 2>/dev/null || true   # the server (user postgres) reads the data file

pg_virtualenv -- psql -X -q -v ON_ERROR_STOP=1 -v data="$root/demo/data/groceries.csv" -f demo/demo.sql
