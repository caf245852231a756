#!/usr/bin/python3
"""Regenerate the data sets and scikit-learn reference results used by the
regression tests sql/logistic.sql and sql/metrics.sql.

Run with Debian's Python (python3-sklearn, python3-numpy):
    /usr/bin/python3 test/oracle/logistic_reference.py
Writes (deterministic, fixed seeds):
    test/data/logistic_datasets.csv     dataset,id,label,features   (features as a float8[] literal)
    test/data/logistic_reference.csv    dataset,options,source,feature,coefficient
    test/data/logistic_proba.csv        dataset,options,id,probability   (first rows of each set)
    test/data/metrics_scores.csv        case,id,score,label
    test/data/metrics_reference.csv     case,threshold,n,accuracy,precision,recall,f1,auc,log_loss

The reference coefficients come from scikit-learn's newton-cholesky solver run
to a tight tolerance when newton-cg and a second oracle (plain Newton in long
double, started from scikit-learn's answer) agree with it to 1e-7 relative to
the largest coefficient.  Where scikit-learn stops early (the raw
ill-conditioned set: its objective is flat along a direction mixing the
intercept and a feature of mean 1e4), the oracle's coefficients are the
reference, and the script checks that their objective is lower and their
gradient at rounding level.  Otherwise it stops: a reference is never a
half-converged answer.  Options are the options of
assoc.train_logistic; they map to scikit-learn as:
    l2 = 1 / C (0: penalty=None), fit_intercept, class_weight,
    standardize (default true) = Pipeline(StandardScaler(), LogisticRegression(...)),
    whose coefficients are on the standardised scale, as assoc's "coefficient".
"""
import csv
import json
import os
import sys
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, f1_score, log_loss, precision_score,
                             recall_score, roc_auc_score)
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data')


def fmt(v):
    return '%.6g' % v


def datasets():
    """name -> (X, y); X rounded to 6 significant digits (what the CSV holds)."""
    out = {}
    rng = np.random.default_rng(20261129)

    # basic: 5 features of different scales and means
    n = 500
    X = rng.normal(size=(n, 5)) * [1, 10, 0.1, 3, 1] + [0, 5, -2, 100, 0]
    z = 0.5 + 1.2 * X[:, 0] - 0.08 * (X[:, 1] - 5) + 4 * (X[:, 2] + 2) + 0.0 * X[:, 3] - 0.7 * X[:, 4]
    y = rng.random(n) < 1 / (1 + np.exp(-z))
    out['basic'] = (X, y)

    # illcond: near-collinear pair, a feature with a huge mean and tiny spread,
    # and scales from 1e-3 to 1e3: X'X has a condition number near 1e17
    n = 400
    x1 = rng.normal(size=n)
    X = np.column_stack([x1, x1 + 1e-3 * rng.normal(size=n), 1e4 + 1e-2 * rng.normal(size=n),
                         1e3 * rng.normal(size=n), 1e-3 * rng.normal(size=n), rng.normal(size=n)])
    z = -0.3 + 1.5 * x1 + 0.002 * X[:, 3] + 0.8 * X[:, 5]
    y = rng.random(n) < 1 / (1 + np.exp(-z))
    out['illcond'] = (X, y)

    # separable: a margin of at least 0.2 around x1 + x2 = 0.5
    X = rng.normal(size=(600, 3))
    m = X[:, 0] + X[:, 1] - 0.5
    keep = np.abs(m) >= 0.2
    X, m = X[keep][:200], m[keep][:200]
    out['separable'] = (X, m > 0)

    # wide: more features (210) than rows (100), sparse-ish signal
    n, p = 100, 210
    X = rng.normal(size=(n, p))
    w = np.zeros(p)
    w[:10] = rng.normal(size=10) * 2
    y = rng.random(n) < 1 / (1 + np.exp(-(X @ w)))
    out['wide'] = (X, y)

    # breast_cancer: real data (UCI Breast Cancer Wisconsin (Diagnostic), see
    # test/data/README.md); label = malignant
    bc = load_breast_cancer()
    out['breast_cancer'] = (bc.data, bc.target == 0)

    return {k: (np.array([[float(fmt(v)) for v in row] for row in X]), np.asarray(y, bool))
            for k, (X, y) in out.items()}


