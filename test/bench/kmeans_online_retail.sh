#!/usr/bin/env bash
# Runs the Online Retail segmentation example (test/bench/kmeans_online_retail.sql) on
# ../shared/data/online_retail.csv.gz or the file given; needs the PG* environment of a
# server with assoc installed.  Leaves the tables retail_* behind for exploration.
# Then, for reference, scikit-learn's KMeans (Debian's python3-sklearn; best of 300
# k-means++ runs) on the same RFM scores, for the k of the choosing-k table.  About 2.5 minutes,
# nearly all of it scikit-learn.
set -euo pipefail
cd "$(dirname "$0")/../.."
csv=$(realpath "${1:-../shared/data/online_retail.csv.gz}")
psql -X -v csv="$csv" -f test/bench/kmeans_online_retail.sql
psql -X -q -A -t -F' ' -c "SELECT features[16], features[17], features[18] FROM retail_customers
                             WHERE features[16] IS NOT NULL" |
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -c '
import sys
import numpy as np
from sklearn.cluster import KMeans
X = np.loadtxt(sys.stdin)
print("scikit-learn KMeans (lloyd, best of 300 k-means++ runs) on the same %d x %d scores:" % X.shape)
print(" k | inertia | sizes (sorted)")
for k in range(2, 9):
    km = KMeans(n_clusters=k, n_init=300, random_state=0, algorithm="lloyd").fit(X)
    print("%2d | %7.1f | %s" % (k, km.inertia_, sorted(np.bincount(km.labels_).tolist())))
'
