#!/usr/bin/python3
"""Independent checks of assoc's convnet, run by test/convnet_learning.sh (Debian's python3).

1. Learning: on the motif task of sql/data/convnet_pattern.sql, scikit-learn's
   LogisticRegression on the flattened sequences stays near chance on the held-out rows,
   while the network trained in the database (its scores computed by assoc.predict)
   reaches AUC > 0.95.  AUCs are scikit-learn's roc_auc_score.
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


def read_rows(path):
    """Rows 'i,label,score,x1 x2 ...' -> (labels, scores, X)."""
    labels, scores, xs = [], [], []
    with open(path) as f:
        for line in f:
            i, label, score, x = line.rstrip("\n").split(",")
            labels.append(label == "t")
            scores.append(float(score) if score else np.nan)
            xs.append([float(v) for v in x.split()])
    return np.array(labels), np.array(scores), np.array(xs)


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
    ytr, _, Xtr = read_rows(d + "/train.csv")
    yte, cnn, Xte = read_rows(d + "/test.csv")
    model = bytes.fromhex(open(d + "/model.hex").read().strip()[2:])

    lr = LogisticRegression(max_iter=5000).fit(Xtr, ytr)
    auc_lr = roc_auc_score(yte, lr.predict_proba(Xte)[:, 1])
    auc_cnn = roc_auc_score(yte, cnn)
    oracle = forward(model, Xte)
    diff = np.max(np.abs(oracle - cnn))

    print("held-out rows %d (%d positive), training rows %d" % (len(yte), yte.sum(), len(ytr)))
    print("AUC convnet (assoc, in the database)      %.4f" % auc_cnn)
    print("AUC logistic regression (scikit-learn)     %.4f" % auc_lr)
    print("max |numpy forward pass - predict| %.3g" % diff)
    ok = auc_cnn > 0.95 and 0.4 <= auc_lr <= 0.6 and diff < 1e-12
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
