#!/usr/bin/python3
"""Independent checks of assoc's convnet, run by test/convnet_learning.sh (Debian's python3).

1. Learning: on the motif task of sql/data/convnet_pattern.sql, logistic regression on the
   flattened sequences stays near chance on the held-out rows, both scikit-learn's and
   assoc.train_logistic's (trained in the database), while the network trained in the
   database (its scores computed by assoc.predict) reaches AUC > 0.95.  AUCs are
   scikit-learn's roc_auc_score.  assoc.train_logistic's defaults (l2 = 1, standardize) are
   the objective of StandardScaler + LogisticRegression(C=1), so the two logistic models
   must also give the same probabilities (to 1e-9; scikit-learn with its Newton solver,
   as its default lbfgs stops about 1e-5 short of the optimum here).
2. Forward pass: the model bytes are decoded here from the documented format (envelope and
   convnet body, docs/convnet.md) and the network is evaluated with numpy; the probabilities
   must equal assoc.predict's to 1e-12.

Usage: convnet_oracle.py DIR   (DIR holds train.csv, test.csv, model.hex from the shell script)
"""
import struct
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def read_rows(path):
    """Rows 'i,label,convnet score,logistic score,x1 x2 ...' -> (labels, scores, scores, X)."""
    labels, cnn, logit, xs = [], [], [], []
    with open(path) as f:
        for line in f:
            i, label, c, lg, x = line.rstrip("\n").split(",")
            labels.append(label == "t")
            cnn.append(float(c) if c else np.nan)
            logit.append(float(lg) if lg else np.nan)
            xs.append([float(v) for v in x.split()])
    return np.array(labels), np.array(cnn), np.array(logit), np.array(xs)


class Reader:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.b, self.p)
        self.p += struct.calcsize(">" + fmt)
        return v if len(v) > 1 else v[0]

    def bytes(self):
        n = self.take("I")
        s = self.b[self.p:self.p + n]
        self.p += n
        return s


def decode(model):
    r = Reader(model)
    magic, version, kind, flags, dim1, dim2, payload, crc = r.take("IHHIIIQI")
    assert magic == 0x4153434D and version == 1 and kind == 4 and flags == 0
    assert payload == len(model) - 32
    r.take("qQd")              # created_at, training rows, loss
    r.bytes()                  # hyper-parameters
    r.bytes()                  # info
    assert r.take("B") == 1    # body version
    steps, features = r.take("II")
    assert (steps, features) == (dim1, dim2)
    mean = scale = None
    if r.take("B") == 1:
        mean = np.array(r.take("%dd" % features))
        scale = np.array(r.take("%dd" % features))
    layers = [r.take("BBIId") for _ in range(r.take("I"))]
    nparams = r.take("Q")
    params = np.array(struct.unpack_from(">%dd" % nparams, model, r.p))
    assert r.p + 8 * nparams == len(model)
    return steps, features, mean, scale, layers, params


def act(z, a):
    return {0: z, 1: np.maximum(z, 0), 2: 1 / (1 + np.exp(-z))}[a]


def forward(model, X):
    """Probabilities for X (n x steps*features), written from the format alone."""
    steps, features, mean, scale, layers, params = decode(model)
    a = X.reshape(len(X), steps, features)
    if mean is not None:
        a = (a - mean) * scale
    off = 0
    for li, (typ, ac, size, kernel, rate) in enumerate(layers):
        last = li == len(layers) - 1
        n, L, C = a.shape
        if typ == 1:                                   # conv1d: (kernel*C) x filters, then bias
            W = params[off:off + kernel * C * size].reshape(kernel * C, size)
            off += kernel * C * size
            b = params[off:off + size]
            off += size
            win = np.stack([a[:, t:t + kernel, :].reshape(n, kernel * C) for t in range(L - kernel + 1)], 1)
            a = act(win @ W + b, ac)
        elif typ == 2:                                 # maxpool1d, floor
            Lo = L // size
            a = a[:, :Lo * size, :].reshape(n, Lo, size, C).max(axis=2)
        elif typ == 3:                                 # flatten
            a = a.reshape(n, 1, L * C)
        elif typ == 4:                                 # dense: inputs x units, then bias
            W = params[off:off + C * size].reshape(C, size)
            off += C * size
            b = params[off:off + size]
            off += size
            a = act(a @ W + b, 2 if last else ac)
        elif typ == 5:                                 # dropout: identity when scoring
            pass
    assert off == len(params)
    return a.reshape(len(X))


def main(d):
    ytr, _, _, Xtr = read_rows(d + "/train.csv")
    yte, cnn, logit, Xte = read_rows(d + "/test.csv")
    model = bytes.fromhex(open(d + "/model.hex").read().strip()[2:])

    scaler = StandardScaler().fit(Xtr)
    lr = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(scaler.transform(Xtr), ytr)
    p_lr = lr.predict_proba(scaler.transform(Xte))[:, 1]
    auc_lr = roc_auc_score(yte, p_lr)
    auc_logit = roc_auc_score(yte, logit)
    auc_cnn = roc_auc_score(yte, cnn)
    dlr = np.max(np.abs(p_lr - logit))
    oracle = forward(model, Xte)
    diff = np.max(np.abs(oracle - cnn))

    print("held-out rows %d (%d positive), training rows %d" % (len(yte), yte.sum(), len(ytr)))
    print("AUC convnet (assoc, in the database)                 %.4f" % auc_cnn)
    print("AUC logistic regression (assoc.train_logistic)       %.4f" % auc_logit)
    print("AUC logistic regression (scikit-learn)               %.4f" % auc_lr)
    print("max |scikit-learn - assoc logistic probability| %.3g" % dlr)
    print("max |numpy forward pass - predict| %.3g" % diff)
    ok = (auc_cnn > 0.95 and 0.4 <= auc_lr <= 0.6 and 0.4 <= auc_logit <= 0.6
          and dlr < 1e-9 and diff < 1e-12)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
