#!/usr/bin/env bash
# Install what assoc needs to build and test, from Debian's packages.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh bench      also what the benchmarks compare against
# Needs root (or sudo). Does nothing when everything is there already.
set -euo pipefail

pkgs=(make gcc postgresql-15 postgresql-server-dev-15 libopenblas-dev libopenblas0-serial
      postgresql-15-pgtap pgtap postgresql-15-cron python3 python3-sklearn python3-numpy)
if [ "${1:-}" = bench ]; then
  pkgs+=(weka hyperfine)
fi
if [ "${1:-}" = valgrind ]; then
  pkgs+=(valgrind)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
