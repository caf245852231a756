#!/usr/bin/python3
"""The benchmark data of test/bench/logistic_bench.sh, computed the same way
as the SQL in that script (integer hashing, so both sides hold the very same
doubles), then timed with scikit-learn.  Run by the bench script; prints
"name seconds" lines and a checksum line."""
import json
import os
import sys
import time

import numpy as np


def hashed(i, j):
    """lowbias32-style hash of (i, j) to [0, 1), in exact integer arithmetic."""
    s = (i * 2654435761 + j * 40503 + 12345) & 0xFFFFFFFF
    s = ((s ^ (s >> 16)) * 73244475) & 0xFFFFFFFF
    s = ((s ^ (s >> 16)) * 73244475) & 0xFFFFFFFF
    return (s ^ (s >> 16)).astype(np.float64) / 4294967296.0


def data(n, p):
    i = np.arange(1, n + 1, dtype=np.int64)[:, None]
    j = np.arange(p, dtype=np.int64)[None, :]
    X = (hashed(i, j) - 0.5) * (1 + j % 4)
    w = ((np.arange(p) % 7) - 3) / 4.0
    z = X @ w
    y = hashed(i[:, 0], np.int64(1000)) < 1 / (1 + np.exp(-z))
    return X, y


def main():
    n, p, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    X, y = data(n, p)
    print('checksum %.6f %d' % (X.sum(), y.sum()))
    sys.stdout.flush()
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import warnings
    warnings.simplefilter('ignore')
    coef = {}
    for name, kw in (('sklearn_lbfgs', dict(solver='lbfgs')),
                     ('sklearn_newton_cholesky', dict(solver='newton-cholesky'))):
        times = []
        for _ in range(repeats):
            model = make_pipeline(StandardScaler(), LogisticRegression(**kw))
            t = time.perf_counter()
            model.fit(X, y)
            times.append(time.perf_counter() - t)
        lr = model[-1]
        coef[name] = [float(lr.intercept_[0])] + [float(c) for c in lr.coef_[0]]
        print('%s %.4f iterations=%d' % (name, sorted(times)[len(times) // 2], lr.n_iter_[0]))
        sys.stdout.flush()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model.predict_proba(X)
        times.append(time.perf_counter() - t)
    print('sklearn_predict_proba %.4f' % sorted(times)[len(times) // 2])
    with open(os.environ.get('COEF_OUT', '/dev/null'), 'w') as f:
        json.dump(coef, f)


if __name__ == '__main__':
    main()
