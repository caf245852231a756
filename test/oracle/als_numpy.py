#!/usr/bin/python3
"""
A second implementation of implicit ALS (Hu, Koren & Volinsky 2008) in numpy,
run from assoc's own initial factors, compared with assoc.train_als.

Reads from stdin the lines written by als_numpy.sh:
    R <user index> <item index> <strength>
    X0|Y0|X|Y <row index> <f values...>      (initial / trained factors)
    P <lambda> <alpha> <iterations> <solver> <cg_steps>
    L <loss 0> <loss 1> ...                   (assoc's loss history)
Each iteration solves every item row, then every user row, densely:
    (Y'C_uY + lambda I) x_u = Y'C_u p_u
exactly with numpy.linalg.solve, or with cg_steps conjugate-gradient steps
from the previous value (the algorithm of the implicit library).
"""
import sys
import numpy as np

R, F, P, L = [], {}, None, None
for line in sys.stdin:
    t = line.split()
    if not t:
        continue
    if t[0] == 'R':
        R.append((int(t[1]), int(t[2]), float(t[3])))
    elif t[0] in ('X0', 'Y0', 'X', 'Y'):
        F.setdefault(t[0], {})[int(t[1])] = [float(v) for v in t[2:]]
    elif t[0] == 'P':
        P = (float(t[1]), float(t[2]), int(t[3]), t[4], int(t[5]))
    elif t[0] == 'L':
        L = [float(v) for v in t[1:]]


def mat(name):
    d = F[name]
    return np.array([d[i] for i in range(len(d))])


lam, alpha, iters, solver, steps = P
X, Y = mat('X0'), mat('Y0')
nu, ni = X.shape[0], Y.shape[0]
Rm = np.zeros((nu, ni))
for u, i, r in R:
    Rm[u, i] = r
C = 1 + alpha * Rm
Pm = (Rm > 0).astype(float)
f = X.shape[1]


def solve(fixed, Cm, Pmat, current):
    out = np.empty((Cm.shape[0], f))
    for u in range(Cm.shape[0]):
        A = fixed.T @ (Cm[u][:, None] * fixed) + lam * np.eye(f)
        b = fixed.T @ (Cm[u] * Pmat[u])
        if solver == 'cholesky':
            out[u] = np.linalg.solve(A, b)
        else:
            x = current[u].copy()
            r = b - A @ x
            p = r.copy()
            rs = r @ r
            for _ in range(steps):
                if rs <= 1e-20:
                    break
                Ap = A @ p
                pap = p @ Ap
                if not pap > 0:
                    break
                a = rs / pap
                x += a * p
                r -= a * Ap
                rsn = r @ r
                p = r + (rsn / rs) * p
                rs = rsn
            out[u] = x
    return out


def loss(X, Y):
    S = X @ Y.T
    return float((C * (Pm - S) ** 2).sum() + lam * ((X ** 2).sum() + (Y ** 2).sum()))


losses = [loss(X, Y)]
for _ in range(iters):
    Y = solve(X, C.T, Pm.T, Y)
    X = solve(Y, C, Pm, X)
    losses.append(loss(X, Y))

ax, ay = mat('X'), mat('Y')
dx = np.abs(ax - X).max() / np.abs(X).max()
dy = np.abs(ay - Y).max() / np.abs(Y).max()
dl = max(abs(a - b) / abs(b) for a, b in zip(L, losses))
ok = dx < 1e-8 and dy < 1e-8 and dl < 1e-10
print(f"solver {solver}: {nu} users x {ni} items, f={f}, {iters} iterations: "
      f"max relative difference X {dx:.2e}, Y {dy:.2e}, loss {dl:.2e} -> {'ok' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
