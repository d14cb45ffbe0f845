"""Anchor for bench/ridge.ts: the paper's ridge path with scikit-learn RidgeCV (float64, numpy + system BLAS).

Usage: /usr/bin/python3 bench/anchor_sklearn.py DIR
DIR holds Y.npy (n x v float32), assignment.npy (int32) and either X.npy (dense float32) or
X_indptr.npy / X_indices.npy / X_values.npy / X_shape.npy (CSR latents; densified here, as the paper does).
Prints one JSON object: seconds per stage, and per fold the chosen alpha, the mean cosine score and the
per-target cosine scores (kept targets, in order).
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import RidgeCV

ALPHAS = [10.0 ** e for e in range(-8, 9)]


def main(d):
    t0 = time.perf_counter()
    Y = np.load(f'{d}/Y.npy').astype(np.float64)
    assign = np.load(f'{d}/assignment.npy')
    try:
        X = np.load(f'{d}/X.npy').astype(np.float64)
    except FileNotFoundError:
        indptr = np.load(f'{d}/X_indptr.npy')
        indices = np.load(f'{d}/X_indices.npy')
        values = np.load(f'{d}/X_values.npy')
        n, p = np.load(f'{d}/X_shape.npy')
        X = np.zeros((n, p), np.float64)
        rows = np.repeat(np.arange(n), np.diff(indptr))
        X[rows, indices] = values
    k = int(assign.max()) + 1
    t_load = time.perf_counter() - t0

    t = time.perf_counter()
    def live(A):
        keep = np.ones(A.shape[1], bool)
        for f in range(k):
            keep &= np.any(A[assign == f] != 0, axis=0)
        return keep
    X = X[:, live(X)]
    Y = Y[:, live(Y)]
    def ln(A):
        return (A - A.mean(1, keepdims=True)) / (A.std(1, ddof=1, keepdims=True) + 1e-5)
    X = ln(X)
    Y = ln(Y)
    t_pre = time.perf_counter() - t

    folds = []
    t_fit = 0.0
    t_pred = 0.0
    for f in range(k):
        tr = assign != f
        te = assign == f
        t = time.perf_counter()
        model = RidgeCV(alphas=ALPHAS, fit_intercept=False).fit(X[tr], Y[tr])
        t_fit += time.perf_counter() - t
        t = time.perf_counter()
        P = model.predict(X[te])
        T = Y[te]
        num = (P * T).sum(0)
        den = np.linalg.norm(P, axis=0) * np.linalg.norm(T, axis=0)
        scores = num / den
        t_pred += time.perf_counter() - t
        folds.append({'alpha': float(model.alpha_), 'meanScore': float(np.nanmean(scores)),
                      'scores': scores.astype(np.float32).tolist()})
    out = {
        'seconds': {'load': t_load, 'preprocess': t_pre, 'fit': t_fit, 'predict': t_pred,
                    'total': time.perf_counter() - t0},
        'keptX': int(X.shape[1]), 'keptY': int(Y.shape[1]), 'folds': folds,
    }
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
