"""Independent reference for zipscale's monogenic/polygenic token classes
(tests/test_quanta_tokens.c), in numpy, from the rules as docs/quanta.md states them:

  monogenic at j (1 <= j < models): loss > high at every model before j, < low at j and after;
  polygenic (not monogenic, >= 3 models): least-squares slope of loss on ln N < max_slope and
    R^2 > min_r2 (R^2 undefined, not polygenic, for a constant loss);
  other otherwise.

  make DIR   writes a family of per-token loss dumps (float32 .npy + .npy.json sidecars, files
             in shuffled size order), the token file data.npy and rule labels labels.npy, and
             ref.txt: per token, its class, drop model, slope and R^2.
  check DIR CLASSES.npy   compares zipscale's class file with the reference; prints "ok".
"""
import json
import sys

import numpy as np

HIGH, LOW, SLOPE, R2 = 2.0, 0.3, -0.3, 0.98
SIZES = [2000, 9000, 40000, 200000]
WINDOWS, T, FIRST = 20, 16, 3


def make_losses(rng):
    n = WINDOWS * T
    m = len(SIZES)
    lnn = np.log(np.array(SIZES, dtype=np.float64))
    out = np.empty((m, n), dtype=np.float32)
    for t in range(n):
        kind = rng.integers(0, 4)
        if kind == 0:  # monogenic-like, sometimes spoilt
            j = rng.integers(1, m)
            v = np.concatenate([rng.uniform(1.8, 6, j), rng.uniform(0, 0.35, m - j)])
        elif kind == 1:  # polygenic-like with noise
            a, b = rng.uniform(3, 6), rng.uniform(0.1, 0.8)
            v = np.maximum(a - b * (lnn - lnn[0]) + rng.normal(0, 0.05, m), 0)
        elif kind == 2:
            v = rng.uniform(0, 6, m)
        else:
            v = np.full(m, rng.uniform(0, 3))
        out[:, t] = v
    return out


def classify(losses):
    m, n = losses.shape
    x = np.log(np.array(SIZES, dtype=np.float64))
    rows = []
    for t in range(n):
        y = losses[:, t].astype(np.float64)
        j = 0
        while j < m and y[j] > HIGH:
            j += 1
        mono = 0 < j < m and all(y[j:] < LOW)
        xm, ym = x.mean(), y.mean()
        sxx, sxy, syy = ((x - xm) ** 2).sum(), ((x - xm) * (y - ym)).sum(), ((y - ym) ** 2).sum()
        slope = sxy / sxx
        r2 = sxy * sxy / (sxx * syy) if syy > 0 else float("nan")
        if not np.isnan(r2):  # an independent check of the closed forms
            lr = np.polyfit(x, y, 1)
            assert abs(lr[0] - slope) <= 1e-9 * max(1, abs(slope))
            assert abs(np.corrcoef(x, y)[0, 1] ** 2 - r2) <= 1e-9
        cls = 1 if mono else (2 if m >= 3 and slope < SLOPE and r2 > R2 else 0)
        rows.append((cls, j if mono else 0, slope, r2))
    return rows


def make(d):
    rng = np.random.default_rng(20261203)
    losses = make_losses(rng)
    order = [2, 0, 3, 1]
    for j in order:
        path = f"{d}/tl_{j}.npy"
        np.save(path, losses[j].reshape(WINDOWS, T))
        json.dump({"data": f"{d}/data.npy", "first_window": FIRST, "shape": [WINDOWS, T],
                   "n_params": SIZES[j], "n_params_nonembed": SIZES[j] // 2, "step": 10,
                   "mean_loss_nats": float(losses[j].astype(np.float64).mean()),
                   "units": "nats"}, open(path + ".json", "w"))
    n_tok = (FIRST + WINDOWS) * T + 1
    np.save(f"{d}/data.npy", (np.arange(n_tok) * 7 % 50).astype(np.uint16))
    lab = (np.arange(n_tok) % 13).astype(np.int32)
    lab[::17] = -1
    np.save(f"{d}/labels.npy", lab)
    with open(f"{d}/ref.txt", "w") as f:
        for cls, j, slope, r2 in classify(losses):
            f.write(f"{cls} {j} {slope!r} {r2!r}\n")
    counts = np.bincount([r[0] for r in classify(losses)], minlength=3)
    print(" ".join(str(c) for c in counts))


def check(d, classes_path):
    losses = np.stack([np.load(f"{d}/tl_{j}.npy").reshape(-1) for j in range(len(SIZES))])
    want = np.array([r[0] for r in classify(losses)], dtype=np.int32).reshape(WINDOWS, T)
    got = np.load(classes_path)
    assert got.dtype == np.int32 and got.shape == want.shape, (got.dtype, got.shape)
    bad = np.argwhere(got != want)
    if len(bad):
        print(f"{len(bad)} tokens differ, first {bad[0].tolist()}: {got[tuple(bad[0])]} vs "
              f"{want[tuple(bad[0])]}")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
