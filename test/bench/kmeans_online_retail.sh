#!/usr/bin/env bash
# Runs the Online Retail segmentation example (test/bench/kmeans_online_retail.sql) on
# ../shared/data/online_retail.csv.gz or the file given; needs the PG* environment of a
# server with assoc installed.  Leaves the tables retail_* behind for exploration.
set -euo pipefail
cd "$(dirname "$0")/../.."
csv=$(realpath "${1:-../shared/data/online_retail.csv.gz}")
psql -X -v csv="$csv" -f test/bench/kmeans_online_retail.sql
