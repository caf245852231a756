#!/usr/bin/python3
"""Write seeded k-means benchmark data for assoc and scikit-learn.

  kmeans_data.py N D K OUTDIR [SEED]

OUTDIR/points.copy  PostgreSQL binary COPY of (id int8, f1 .. fD float8), loaded by kmeans_bench.sh
OUTDIR/points.npy   the same N x D float64 matrix for numpy
K Gaussian blobs whose spread makes Lloyd keep moving for many iterations.
"""
import sys
import numpy as np

n, d, k, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 20240601
rng = np.random.default_rng(seed)
centres = rng.normal(0.0, 4.0, size=(k, d))
which = rng.integers(0, k, size=n)
X = centres[which] + rng.normal(0.0, 3.0, size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
X += rng.uniform(-100, 100, size=d)        # an offset, so centring matters
np.save(out + "/points.npy", X)

# PostgreSQL binary COPY: header, then per row int16 field count, (int32 length, value) per field
fields = [("n", ">i2"), ("idl", ">i4"), ("id", ">i8")]
for j in range(d):
    fields += [("l%d" % j, ">i4"), ("v%d" % j, ">f8")]
rows = np.empty(n, dtype=fields)
rows["n"] = d + 1
rows["idl"] = 8
rows["id"] = np.arange(1, n + 1)
for j in range(d):
    rows["l%d" % j] = 8
    rows["v%d" % j] = X[:, j]
with open(out + "/points.copy", "wb") as f:
    f.write(b"PGCOPY\n\xff\r\n\x00" + np.array([0, 0], dtype=">i4").tobytes())
    f.write(rows.tobytes())
    f.write(np.array([-1], dtype=">i2").tobytes())
