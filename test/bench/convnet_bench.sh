#!/usr/bin/env bash
# Benchmark of the convnet (issue 7): training throughput (examples per second per epoch) on
# N sequences of 12 x 16 with the default architecture, scoring throughput, the FLOP rates
# they imply, and the same GEMMs timed alone in numpy (single-threaded OpenBLAS) as the
# BLAS-bound floor; and the issue's target "scoring within 3x the time of the logistic model on
# the same rows": assoc.predict on the convnet against assoc.predict on a logistic model trained
# by assoc.train_logistic on the same 192 values.
# Needs a server with assoc installed (PG* environment) and python3-numpy.
#   bash test/bench/convnet_bench.sh            # N=200000 (about 2 minutes)
#   N=20000 bash test/bench/convnet_bench.sh    # quick
# Prints a markdown table; every ratio comes from this one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200000}
E1=1
E2=${E2:-3}

q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
# "wall cpu" seconds of one SQL statement: wall from \timing, CPU (user + system) of the
# backend from /proc/self/stat, read by the backend itself (needs a superuser or
# pg_read_server_files, and a local server).  On a shared machine the CPU time is the
# steadier measure: it does not count the time the backend waited for a core.
# The ticks are printed as "ticks=N" so that a result that happens to be an integer (the scores
# of a logistic model with an intercept sum to the number of positives of its training rows) is
# not taken for them.
cpu_sql="SELECT 'ticks=' || (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint) FROM pg_read_file('/proc/self/stat') s"
timed() {
  q -c "SET assoc.mining_mem = '4GB'" -c "SET max_parallel_workers_per_gather = 0" \
    -c "$cpu_sql" -c '\timing on' -c "$1" -c '\timing off' -c "$cpu_sql" |
  awk -v hz="$(getconf CLK_TCK)" '/^Time:/ { wall = $2 / 1000 } /^ticks=[0-9]+$/ { t[n++] = substr($1, 7) }
       END { printf "%.3f %.3f\n", wall, (t[1] - t[0]) / hz }'
}
median() { sort -n | sed -n 2p; }   # of 3 lines, by the first field

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
read -r t1 c1 <<<"$(train cnn1 "{$common, \"epochs\": $E1}")"
read -r t2 c2 <<<"$(train cnn2 "{$common, \"epochs\": $E2}")"
train linear "{$common, \"epochs\": $E1, \"layers\": [{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 1}]}" >/dev/null
# the default shape with 8 and 16 filters instead of 64 and 128: where scoring nears the linear model
train small "{$common, \"epochs\": $E1, \"layers\": [{\"type\": \"conv1d\", \"filters\": 8, \"kernel\": 3}, {\"type\": \"maxpool1d\", \"pool\": 2}, {\"type\": \"conv1d\", \"filters\": 16, \"kernel\": 3}, {\"type\": \"maxpool1d\", \"pool\": 2}, {\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 1}]}" >/dev/null
# the models area's logistic regression on the same rows (the flat 192 values)
read -r tlt clt <<<"$(timed "INSERT INTO convnet_bench_models SELECT 'logistic', assoc.train_logistic(x, label) FROM convnet_bench_seq")"

echo "scoring ..." >&2
score() {  # $1 model name: "wall cpu" seconds to score every row (median of 3)
  for r in 1 2 3; do
    timed "SELECT sum(assoc.predict((SELECT m FROM convnet_bench_models WHERE name = '$1'), x)) FROM convnet_bench_seq"
  done | median
}
read -r tread cread <<<"$(for r in 1 2 3; do timed "SELECT sum(x[192]) FROM convnet_bench_seq"; done | median)"
read -r tsc csc <<<"$(score cnn2)"
read -r tsl csl <<<"$(score linear)"
read -r tss css <<<"$(score small)"
read -r tlg clg <<<"$(score logistic)"
sfwd=$(q -c "SELECT assoc.model_info(m)->'info'->'flops_per_example'->>'forward' FROM convnet_bench_models WHERE name = 'small'")

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
    t = time.process_time()           # CPU time, as for the backend
    for _ in range(n // B):
        batch()
    best = min(best, time.process_time() - t)
print("%.3f" % best)
PY
)

q -c "DROP TABLE convnet_bench_seq, convnet_bench_models"

awk -v n="$N" -v e1="$E1" -v e2="$E2" -v fwd="$fwd" -v trn="$trn" -v params="$params" -v tgemm="$tgemm" \
    -v t1="$t1" -v t2="$t2" -v tread="$tread" -v tsc="$tsc" -v tsl="$tsl" \
    -v c1="$c1" -v c2="$c2" -v cread="$cread" -v csc="$csc" -v csl="$csl" -v tss="$tss" -v css="$css" -v sfwd="$sfwd" -v tlt="$tlt" -v clt="$clt" -v tlg="$tlg" -v clg="$clg" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  ew = (t2 - t1) / (e2 - e1); ec = (c2 - c1) / (e2 - e1);
  printf "N = %d sequences of 12 x 16, default network (%d parameters, %d FLOPs forward, %d FLOPs training per example); one backend, serial OpenBLAS; load average at the end %s\n\n", n, params, fwd, trn, load;
  printf "| measure | wall | CPU of the backend |\n|---|---|---|\n";
  printf "| train, %d epoch (s) | %.2f | %.2f |\n", e1, t1, c1;
  printf "| train, %d epochs (s) | %.2f | %.2f |\n", e2, t2, c2;
  printf "| one epoch = difference / %d (s) | %.2f | %.2f |\n", e2 - e1, ew, ec;
  printf "| training throughput (examples/s per epoch) | %.0f | %.0f |\n", n / ew, n / ec;
  printf "| implied training rate (GFLOP/s) | %.2f | %.2f |\n", n * trn / ew / 1e9, n * trn / ec / 1e9;
  printf "| same GEMMs alone in numpy, one epoch (s, CPU) | | %.2f |\n", tgemm;
  printf "| epoch / GEMM floor | | %.2f |\n", ec / tgemm;
  printf "| reading rows, canonical order, set-up (s) | %.2f | %.2f |\n", t1 - ew, c1 - ec;
  printf "| scan only: sum(x[192]) (s) | %.3f | %.3f |\n", tread, cread;
  printf "| score default convnet, every row (s) | %.3f | %.3f |\n", tsc, csc;
  printf "| train logistic model (assoc.train_logistic, Newton) (s) | %.2f | %.2f |\n", tlt, clt;
  printf "| score logistic model (assoc.train_logistic), every row (s) | %.3f | %.3f |\n", tlg, clg;
  printf "| score linear model (flatten + dense), every row (s) | %.3f | %.3f |\n", tsl, csl;
  printf "| scoring throughput, convnet (rows/s) | %.0f | %.0f |\n", n / tsc, n / csc;
  printf "| implied scoring rate, convnet (GFLOP/s) | %.2f | %.2f |\n", n * fwd / tsc / 1e9, n * fwd / csc / 1e9;
  printf "| **convnet / logistic scoring time** (target: at most 3) | %.2f | %.2f |\n", tsc / tlg, csc / clg;
  printf "| convnet / linear (flatten + dense) scoring time | %.2f | %.2f |\n", tsc / tsl, csc / csl;
  printf "| score small convnet (8 and 16 filters, %d FLOPs), every row (s) | %.3f | %.3f |\n", sfwd, tss, css;
  printf "| small convnet / logistic scoring time | %.2f | %.2f |\n", tss / tlg, css / clg;
}'