CONFIGS = {
    'basic': ['{}', '{"l2": 0.5, "standardize": false}', '{"class_weight": "balanced"}',
              '{"class_weight": {"false": 0.5, "true": 3}}', '{"fit_intercept": false}',
              '{"solver": "lbfgs"}', '{"l2": 0}'],
    'illcond': ['{}', '{"standardize": false}', '{"l2": 0.001}'],
    'separable': ['{}', '{"l2": 0.01}'],
    'wide': ['{}', '{"solver": "newton"}', '{"l2": 10, "standardize": false}'],
    'breast_cancer': ['{}', '{"standardize": false}', '{"l2": 0.1}'],
}


def setup(X, y, options):
    """Design matrix (standardised if asked, intercept column first), weights, l2."""
    o = json.loads(options)
    Xs = StandardScaler().fit_transform(X) if o.get('standardize', True) else X
    cw = o.get('class_weight')
    if cw == 'balanced':
        sw = np.where(y, len(y) / (2.0 * y.sum()), len(y) / (2.0 * (~y).sum()))
    elif isinstance(cw, dict):
        sw = np.where(y, cw.get('true', 1.0), cw.get('false', 1.0))
    else:
        sw = np.ones(len(y))
    intercept = o.get('fit_intercept', True)
    A = np.column_stack([np.ones(len(y)), Xs]) if intercept else Xs
    return o, Xs, A, sw, intercept, o.get('l2', 1.0)


def objective(A, y, sw, intercept, l2, theta):
    """F of logistic.h (mean weighted log loss + l2/2 |w|^2 / sum(sw)) and its
    gradient, accumulated in long double."""
    A, y, sw, theta = (np.asarray(v, dtype=np.longdouble) for v in (A, y, sw, theta))
    z = A @ theta
    w = theta[1:] if intercept else theta
    f = (np.sum(sw * (np.logaddexp(0, z) - y * z)) + l2 / 2 * np.sum(w * w)) / np.sum(sw)
    g = A.T @ (sw * (1 / (1 + np.exp(-z)) - y))
    g[1 if intercept else 0:] += l2 * w
    return f, g / np.sum(sw)


