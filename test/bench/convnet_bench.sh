#!/usr/bin/env bash
# Benchmark of the convnet (issue 7): training throughput (examples per second per epoch) on
# N sequences of 12 x 16 with the default architecture, scoring throughput, the FLOP rates
# they imply, and the same GEMMs timed alone in numpy (single-threaded OpenBLAS) as the
# BLAS-bound floor.  Needs a server with assoc installed (PG* environment) and python3-numpy.
#   bash test/bench/convnet_bench.sh            # N=200000 (about 2 minutes)
#   N=20000 bash test/bench/convnet_bench.sh    # quick
# Prints a markdown table; every ratio comes from this one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200000}
E1=1
E2=${E2:-3}

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
# seconds taken by one SQL statement (server-side: \timing), after the given settings
timed() {
  q -c "SET assoc.mining_mem = '4GB'" -c "SET max_parallel_workers_per_gather = 0" \
    -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 | awk '{printf "%.3f", $1 / 1000}'
}

echo "preparing $N sequences of 12 x 16 ..." >&2
q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS convnet_bench_seq, convnet_bench_models;
CREATE UNLOGGED TABLE convnet_bench_seq AS
SELECT i, random() < 0.3 AS label,
       ARRAY(SELECT random() FROM generate_series(1, 192) WHERE i > 0) AS x
FROM generate_series(1, $N) i;
VACUUM ANALYZE convnet_bench_seq;
CREATE TABLE convnet_bench_models (name text, m bytea);
SQL

train() {  # $1 name, $2 options
  timed "INSERT INTO convnet_bench_models SELECT '$1', assoc.train_convnet(x, label, '$2') FROM convnet_bench_seq"
}
common='"steps": 12, "validation_fraction": 0, "patience": 0'
echo "training ..." >&2
t1=$(train cnn1 "{$common, \"epochs\": $E1}")
t2=$(train cnn2 "{$common, \"epochs\": $E2}")
tl=$(train linear "{$common, \"epochs\": $E1, \"layers\": [{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 1}]}")

echo "scoring ..." >&2
score() {  # $1 model name: seconds to score every row (median of 3)
  for r in 1 2 3; do
    timed "SELECT sum(assoc.predict_convnet((SELECT m FROM convnet_bench_models WHERE name = '$1'), x)) FROM convnet_bench_seq"
    echo
  done | sort -n | sed -n 2p
}
tread=$(for r in 1 2 3; do timed "SELECT sum(x[192]) FROM convnet_bench_seq"; echo; done | sort -n | sed -n 2p)
tsc=$(score cnn2)
tsl=$(score linear)

read -r fwd trn params <<<"$(q -F' ' -c "SELECT i->'flops_per_example'->>'forward', i->'flops_per_example'->>'training', i->>'parameters'
  FROM (SELECT assoc.model_info(m)->'info' i FROM convnet_bench_models WHERE name = 'cnn2') s")"

echo "numpy GEMM floor ..." >&2
tgemm=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 - "$N" <<'PY'
# The GEMMs of one training epoch of the default network (batch 64, 12 x 16 input),
# with the shapes assoc's kernel uses (im2col rows x (kernel*channels) x filters).
import sys, time
import numpy as np
n, B = int(sys.argv[1]), 64
rng = np.random.default_rng(0)
shapes = [(B * 10, 48, 64), (B * 3, 192, 128), (B, 128, 1)]   # forward: rows x k x filters
mats = [(rng.standard_normal((m, k)), rng.standard_normal((k, f)), rng.standard_normal((m, f)))
        for m, k, f in shapes]
def batch():
    for li, (a, w, d) in enumerate(mats):
        a @ w                    # forward
        a.T @ d                  # weight gradient
        if li > 0:
            d @ w.T              # input gradient
best = 1e9
for rep in range(3):
    t = time.perf_counter()
    for _ in range(n // B):
        batch()
    best = min(best, time.perf_counter() - t)
print("%.3f" % best)
PY
)

q -c "DROP TABLE convnet_bench_seq, convnet_bench_models"

awk -v n="$N" -v e1="$E1" -v e2="$E2" -v t1="$t1" -v t2="$t2" -v tl="$tl" -v tread="$tread" \
    -v tsc="$tsc" -v tsl="$tsl" -v fwd="$fwd" -v trn="$trn" -v params="$params" -v tgemm="$tgemm" 'BEGIN {
  epoch = (t2 - t1) / (e2 - e1); collect = t1 - epoch;
  printf "N = %d sequences of 12 x 16, default network (%d parameters, %d FLOPs forward, %d FLOPs training per example); one backend, serial OpenBLAS\n\n", n, params, fwd, trn;
  printf "| measure | value |\n|---|---|\n";
  printf "| train, %d epoch(s) (s) | %.2f |\n", e1, t1;
  printf "| train, %d epochs (s) | %.2f |\n", e2, t2;
  printf "| one epoch = difference / %d (s) | %.2f |\n", e2 - e1, epoch;
  printf "| training throughput (examples/s per epoch) | %.0f |\n", n / epoch;
  printf "| implied training rate (GFLOP/s) | %.2f |\n", n * trn / epoch / 1e9;
  printf "| the same GEMMs alone in numpy, one epoch (s) | %.2f |\n", tgemm;
  printf "| epoch time / GEMM floor | %.2f |\n", epoch / tgemm;
  printf "| reading rows, canonical order, set-up (s) | %.2f |\n", collect;
  printf "| scan only: sum(x[192]) (s) | %.3f |\n", tread;
  printf "| score default convnet, every row (s) | %.3f |\n", tsc;
  printf "| score linear model (flatten + dense), every row (s) | %.3f |\n", tsl;
  printf "| scoring throughput, convnet (rows/s) | %.0f |\n", n / tsc;
  printf "| implied scoring rate, convnet (GFLOP/s) | %.2f |\n", n * fwd / tsc / 1e9;
  printf "| convnet / linear scoring time | %.2f |\n", tsc / tsl;
  printf "| convnet / linear scoring time, scan subtracted | %.2f |\n", (tsc - tread) / (tsl - tread);
}'
