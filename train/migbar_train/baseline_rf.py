"""Tree-ensemble baseline (random forest or extra trees) on hand-made hop descriptors
(descriptors.py), cross-validated on exactly the folds of cv.py (data.stratified_folds
over `class`, same seed).

    python3 -m migbar_train.baseline_rf --data ../shared/data/em/train.json --folds 5 \
        --seed 123 --out runs/rf [--features full] [--trees 301] [--max-features 1.0]
        [--min-leaf 1] [--[no-]log-target] [--kind extra-trees] [--aggregate median]
        [--search] [--jobs N]

--seed is the fold seed: 123 = the seed of configs/finetune.toml, so the folds are those
of `cv.py configs/finetune.toml` and of run_device.sh. The defaults are the best of
--search. --search scores a small grid (random forest or extra trees x mean or median of
the trees x feature sets x max_features x min_samples_leaf x target transform) by CV MAE
only and reports the best. OUT gets predictions.csv (index, jid, class, fold, true, pred,
std; std = sample standard deviation over the trees), metrics.json and results.md.
"""

import argparse
import csv
import itertools
import json
import os
import time

import numpy as np

from . import descriptors as DS
from . import metrics as M
from .data import stratified_folds

DEFAULT_FOLD_SEED = 123  # configs/finetune.toml's seed -> cv.py's folds
# the best of --search on em/train.json (5 folds, fold seed 123), by CV MAE only
DEFAULTS = {"features": "full", "trees": 301, "max_features": 1.0, "min_leaf": 1,
            "log_target": True, "kind": "extra-trees", "aggregate": "median"}


def load(path):
    with open(path) as f:
        rows = json.load(f)
    return rows


def forest_predict(forest, X, log_target, aggregate="mean"):
    """Value and sample std (eV) over the trees; with log_target each tree's prediction
    of log(E_m) is mapped back to eV first; the value is their mean or median
    (forest.aggregate)."""
    from .forest import aggregate as reduce_trees  # noqa: PLC0415

    per_tree = np.stack([t.predict(X) for t in forest.estimators_])
    if log_target:
        per_tree = np.exp(per_tree)
    return reduce_trees(per_tree, aggregate), per_tree.std(0, ddof=1)


def make_forest(kind="random-forest", trees=500, max_features=0.33, min_leaf=1, seed=0,
                jobs=-1):
    """An unfitted sklearn forest: "random-forest" (bootstrap samples, best split among
    max_features) or "extra-trees" (every sample, random thresholds: P. Geurts, D. Ernst,
    L. Wehenkel, "Extremely randomized trees", Mach. Learn. 63, 3 (2006))."""
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor  # noqa: PLC0415

    cls = {"random-forest": RandomForestRegressor, "extra-trees": ExtraTreesRegressor}[kind]
    return cls(n_estimators=trees, max_features=max_features, min_samples_leaf=min_leaf,
               random_state=seed, n_jobs=jobs)


def cross_validate(X, y, folds, trees=500, max_features=0.33, min_leaf=1, log_target=False,
                   seed=0, jobs=-1, kind="random-forest", aggregate="mean"):
    """Out-of-fold (pred, std, fold id) for every entry; fold i's forest is seeded
    seed + i."""
    pred, std, fid = np.zeros(len(y)), np.zeros(len(y)), np.zeros(len(y), dtype=int)
    for i, va in enumerate(folds):
        va = np.asarray(va)
        tr = np.setdiff1d(np.arange(len(y)), va)
        rf = make_forest(kind, trees, max_features, min_leaf, seed + i, jobs)
        rf.fit(X[tr], np.log(y[tr]) if log_target else y[tr])
        pred[va], std[va] = forest_predict(rf, X[va], log_target, aggregate)
        fid[va] = i
    return pred, std, fid


def run(rows, nfolds, fold_seed, params, jobs=-1, elements=None, cache=None):
    """Metrics and out-of-fold predictions of one parameter set."""
    y = np.array([float(r["target"]) for r in rows])
    folds = stratified_folds([r.get("class", "") for r in rows], nfolds, seed=fold_seed)
    key = params["features"]
    if cache is not None and key in cache:
        X, names = cache[key]
    else:
        X, names = DS.descriptor_matrix(rows, elements, params["features"])
        if cache is not None:
            cache[key] = (X, names)
    t0 = time.time()
    pred, std, fid = cross_validate(X, y, folds, params["trees"], params["max_features"],
                                    params["min_leaf"], params["log_target"], seed=0,
                                    jobs=jobs, kind=params.get("kind", "random-forest"),
                                    aggregate=params.get("aggregate", "mean"))
    rep = M.report(y, pred, std, fid)
    rep.update(params=dict(params), n_features=int(X.shape[1]), seconds=time.time() - t0,
               folds=nfolds, fold_seed=fold_seed, stratified_by="class")
    return rep, y, pred, std, fid


def label(p):
    return "%s %s mf=%s leaf=%d%s %s" % ("ET" if p.get("kind") == "extra-trees" else "RF",
                                         p["features"], p["max_features"], p["min_leaf"],
                                         " log" if p["log_target"] else "",
                                         p.get("aggregate", "mean"))


