#!/usr/bin/python3
"""Expected outputs computed by scikit-learn and numpy, for sql/features_sklearn.sql.

Writes test/data/sklearn/*.csv: deterministic inputs and what scikit-learn makes of
them (StandardScaler, MinMaxScaler, clipping at numpy percentiles, FeatureHasher,
murmurhash3_32).  The regression test loads these files and compares assoc's
results; rerun this script (Debian's python3-sklearn, /usr/bin/python3) to check
that the committed files are what scikit-learn computes:

    /usr/bin/python3 test/oracle/sklearn_oracle.py && git diff --stat test/data/sklearn
"""
import csv
import os

import numpy as np
import sklearn
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import murmurhash3_32

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'sklearn')


def pg_array(values):
    """A float8[] literal with NULL for NaN, values printed exactly (repr)."""
    return '{' + ','.join('NULL' if np.isnan(v) else repr(float(v)) for v in values) + '}'


def pg_text_array(values):
    return '{' + ','.join('"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"' for v in values) + '}'


def write(name, header, rows):
    with open(os.path.join(OUT, name), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def scalers():
    rng = np.random.RandomState(7)
    n = 200
    x = np.column_stack([
        rng.normal(50, 10, n),           # plain
        rng.uniform(-1, 1, n),           # with missing values
        rng.lognormal(0, 1.5, n),        # heavy tail: clipping matters
        np.full(n, 3.0),                 # constant: scale 1
        rng.randint(0, 5, n).astype(float),  # ties
    ])
    x[rng.rand(n) < 0.1, 1] = np.nan
    write('scaler_input.csv', ['id', 'v'], [[i, pg_array(x[i])] for i in range(n)])

    rows = []
    # scikit-learn leaves NaN in place; assoc fills a missing value with the column
    # mean, which the test checks separately, so NaN stays NaN here
    for method, scaler in (('standard', StandardScaler()), ('minmax', MinMaxScaler())):
        y = scaler.fit_transform(x)
        rows += [[method, '', '', i, pg_array(y[i])] for i in range(n)]
    # clip each column at its 5% and 95% percentiles (numpy's linear method, as
    # PostgreSQL's percentile_cont), then standardise
    lo = np.nanpercentile(x, 5, axis=0)
    hi = np.nanpercentile(x, 95, axis=0)
    xc = np.clip(x, lo, hi)
    y = StandardScaler().fit_transform(xc)
    rows += [['standard', 0.05, 0.95, i, pg_array(y[i])] for i in range(n)]
    write('scaler_expected.csv', ['method', 'clip_lower', 'clip_upper', 'id', 'expected'], rows)


def hashing():
    rng = np.random.RandomState(11)
    vocab = ['85123A', '71053', '84406B', '22423', 'POST', 'country=United Kingdom',
             'country=France', 'country=EIRE', 'caf\u00e9', '\u0395\u03bb\u03bb\u03ac\u03b4\u03b1',
             'a', 'b', 'c', 'abcd', 'abcde', '', 'x' * 37]
    rows_in = []
    docs = []
    pairs = []
    for i in range(120):
        k = rng.randint(0, 9)
        toks = [vocab[j] for j in rng.randint(0, len(vocab), k)]
        ws = [float(w) for w in np.round(rng.uniform(-3, 3, k), 3)]
        docs.append(toks)
        pairs.append(list(zip(toks, ws)))
        rows_in.append([i, pg_text_array(toks), pg_array(ws)])
    write('hashing_input.csv', ['id', 'keys', 'weights'], rows_in)

    rows = []
    for width in (16, 1000):
        for alt in (True, False):
            for weighted in (False, True):
                h = FeatureHasher(n_features=width, input_type='pair' if weighted else 'string',
                                  alternate_sign=alt)
                y = h.transform(pairs if weighted else docs).toarray()
                for i in range(len(docs)):
                    nz = np.nonzero(y[i])[0]
                    # the non-zero columns, 1-based as in SQL arrays, and their values
                    rows.append([width, 't' if alt else 'f', 't' if weighted else 'f', i,
                                 '{' + ','.join(str(j + 1) for j in nz) + '}', pg_array(y[i][nz])])
    write('hashing_expected.csv', ['width', 'alternate_sign', 'weighted', 'id', 'columns', 'expected'], rows)


def split():
    rows = []
    for seed in (0, 7, -5):
        for i in range(500):
            key = 'k%d' % i if i % 2 else str(i * 7919)
            # assoc takes an int seed and uses its 32 bits: -5 is 2^32 - 5
            u = murmurhash3_32(key, seed=seed & 0xFFFFFFFF, positive=True) / 2.0 ** 32
            rows.append([seed, key, repr(u)])
    write('split_expected.csv', ['seed', 'key', 'u'], rows)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    scalers()
    hashing()
    split()
    print('scikit-learn', sklearn.__version__, 'numpy', np.__version__, '->', os.path.normpath(OUT))
