#!/usr/bin/env python3
"""The scikit-learn side of tests/bench/speed: the same work as iftrain/ifscore.

    sklearn_speed.py TRAIN.tsv SCORE.tsv RUNS

Trains IsolationForest(n_estimators=100, contamination='auto', random_state=42)
on the feature columns of TRAIN.tsv (every column but the first, 'time'), then
times score_samples() on all rows of SCORE.tsv, RUNS times.  Loading is timed
apart, so the score figure is the in-memory rate the original project's
figure (about 44,000 rows/s) refers to, the kindest case for scikit-learn.

Prints key=value lines: rows, features, load_s, fit_s (median), score_s
(median), score_runs (every run, comma-separated), sklearn (version).
"""
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest


def load(path):
    """The numeric columns of a TSV with a header, skipping the first column."""
    with open(path) as f:
        ncols = len(f.readline().rstrip("\n").split("\t"))
    return np.loadtxt(path, delimiter="\t", skiprows=1,
                      usecols=range(1, ncols), dtype=np.float64)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: sklearn_speed.py TRAIN.tsv SCORE.tsv RUNS")
    train_path, score_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

    train = load(train_path)
    load_s, rows = timed(lambda: load(score_path))

    fits, model = [], None
    for _ in range(runs):
        model = IsolationForest(n_estimators=100, contamination="auto",
                                random_state=42)
        fit_s, _ = timed(lambda: model.fit(train))
        fits.append(fit_s)

    scores = [timed(lambda: model.score_samples(rows))[0] for _ in range(runs)]

    print(f"rows={rows.shape[0]}")
    print(f"features={rows.shape[1]}")
    print(f"load_s={load_s:.4f}")
    print(f"fit_s={statistics.median(fits):.4f}")
    print(f"score_s={statistics.median(scores):.4f}")
    print("score_runs=" + ",".join(f"{s:.3f}" for s in scores))
    print(f"sklearn={sklearn.__version__}")


if __name__ == "__main__":
    main()