def search_grid(trees):
    for kind, agg, fs, mf, leaf, lg in itertools.product(
            ("random-forest", "extra-trees"), ("mean", "median"), DS.FEATURE_SETS,
            (1.0, 0.33, "sqrt"), (1, 3), (False, True)):
        yield {"features": fs, "trees": trees, "max_features": mf, "min_leaf": leaf,
               "log_target": lg, "kind": kind, "aggregate": agg}


def write(out, rows, y, pred, std, fid, rep, table_rows, extra_md=""):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "predictions.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "jid", "class", "fold", "true", "pred", "std"])
        for i, r in enumerate(rows):
            w.writerow([i, r.get("jid", ""), r.get("class", ""), int(fid[i]),
                        "%.6g" % y[i], "%.6g" % pred[i], "%.6g" % std[i]])
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(rep, f, indent=1, default=float)
    p = rep["params"]
    md = ["# Tree-ensemble baseline, %d-fold CV stratified by class (fold seed %d)\n"
          % (rep["folds"], rep["fold_seed"]),
          "Best by CV MAE: `%s` (%d trees, %d descriptors). Pooled over the %d "
          "out-of-fold predictions; std = sample std over the trees.\n"
          % (label(p), p["trees"], rep["n_features"], rep["n"]),
          M.markdown_table(table_rows),
          "\nPer fold MAE: %s (mean %.3f +- %.3f); R^2: %s.\n"
          % (" ".join("%.3f" % m for m in rep["fold_mae"]), rep["mae_fold_mean"],
             rep["mae_fold_std"], " ".join("%.3f" % r for r in rep["fold_r2"])),
          "Good conductor (E_m < 0.65 eV): accuracy %.3f, precision %.3f, recall %.3f "
          "(%d predicted good, %d truly good).\n"
          % (rep["good_accuracy"], rep["good_precision"], rep["good_recall"],
             rep["good_predicted_good"], rep["good_true_good"]),
          extra_md]
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/em/train.json")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=DEFAULT_FOLD_SEED, help="fold seed")
    ap.add_argument("--out", default="train/runs/rf")
    ap.add_argument("--features", default=DEFAULTS["features"], choices=DS.FEATURE_SETS)
    ap.add_argument("--trees", type=int, default=DEFAULTS["trees"])
    ap.add_argument("--max-features", default=str(DEFAULTS["max_features"]))
    ap.add_argument("--min-leaf", type=int, default=DEFAULTS["min_leaf"])
    ap.add_argument("--log-target", action=argparse.BooleanOptionalAction,
                    default=DEFAULTS["log_target"], help="fit log(E_m) (default: yes)")
    ap.add_argument("--kind", default=DEFAULTS["kind"], choices=("random-forest", "extra-trees"))
    ap.add_argument("--aggregate", default=DEFAULTS["aggregate"], choices=("mean", "median"),
                    help="the forest's value: mean or median of its trees")
    ap.add_argument("--search", action="store_true", help="select the parameters by CV MAE")
    ap.add_argument("--max-entries", type=int, help="first n entries only (tests)")
    ap.add_argument("--jobs", type=int, default=-1)
    args = ap.parse_args(argv)
    rows = load(args.data)
    if args.max_entries:
        rows = rows[:args.max_entries]
    elements = DS.data_elements(rows)
    mf = args.max_features
    mf = mf if mf in ("sqrt", "log2") else float(mf)
    base = {"features": args.features, "trees": args.trees, "max_features": mf,
            "min_leaf": args.min_leaf, "log_target": args.log_target, "kind": args.kind,
            "aggregate": args.aggregate}
    grid = list(search_grid(args.trees)) if args.search else [base]
    cache, results = {}, []
    for p in grid:
        res = run(rows, args.folds, args.seed, p, args.jobs, elements, cache)
        results.append(res)
        r = res[0]
        print("%-34s MAE %.4f R^2 %.4f acc %.3f prec %.3f rho %.3f cov %.3f (%.1f s)"
              % (label(p), r["mae"], r["r2"], r["good_accuracy"], r["good_precision"],
                 r["spearman_std_abs_error"], r["coverage_2std"], r["seconds"]), flush=True)
    best = min(results, key=lambda res: res[0]["mae"])
    rep, y, pred, std, fid = best
    table = [(label(rep["params"]) + " (best)", rep)]
    extra = ""
    if args.search:
        rep["search"] = [dict(r[0]["params"], mae=r[0]["mae"], r2=r[0]["r2"])
                         for r in results]
        ranked = sorted(results, key=lambda res: res[0]["mae"])
        table += [(label(r[0]["params"]), r[0]) for r in ranked[1:]]
        extra = ("\nAll %d settings of the search, best first (selected by CV MAE "
                 "only).\n" % len(results))
    write(args.out, rows, y, pred, std, fid, rep, table, extra)
    print("best %s: MAE %.4f R^2 %.4f -> %s" % (label(rep["params"]), rep["mae"], rep["r2"],
                                               args.out))


if __name__ == "__main__":
    main()
