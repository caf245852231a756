#!/usr/bin/env bash
# k-means benchmark: assoc.train_kmeans against scikit-learn's KMeans (Lloyd, Debian's
# python3-sklearn) on the same rows, measured side by side in one run.
#
#   test/bench/kmeans_bench.sh [ROWS] [RUNS]        defaults: 1000000 rows, 3 runs
#
# Needs a server with assoc installed and the PG* environment pointing at it (psql must
# connect), and /usr/bin/python3 with numpy, scikit-learn and threadpoolctl.  Data: ROWS x 16
# features from 8 Gaussian blobs (seeded, test/bench/kmeans_data.py), loaded into the unlogged
# table kmeans_bench_points (dropped at the end, with kmeans_bench_model).  k = 8, exactly 20 Lloyd iterations (tol = 0).
# "given": both start from the first 8 rows (the same initial centroids); their final centroids
# and inertia are compared.  "k-means++": each its own k-means++ start.  One more scikit-learn
# case first reads the rows out of PostgreSQL (binary COPY through psql), as it would have to.
# Each case runs RUNS times, interleaved; the table shows medians of wall-clock seconds.
# assoc times are whole SQL statements (scan of the table + training); scikit-learn times are
# KMeans.fit on a numpy array already in memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
RUNS=${2:-3}
D=16
K=8
ITER=20
OUT=test/bench/out
PY=/usr/bin/python3
mkdir -p "$OUT"

echo "generating $ROWS x $D rows ..." >&2
$PY test/bench/kmeans_data.py "$ROWS" "$D" "$K" "$OUT"

cols=$(seq -s, -f 'f%g float8' 1 $D)
arr=$(seq -s, -f 'f%g' 1 $D)
psql -X -q -v ON_ERROR_STOP=1 <<SQL >&2
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS kmeans_bench_raw, kmeans_bench_points;
CREATE UNLOGGED TABLE kmeans_bench_raw (id int8, $cols);
\copy kmeans_bench_raw FROM '$OUT/points.copy' (FORMAT binary)
CREATE UNLOGGED TABLE kmeans_bench_points AS SELECT id, ARRAY[$arr] AS f FROM kmeans_bench_raw;
DROP TABLE kmeans_bench_raw;
VACUUM ANALYZE kmeans_bench_points;
SQL
GIVEN=$(psql -X -At -c "SELECT jsonb_build_object('init', jsonb_agg(f ORDER BY id), 'max_iter', $ITER, 'tol', 0)
                        FROM kmeans_bench_points WHERE id <= $K")
PLUSPLUS="{\"max_iter\": $ITER, \"tol\": 0}"

# "wall cpu": seconds of a statement (psql's \timing) and CPU seconds of its backend
# (user + system from /proc; leader only in a parallel plan).  $1: 0 = serial plan,
# default = PostgreSQL's default settings (the planner chooses), N = a parallel plan
# with N workers forced (setup and tuple costs 0; train_kmeans is single-stage, so the
# workers scan below a Gather and the leader aggregates)
sql_time() {
	local setting
	case $1 in
	0) setting="SET max_parallel_workers_per_gather = 0;" ;;
	default) setting="RESET max_parallel_workers_per_gather;" ;;
	*) setting="SET max_parallel_workers_per_gather = $1; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;" ;;
	esac
	psql -X -q -At -v ON_ERROR_STOP=1 <<SQL | awk -v tck="$(getconf CLK_TCK)" '
		/^cpu / { c[++n] = $2 } /^Time:/ { t = $2 }
		END { printf "%.4f %.4f\n", t / 1000, (c[2] - c[1]) / tck }'
SET assoc.mining_mem = '2GB';
$setting
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! awk '{ print "cpu", \$14 + \$15 }' /proc/\$BACKEND/stat
\timing on
$2;
\timing off
\! awk '{ print "cpu", \$14 + \$15 }' /proc/\$BACKEND/stat
SQL
}

