#!/usr/bin/env python3
"""Independent reference for zipscale's Chinchilla fit, bounded (tests/test_fit_bound.c) or
not (E_MAX inf: tests/test_fit.c).

Written from docs/fitting.md, not from zipscale's code: minimises

    sum_i w_i * huber(delta, logsumexp(a - alpha log N_i, b - beta log D_i, e) - log L_i)

(scipy.special.huber) over p = (a, b, e, alpha, beta) subject to e <= log(e_max) (no bound
when E_MAX is inf), with scipy.optimize.minimize(method="L-BFGS-B", bounds on e only) and
the analytic gradient, from every start of a grid "alpha=LO:HI:STEP,beta=...,e=...,a=...,b=..."
taken in itertools.product(alpha, beta, e, a, b) order (a start whose e is above the bound is
clamped to it, as L-BFGS-B would project it). Keeps the lowest objective (first on ties).

usage: bounded_scipy_ref.py RUNS.csv E_MAX DELTA GRID
RUNS.csv has a header with N, D and loss (other columns ignored).
prints: obj=... a=... b=... e=... alpha=... beta=... E=... start=... active=0|1 grad_e=...
(reals with 17 significant digits).
"""
import csv
import itertools
import math
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber


def read_runs(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    n = np.array([float(r["N"]) for r in rows])
    d = np.array([float(r["D"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    return np.log(n), np.log(d), np.log(loss)


def axis(spec):
    lo, hi, step = (float(x) for x in spec.split(":"))
    count = int(math.floor((hi - lo) / step + 1e-9)) + 1
    return [lo + k * step for k in range(count)]


def parse_grid(text):
    axes = dict(item.split("=", 1) for item in text.split(","))
    return [axis(axes[name]) for name in ("alpha", "beta", "e", "a", "b")]


def make_objective(log_n, log_d, log_l, delta):
    def f(p):
        a, b, e, alpha, beta = p
        t = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
        m = t.max(axis=0)
        u = np.exp(t - m)
        s = u.sum(axis=0)
        r = m + np.log(s) - log_l
        soft = u / s
        value = huber(delta, r).sum()
        slope = np.clip(r, -delta, delta)  # d huber / d r
        g = np.array([
            (slope * soft[0]).sum(),
            (slope * soft[1]).sum(),
            (slope * soft[2]).sum(),
            -(slope * soft[0] * log_n).sum(),
            -(slope * soft[1] * log_d).sum(),
        ])
        return value, g

    return f


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    log_n, log_d, log_l = read_runs(sys.argv[1])
    e_max, delta = float(sys.argv[2]), float(sys.argv[3])
    grid = parse_grid(sys.argv[4])
    c = math.log(e_max)
    f = make_objective(log_n, log_d, log_l, delta)
    bounds = [(None, None), (None, None), (None, c), (None, None), (None, None)]
    best = None
    for i, (alpha, beta, e, a, b) in enumerate(itertools.product(*grid)):
        x0 = np.array([a, b, min(e, c), alpha, beta])
        res = minimize(f, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 20000, "maxfun": 100000, "ftol": 1e-15,
                                "gtol": 1e-12, "maxcor": 10, "maxls": 50})
        if not np.isfinite(res.fun):
            continue
        if best is None or res.fun < best[0]:
            best = (float(res.fun), res.x.copy(), i)
    if best is None:
        sys.exit("no start reached a finite objective")
    obj, p, start = best
    _, g = f(p)
    print("obj=%.17g a=%.17g b=%.17g e=%.17g alpha=%.17g beta=%.17g E=%.17g start=%d "
          "active=%d grad_e=%.17g" % (obj, p[0], p[1], p[2], p[3], p[4], math.exp(p[2]), start,
                                      int(p[2] >= c), g[2]))


if __name__ == "__main__":
    main()
