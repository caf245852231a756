#!/usr/bin/python3
"""Regenerate the k-means test data and scikit-learn's answers on it.

  /usr/bin/python3 test/data/make_kmeans_oracle.py        (Debian's python3-sklearn, python3-numpy)

Writes, next to this script:
  kmeans_a.csv        300 x 3 rows: 4 overlapping Gaussian blobs (seeded), with an offset
  kmeans_b.csv        500 x 8 rows: 6 blobs with features on very different scales
  kmeans_sklearn.csv  for each case: scikit-learn's KMeans(algorithm="lloyd", n_init=1) started
                      from the given centroids: iterations, inertia, cluster sizes, final centroids
                      (in the units of the features), and silhouette_score of its labels
The data are synthetic (made here), so they carry no licence beyond the project's.
"""
import csv
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)

# data set a: 4 blobs in 3-d that overlap, so Lloyd needs several iterations
ca = np.array([[0, 0, 0], [3, 3, 0], [0, 4, 3], [4, 0, 4]], dtype=float)
la = rng.integers(0, 4, size=300)
A = ca[la] + rng.normal(0, 1.3, size=(300, 3)) + np.array([50.0, -20.0, 7.0])
A = np.round(A, 6)                     # short exact decimals in the CSV
# data set b: 6 blobs in 8-d, features on scales from 0.01 to 1000
cb = rng.normal(0, 3, size=(6, 8))
lb = rng.integers(0, 6, size=500)
scale = np.array([0.01, 0.1, 1, 10, 100, 1000, 1, 5])
B = (cb[lb] + rng.normal(0, 1.5, size=(500, 8))) * scale
B = np.round(B, 6)

for name, X in (("a", A), ("b", B)):
    np.savetxt(os.path.join(here, "kmeans_%s.csv" % name), X, delimiter=",", fmt="%.6f")

def case(name, data, X, init, standardize=False, max_iter=300, tol=0.0):
    Xf, If = X, init.copy()
    if standardize:
        sc = StandardScaler().fit(X)
        Xf, If = sc.transform(X), sc.transform(init)
    km = KMeans(n_clusters=len(init), init=If, n_init=1, max_iter=max_iter, tol=tol,
                algorithm="lloyd").fit(Xf)
    cent = km.cluster_centers_
    if standardize:
        cent = sc.inverse_transform(cent)
    sizes = np.bincount(km.labels_, minlength=len(init))
    sil = silhouette_score(Xf, km.labels_) if len(set(km.labels_)) > 1 else float("nan")
    return [name, data, str(standardize).lower(), max_iter, repr(tol),
            json.dumps(init.tolist()), km.n_iter_, repr(float(km.inertia_)),
            json.dumps(sizes.tolist()), json.dumps(cent.tolist()), repr(float(sil))]

rows = [
    case("a_tol0", "a", A, A[[0, 1, 2, 3]]),
    case("a_k6", "a", A, A[[10, 20, 30, 40, 50, 60]]),
    case("a_maxiter3", "a", A, A[[0, 1, 2, 3]], max_iter=3),
    case("a_tol", "a", A, A[[0, 1, 2, 3]], tol=1e-2),
    case("a_standardize", "a", A, A[[5, 6, 7, 8]], standardize=True),
    # one start far from every row: its cluster is empty after the first assignment
    case("a_empty", "a", A, np.vstack([A[[0, 1, 2]], [[1000.0, 1000.0, 1000.0]]])),
    case("b_tol0", "b", B, B[[0, 100, 200, 300, 400, 499]]),
    case("b_standardize", "b", B, B[[0, 100, 200, 300, 400, 499]], standardize=True),
]
with open(os.path.join(here, "kmeans_sklearn.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["case", "data", "standardize", "max_iter", "tol", "init", "iterations",
                "inertia", "sizes", "centroids", "silhouette"])
    w.writerows(rows)
print("scikit-learn", sklearn.__version__, "numpy", np.__version__)