declare -A T
add() { T[$1]="${T[$1]:-} $2"; }
# add_pair NAME "wall cpu"
add_pair() { read -r w c <<<"$2"; add "$1" "$w"; add "$1_cpu" "$c"; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# a model to score with
psql -X -q -v ON_ERROR_STOP=1 -c "SET assoc.mining_mem = '2GB'" -c "DROP TABLE IF EXISTS kmeans_bench_model" \
	-c "CREATE TABLE kmeans_bench_model AS SELECT assoc.train_kmeans(f, $K, '$GIVEN') AS m FROM kmeans_bench_points"

for run in $(seq "$RUNS"); do
	echo "run $run/$RUNS ..." >&2
	add_pair floor "$(sql_time 0 'SELECT sum(f[16]) FROM kmeans_bench_points')"
	add_pair score "$(sql_time 0 'SELECT sum(assoc.predict_cluster((SELECT m FROM kmeans_bench_model), f)) FROM kmeans_bench_points')"
	add_pair assoc_given "$(sql_time 0 "SELECT length(assoc.train_kmeans(f, $K, '$GIVEN')) FROM kmeans_bench_points")"
	read -r t c it inertia < <($PY test/bench/kmeans_sklearn.py "$OUT/points.npy" $K given 1 $ITER "$OUT/sk_given.csv")
	add_pair sk1_given "$t $c"; SK_IT=$it; SK_INERTIA=$inertia
	read -r t c _ _ < <($PY test/bench/kmeans_sklearn.py "$OUT/points.npy" $K given default $ITER "$OUT/sk_given2.csv")
	add_pair skN_given "$t $c"
	read -r t c _ _ < <($PY test/bench/kmeans_sklearn.py "$OUT/points.npy" $K given 1 $ITER "$OUT/sk_given3.csv" export)
	add_pair skX_given "$t $c"
	add_pair assoc_one "$(sql_time 0 "SELECT length(assoc.train_kmeans(f, $K, '$(sed 's/"max_iter": [0-9]*/"max_iter": 1/' <<<"$GIVEN")')) FROM kmeans_bench_points")"
	add_pair assoc_par_given "$(sql_time 2 "SELECT length(assoc.train_kmeans(f, $K, '$GIVEN')) FROM kmeans_bench_points")"
	add_pair assoc_default_given "$(sql_time default "SELECT length(assoc.train_kmeans(f, $K, '$GIVEN')) FROM kmeans_bench_points")"
	add_pair assoc_pp "$(sql_time 0 "SELECT length(assoc.train_kmeans(f, $K, '$PLUSPLUS')) FROM kmeans_bench_points")"
	read -r t c _ _ < <($PY test/bench/kmeans_sklearn.py "$OUT/points.npy" $K k-means++ 1 $ITER "$OUT/sk_pp.csv")
	add_pair sk1_pp "$t $c"
	read -r t c _ _ < <($PY test/bench/kmeans_sklearn.py "$OUT/points.npy" $K k-means++ default $ITER "$OUT/sk_pp2.csv")
	add_pair skN_pp "$t $c"
done

# agreement from the same initial centroids
psql -X -q -At -c "SET assoc.mining_mem = '2GB'" -c "CREATE TEMP TABLE m AS SELECT assoc.train_kmeans(f, $K, '$GIVEN') AS m FROM kmeans_bench_points" \
	-c "SELECT (assoc.model_info(m)->'info'->>'iterations') || ' ' || (assoc.model_info(m)->'info'->>'inertia') FROM m" \
	-c "SELECT array_to_string(centroid, ',') FROM m, assoc.cluster_centroids(m) ORDER BY cluster" > "$OUT/assoc_given.txt"
read -r A_IT A_INERTIA < <(sed -n 1p "$OUT/assoc_given.txt")
sed -n '2,$p' "$OUT/assoc_given.txt" > "$OUT/assoc_given.csv"
MAXREL=$($PY -c "
import numpy as np
a = np.loadtxt('$OUT/assoc_given.csv', delimiter=','); s = np.loadtxt('$OUT/sk_given.csv', delimiter=',')
print('%.1e' % np.max(np.abs(a - s) / np.abs(s)))")

nthreads=$($PY -c "import os; print(len(os.sched_getaffinity(0)))")
m() { median "${T[$1]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
row() {	# label, case, [one-thread sklearn case for the ratios, [default-threads sklearn case]]
	local r="" rc="" rn=""
	if [ -n "${3:-}" ]; then
		r=$(ratio "$(m "$2")" "$(m "$3")")
		rc=$(ratio "$(m "$2_cpu")" "$(m "$3_cpu")")
	fi
	[ -n "${4:-}" ] && rn=$(ratio "$(m "$2")" "$(m "$4")")
	printf '%-60s %8s %8s %9s %9s %9s\n' "$1" "$(m "$2")" "$(m "$2_cpu")" "$r" "$rc" "$rn"
}
printf '\nk-means, %d rows x %d features, k = %d, %d iterations; median of %d runs; %s CPUs, shared (load %s)\n' \
	"$ROWS" "$D" "$K" "$ITER" "$RUNS" "$nthreads" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-60s %8s %8s %9s %9s %9s\n' "case" "wall s" "CPU s" "wall/sk1" "CPU/sk1" "wall/skN"
row "floor: SELECT sum(f[16]) (scan + array access)" floor
row "scoring: sum(assoc.predict_cluster(model, f)), 1 backend" score
row "scikit-learn fit, given init, 1 thread" sk1_given
row "scikit-learn fit, given init, default threads ($nthreads)" skN_given
row "scikit-learn, rows read from PostgreSQL (binary COPY) + fit" skX_given
row "assoc.train_kmeans, given init (scan + train, 1 backend)" assoc_given sk1_given skN_given
row "assoc.train_kmeans, given init, max_iter 1 (fixed costs)" assoc_one
row "assoc.train_kmeans, given init, default settings" assoc_default_given sk1_given skN_given
row "assoc.train_kmeans, given init, parallel plan forced (2 workers)" assoc_par_given sk1_given
row "scikit-learn fit, k-means++, 1 thread" sk1_pp
row "scikit-learn fit, k-means++, default threads ($nthreads)" skN_pp
row "assoc.train_kmeans, k-means++ (scan + train, 1 backend)" assoc_pp sk1_pp skN_pp
printf '(ratios against scikit-learn on 1 thread (sk1) and on its default threads (skN), same init; below 1:\n'
printf ' assoc is faster.  CPU: user + system\n'
printf ' seconds of the process, all its threads; for assoc the backend, so the leader only when parallel;\n'
printf ' the COPY row counts the Python process only, not psql or the server)\n'
printf '\nsame initial centroids: iterations assoc %s, scikit-learn %s; inertia assoc %s, scikit-learn %s (relative difference %s);\n' \
	"$A_IT" "$SK_IT" "$A_INERTIA" "$SK_INERTIA" "$($PY -c "print('%.1e' % (abs($A_INERTIA - $SK_INERTIA) / $SK_INERTIA))")"
printf 'largest relative difference of a centroid coordinate: %s\n' "$MAXREL"

psql -X -q -c "DROP TABLE kmeans_bench_points, kmeans_bench_model"
