#!/usr/bin/python3
"""One timed scikit-learn KMeans fit for kmeans_bench.sh.

  kmeans_sklearn.py POINTS.npy K INIT(given|k-means++) THREADS(1|default) MAX_ITER CENTROIDS_OUT [export]
prints: wall_seconds cpu_seconds n_iter inertia   (the fit alone, data already in memory;
cpu_seconds: user + system of the process, all threads)
INIT=given starts from the first K rows, as the assoc side does.
With "export", the rows are first read from PostgreSQL (psql binary COPY of the table
kmeans_bench_points, PG* environment) and the timing covers reading, decoding and the fit.
"""
import subprocess
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


def from_postgres(d):
    """The float8[d] column f of kmeans_bench_points, in id order, by binary COPY."""
    raw = subprocess.run(["psql", "-X", "-q", "-c",
                          "\\copy (SELECT f FROM kmeans_bench_points ORDER BY id) TO STDOUT (FORMAT binary)"],
                         check=True, stdout=subprocess.PIPE).stdout
    # per row: int16 fields, int32 length, array header (ndim, flags, element type,
    # dimension, lower bound), then (int32 length, float8) per element
    row = [("nf", ">i2"), ("len", ">i4"), ("hdr", ">i4", 5)]
    row += [("l%d" % j, ">i4") if h == 0 else ("v%d" % j, ">f8") for j in range(d) for h in (0, 1)]
    body = raw[19:-2]
    rows = np.frombuffer(body, dtype=np.dtype(row))
    return np.column_stack([rows["v%d" % j] for j in range(d)]).astype(np.float64)


path, k, init, threads, max_iter, out = sys.argv[1:7]
export = len(sys.argv) > 7 and sys.argv[7] == "export"
k, max_iter = int(k), int(max_iter)
X = np.load(path)
start = X[:k].copy() if init == "given" else "k-means++"
limit = 1 if threads == "1" else None
with threadpool_limits(limits=limit):
    t, c = time.perf_counter(), time.process_time()
    if export:
        Y = from_postgres(X.shape[1])
        assert np.array_equal(X, Y)
        X = Y
    km = KMeans(n_clusters=k, init=start, n_init=1, max_iter=max_iter, tol=0.0,
                algorithm="lloyd", random_state=0).fit(X)
    secs, cpu = time.perf_counter() - t, time.process_time() - c
np.savetxt(out, km.cluster_centers_, fmt="%.17g", delimiter=",")
print("%.4f %.4f %d %.17g" % (secs, cpu, km.n_iter_, km.inertia_))
