#!/usr/bin/python3
"""One timed scikit-learn KMeans fit for kmeans_bench.sh.

  kmeans_sklearn.py POINTS.npy K INIT(given|k-means++) THREADS(1|default) MAX_ITER CENTROIDS_OUT
prints: seconds n_iter inertia      (the fit alone, data already in memory)
INIT=given starts from the first K rows, as the assoc side does.
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

path, k, init, threads, max_iter, out = sys.argv[1:7]
k, max_iter = int(k), int(max_iter)
X = np.load(path)
start = X[:k].copy() if init == "given" else "k-means++"
limit = 1 if threads == "1" else None
with threadpool_limits(limits=limit):
    t = time.perf_counter()
    km = KMeans(n_clusters=k, init=start, n_init=1, max_iter=max_iter, tol=0.0,
                algorithm="lloyd", random_state=0).fit(X)
    secs = time.perf_counter() - t
np.savetxt(out, km.cluster_centers_, fmt="%.17g", delimiter=",")
print("%.4f %d %.17g" % (secs, km.n_iter_, km.inertia_))
