"""k-fold cross-validation of the fine-tuning task, stratified by `class` on
em/train.json.

    python3 -m migbar_train.cv CONFIG [--folds 5] [--processes N] [--run-dir DIR]
                               [--device cuda] [--set key=value ...]

Each fold trains with train.run in RUN_DIR/fold-<i> (as separate processes when
--processes > 1); RUN_DIR/cv.json holds the per-fold MAE / R^2 and the overall figures
(pooled over all out-of-fold predictions, and mean +- std over folds).
"""

import argparse
import copy
import json
import multiprocessing as mp
import os
import time

import numpy as np

from . import data as D
from .train import load_config, load_task, run


def _fold(args):
    cfg, tr, va = args
    res = run(cfg, tr, va)
    return {"fold_dir": cfg["run_dir"], "val_index": res["val_index"],
            "val_pred": [p[0] for p in res["val_pred"]],
            "val_true": [t[0] for t in res["val_true"]], "mae": res["val_mae"][0],
            "r2": res["val_r2"][0], "seconds": res["seconds_total"]}


def r2_score(true, pred):
    true, pred = np.asarray(true), np.asarray(pred)
    tss = float(((true - true.mean()) ** 2).sum())
    return 1.0 - float(((true - pred) ** 2).sum()) / tss if tss > 0 else float("nan")


def cross_validate(cfg, nfolds=5, processes=1):
    t0 = time.time()
    if cfg["task"] != "finetune":
        raise ValueError("cross-validation runs the finetune task (em/train.json)")
    base_dir = cfg["run_dir"]
    os.makedirs(base_dir, exist_ok=True)
    entries, gs, targets, units, name = load_task(cfg)  # builds the graph cache once
    folds = D.stratified_folds([e["class"] for e in entries], nfolds, seed=int(cfg["seed"]))
    jobs = []
    for i, va in enumerate(folds):
        tr = sorted(set(range(len(entries))) - set(va))
        c = copy.deepcopy(cfg)
        c["run_dir"] = os.path.join(base_dir, "fold-%d" % i)
        jobs.append((c, tr, va))
    if processes > 1:
        with mp.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_fold, jobs)
    else:
        results = [_fold(j) for j in jobs]
    true = np.concatenate([r["val_true"] for r in results])
    pred = np.concatenate([r["val_pred"] for r in results])
    maes = np.array([r["mae"] for r in results])
    r2s = np.array([r["r2"] for r in results])
    summary = {"folds": nfolds, "stratified_by": "class", "seed": cfg["seed"],
               "n": int(len(true)),
               "fold_mae": maes.tolist(), "fold_r2": r2s.tolist(),
               "mae": float(np.abs(true - pred).mean()), "r2": r2_score(true, pred),
               "mae_mean": float(maes.mean()), "mae_std": float(maes.std()),
               "r2_mean": float(r2s.mean()), "r2_std": float(r2s.std()),
               "fold_seconds": [r["seconds"] for r in results],
               "seconds": time.time() - t0,
               "predictions": [{"index": int(i), "true": float(t), "pred": float(p)}
                               for r in results
                               for i, t, p in zip(r["val_index"], r["val_true"], r["val_pred"])]}
    with open(os.path.join(base_dir, "cv.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--device")
    ap.add_argument("--run-dir")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    cfg = load_config(args.config, args.set)
    cfg["task"] = "finetune"
    if args.device:
        cfg["device"] = args.device
    if args.run_dir:
        cfg["run_dir"] = args.run_dir
    s = cross_validate(cfg, args.folds, args.processes)
    print("CV %d folds: MAE %.4f (folds %.4f +- %.4f), R^2 %.4f (folds %.4f +- %.4f), %.1f s"
          % (s["folds"], s["mae"], s["mae_mean"], s["mae_std"], s["r2"], s["r2_mean"],
             s["r2_std"], s["seconds"]))
    print("per fold MAE", " ".join("%.4f" % m for m in s["fold_mae"]),
          "R^2", " ".join("%.3f" % r for r in s["fold_r2"]))


if __name__ == "__main__":
    main()