def sk_fit(X, y, options, solver):
    o, Xs, A, sw, intercept, l2 = setup(X, y, options)
    cw = o.get('class_weight')
    if isinstance(cw, dict):
        cw = {True: cw.get('true', 1.0), False: cw.get('false', 1.0)}
    kw = dict(fit_intercept=intercept, class_weight=cw, solver=solver, tol=1e-14, max_iter=100000)
    lr = LogisticRegression(penalty=None, **kw) if l2 == 0 else LogisticRegression(C=1.0 / l2, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        lr.fit(Xs, y)
    return np.concatenate([lr.intercept_ if intercept else [], lr.coef_[0]])


def newton_longdouble(X, y, options, start):
    """A second oracle for where scikit-learn stops early: plain Newton steps
    (no line search) with the loss, gradient and Hessian accumulated in long
    double, from scikit-learn's answer, until the step stops shrinking."""
    o, Xs, A, sw, intercept, l2 = setup(X, y, options)
    Al = A.astype(np.longdouble)
    yl = y.astype(np.longdouble)
    swl = sw.astype(np.longdouble)
    theta = start.astype(np.longdouble)
    first = 1 if intercept else 0
    for _ in range(100):
        z = Al @ theta
        p = 1 / (1 + np.exp(-z))
        g = Al.T @ (swl * (p - yl))
        g[first:] += l2 * theta[first:]
        H = (Al * (swl * p * (1 - p))[:, None]).T @ Al
        H[first:, first:] += l2 * np.eye(len(theta) - first, dtype=np.longdouble)
        step = np.linalg.solve(H.astype(np.float64), g.astype(np.float64))
        theta = theta - step.astype(np.longdouble)
        if np.max(np.abs(step)) <= 1e-15 * (1 + np.max(np.abs(theta.astype(np.float64)))):
            break
    return theta.astype(np.float64)


def reference(X, y, options):
    """scikit-learn's coefficients when its solvers agree with each other and
    with the long-double Newton oracle; the oracle's where scikit-learn stops
    early (its objective is then lower, which the script checks)."""
    sk1 = sk_fit(X, y, options, 'newton-cholesky')
    sk2 = sk_fit(X, y, options, 'newton-cg')
    ld = newton_longdouble(X, y, options, sk2)
    scale = np.max(np.abs(ld))
    gap_sk, gap_ld = np.max(np.abs(sk1 - sk2)) / scale, np.max(np.abs(sk1 - ld)) / scale
    _, _, A, sw, intercept, l2 = setup(X, y, options)
    f = {k: objective(A, y, sw, intercept, l2, t) for k, t in
         (('newton-cholesky', sk1), ('newton-cg', sk2), ('longdouble', ld))}
    line = '%-14s %-46s sklearn solvers differ by %.1e, from the oracle by %.1e' % (
        name_of[id(X)], options, gap_sk, gap_ld)
    if gap_sk <= 1e-7 and gap_ld <= 1e-7:
        print(line + ': sklearn')
        return sk1, 'sklearn'
    # the gradient of a float64 answer cannot be below rounding times the column scale
    gnorm = np.max(np.abs(f['longdouble'][1]) / np.max(np.abs(A), axis=0))
    if gnorm <= 1e-13 and f['longdouble'][0] <= min(f['newton-cholesky'][0], f['newton-cg'][0]):
        print(line + ': oracle (scaled gradient %.1e; objective below sklearn\'s by %.1e)' % (
            gnorm, min(f['newton-cholesky'][0], f['newton-cg'][0]) - f['longdouble'][0]))
        return ld, 'newton-longdouble'
    sys.exit(line + ': no trustworthy reference (%r)' % ({k: (v[0], np.max(np.abs(v[1]))) for k, v in f.items()},))


name_of = {}


def main():
    ds = datasets()
    with open(os.path.join(DATA, 'logistic_datasets.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['dataset', 'id', 'label', 'features'])
        for name, (X, y) in ds.items():
            for i in range(len(y)):
                w.writerow([name, i + 1, 't' if y[i] else 'f',
                            '{' + ','.join(fmt(v) for v in X[i]) + '}'])

    ref = open(os.path.join(DATA, 'logistic_reference.csv'), 'w', newline='')
    rw = csv.writer(ref, lineterminator='\n')
    rw.writerow(['dataset', 'options', 'source', 'feature', 'coefficient'])
    prob = open(os.path.join(DATA, 'logistic_proba.csv'), 'w', newline='')
    pw = csv.writer(prob, lineterminator='\n')
    pw.writerow(['dataset', 'options', 'id', 'probability'])
    for name, configs in CONFIGS.items():
        X, y = ds[name]
        name_of[id(X)] = name
        for options in configs:
            coef, source = reference(X, y, options)
            o, Xs, A = setup(X, y, options)[:3]
            proba = 1 / (1 + np.exp(-(A @ coef)))
            first = 0 if o.get('fit_intercept', True) else 1
            for k, c in enumerate(coef):
                rw.writerow([name, options, source, k + first, repr(float(c))])
            for i in range(10):
                pw.writerow([name, options, i + 1, repr(float(proba[i]))])
    ref.close()
    prob.close()

    # classification metrics: scores with ties, probabilities and margins
    rng = np.random.default_rng(7)
    cases = {}
    y = rng.random(300) < 0.4
    s = np.clip(np.round(0.3 * y + 0.7 * rng.random(300), 1), 0, 1)   # ties: one decimal
    cases['ties'] = (s, y, [0.5, 0.3])
    y = rng.random(1000) < 0.1
    s = 1 / (1 + np.exp(-(2.0 * y - 1.0 + rng.normal(size=1000))))
    cases['imbalanced'] = (s, y, [0.5, 0.2])
    y = np.array([True, False, True, True, False, False, True, False])
    s = np.array([0.9, 0.1, 0.8, 0.4, 0.4, 0.6, 0.4, 0.0])
    cases['small'] = (s, y, [0.5])
    with open(os.path.join(DATA, 'metrics_scores.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['case', 'id', 'score', 'label'])
        for name, (s, y, _) in cases.items():
            for i in range(len(y)):
                w.writerow([name, i + 1, repr(float(s[i])), 't' if y[i] else 'f'])
    with open(os.path.join(DATA, 'metrics_reference.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['case', 'threshold', 'n', 'accuracy', 'precision', 'recall', 'f1', 'auc',
                    'log_loss'])
        for name, (s, y, thresholds) in cases.items():
            for t in thresholds:
                pred = s >= t
                w.writerow([name, t, len(y)] + [repr(float(v)) for v in (
                    accuracy_score(y, pred), precision_score(y, pred), recall_score(y, pred),
                    f1_score(y, pred), roc_auc_score(y, s), log_loss(y, s, eps=1e-15))])


if __name__ == '__main__':
    main()
