"""Independent reference for tests/test_quanta_experiment.c: recomputes, from the runs'
own files (metrics.json, log.jsonl) of the quanta experiments in DIR, every number of
zs_sweep_quanta_analyse's result with numpy and scipy, and prints, per axis:

    AXIS n_points n_learned fit_first fit_count
    x loss            (one line per point)
    learning_x ...    (one per subtask; nan = never learned)
    rho alpha

Rules (docs/quanta.md "Analysis"): params points are each run's final evaluation at
x = its parameter count; data points each run's evaluation of least test loss (the
first of equals) at x = its training-set size; steps points every evaluation of the one
run; runs of several seeds at one scale are averaged. A subtask is learned at the first point from which its loss stays below 0.1 bits.
rho is Spearman's between frequency rank and learning point over the learned subtasks;
alpha the slope of log L on log x (negated) over the points from the first with a
subtask learned to the last with one not learned, when there are at least 3.
"""
import glob
import json
import math
import os
import sys

import numpy as np
from scipy import stats

THRESHOLD = 0.1 * math.log(2)


def evaluations(run):
    rows = []
    with open(os.path.join(run, "log.jsonl")) as f:
        for line in f:
            obj = json.loads(line)
            if "subtask_loss" in obj:
                rows.append((obj["step"], obj["val_loss"], obj["subtask_loss"]))
    return rows


def points(axis_dir, axis):
    pts = []
    for run in sorted(glob.glob(os.path.join(axis_dir, "runs", "*"))):
        metrics = json.load(open(os.path.join(run, "metrics.json")))
        evals = evaluations(run)
        if axis == "steps":
            return [(float(s), v, sub) for s, v, sub in evals]
        if axis == "params":
            step, val, sub = evals[-1]
            if val != metrics["final_val_loss"]:
                raise SystemExit(f"{run}: last evaluation {val} != final_val_loss")
            if sub != [t["loss"] for t in metrics["subtasks"]]:
                raise SystemExit(f"{run}: last evaluation's subtasks != metrics.json's")
            pts.append((float(metrics["n_params"]), val, sub))
        else:
            best = min(range(len(evals)), key=lambda i: (evals[i][1], i))
            step, val, sub = evals[best]
            if val != metrics["min_val_loss"] or step != metrics["min_val_step"]:
                raise SystemExit(f"{run}: least evaluation != min_val_loss/min_val_step")
            pts.append((float(metrics["options"]["train_size"]), val, sub))
    by_x = {}
    for x, val, sub in pts:  # runs of several seeds at one scale: their mean
        by_x.setdefault(x, []).append((val, sub))
    return [(x, float(np.mean([v for v, _ in runs])), list(np.mean([s for _, s in runs], axis=0)))
            for x, runs in sorted(by_x.items())]


def main(directory):
    for axis in ("params", "data", "steps"):
        axis_dir = os.path.join(directory, axis)
        if not os.path.exists(os.path.join(axis_dir, "sweep.db")):
            continue
        pts = points(axis_dir, axis)
        x = np.array([p[0] for p in pts])
        loss = np.array([p[1] for p in pts])
        sub = np.array([p[2] for p in pts]).T  # subtask x point
        n_sub, n_pts = sub.shape
        learned_at = []
        for s in range(n_sub):
            at = None
            for i in range(n_pts):
                if all(sub[s, j] < THRESHOLD for j in range(i, n_pts)):
                    at = i
                    break
            learned_at.append(at)
        learned = [s for s in range(n_sub) if learned_at[s] is not None]
        by = [sum(1 for s in learned if learned_at[s] <= i) for i in range(n_pts)]
        first = next((i for i in range(n_pts) if by[i] >= 1), None)
        last = max((i for i in range(n_pts) if by[i] < n_sub), default=-1)
        count = last - first + 1 if first is not None and last >= first else 0
        alpha = float("nan")
        if count >= 3:
            sl = slice(first, first + count)
            alpha = -np.polyfit(np.log(x[sl]), np.log(loss[sl]), 1)[0]
        rho = float("nan")
        if len(learned) >= 3:
            a = [s + 1 for s in learned]
            b = [learned_at[s] for s in learned]
            if len(set(b)) > 1:
                rho = stats.spearmanr(a, b).statistic
        print(axis, n_pts, len(learned), first if first is not None else 0, count)
        for xi, li in zip(x, loss):
            print(repr(float(xi)), repr(float(li)))
        print(" ".join(repr(float(x[learned_at[s]])) if learned_at[s] is not None else "nan"
                       for s in range(n_sub)))
        print(repr(float(rho)), repr(float(alpha)))


if __name__ == "__main__":
    main(sys.argv[1])
