#!/usr/bin/python3
"""The benchmark data of test/bench/logistic_bench.sh, computed the same way
as the SQL in that script (integer hashing, so both sides hold the very same
doubles), and scikit-learn timed on them at the bench script's request."""
import json
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
    """Build the data, print its checksum, then serve requests read from stdin,
    one per line, answering "<request> <seconds> [detail]":
      lbfgs, lbfgs1              fit StandardScaler + LogisticRegression(lbfgs), all threads / one thread
      newton_cholesky            the same with solver newton-cholesky, all threads
      predict                    predict_proba of the last lbfgs model, all threads
      coef <file>                write the coefficients of the last models as JSON
    so that the bench script can interleave its runs with the database's."""
    n, p = int(sys.argv[1]), int(sys.argv[2])
    X, y = data(n, p)
    print('checksum %.6f %d' % (X.sum(), y.sum()), flush=True)
    import warnings
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits
    warnings.simplefilter('ignore')
    models = {}
    for line in sys.stdin:
        req = line.split()
        if not req:
            continue
        if req[0] in ('lbfgs', 'lbfgs1', 'newton_cholesky'):
            solver = 'newton-cholesky' if req[0] == 'newton_cholesky' else 'lbfgs'
            model = make_pipeline(StandardScaler(), LogisticRegression(solver=solver))
            with threadpool_limits(1 if req[0] == 'lbfgs1' else None):
                t = time.perf_counter()
                model.fit(X, y)
                t = time.perf_counter() - t
            models[solver] = model
            print('%s %.4f iterations=%d' % (req[0], t, model[-1].n_iter_[0]), flush=True)
        elif req[0] == 'predict':
            t = time.perf_counter()
            models['lbfgs'].predict_proba(X)
            print('predict %.4f' % (time.perf_counter() - t), flush=True)
        elif req[0] == 'coef':
            with open(req[1], 'w') as f:
                json.dump({'sklearn_' + k.replace('-', '_'):
                           [float(m[-1].intercept_[0])] + [float(c) for c in m[-1].coef_[0]]
                           for k, m in models.items()}, f)
            print('coef 0', flush=True)


if __name__ == '__main__':
    main()
