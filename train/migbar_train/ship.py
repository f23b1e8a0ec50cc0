"""The last stage of em_cpu: from the fold runs and the forest to the shipped ensemble.

ship(opts, plan, say) reads WORK/folds.json (graph networks, "mpt" and "scratch", S seeds
per fold) and WORK/forest_oof.json (the descriptor forest on the same folds), and writes
to OUT (models/em):

  fold<i>-seed<s>.safetensors  the winning variant's fold models (docs/model.md section 5)
  forest.safetensors           the descriptor forest trained on all entries
  ensemble.json                manifest: members, blend weights, std_scale, domain, card
  MODEL_CARD.md                what it is, its CV figures beside the baselines, data,
                               licence and citations
  cv.json                      every entry's out-of-fold predictions and all figures
  check.json                   a few training bands with the ensemble's outputs computed
                               here (PyTorch float64 on the float32 weights + the forest
                               in numpy): `make check` compares the C runtime with them

and WORK/report.md (+ report.json), the CV report.

The blend: prediction = w * mean(graph networks) + (1 - w) * forest, w chosen on the
out-of-fold predictions (a grid of 0.05; one number chosen on 559 entries). Spread:
the weighted standard deviation of the members (docs/model.md section 7) times std_scale;
on the folds the members of an entry are its fold's S seeds and the fold's forest, none
of which saw it, and std_scale is fitted there (95 % of the out-of-fold errors within
+-2 std_scale std). The shipped ensemble has 5 S graph networks instead of S: the Bessel
factor K/(K-1) of the spread differs, and std_scale is rescaled by
sqrt((S+1)/S / ((5S+1)/(5S))) so that the same spread of predictions gives the same
interval.
"""

import datetime
import json
import math
import os
import time

import numpy as np

from . import data as D
from . import descriptors as DS
from . import metrics as M
from .ensemble import FORMAT, data_provenance, em_domain, _short

# Published reference on this task (MODEL-3 of R. Devi, K. T. Butler, G. Sai Gautam,
# arXiv:2508.06436: ALIGNN pre-trained on 7 properties, fine-tuned on the bands; scored
# on the blind test split, not on these folds).
PUBLISHED = {"mae": 0.261, "r2": 0.703, "good_accuracy": 0.80, "good_precision": 0.828}
CHECK_ENTRIES = 6
MANIFEST_VERSION = 2  # docs/model.md section 7: version 2 reads "tree_spread"
GRID = [round(0.05 * i, 2) for i in range(2, 21)]  # w of the graph networks: 0.10 .. 1.00
# c of the forest's tree spread in the ensemble's spread (docs/model.md section 7)
TREE_SPREAD_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)


def weighted_spread(preds, weights, tree_std=None, tree_spread=0.0):
    """mean and std (before std_scale) of docs/model.md section 7 over the last axis;
    tree_std: the spread over the trees of the forest member (the last one)."""
    w = np.asarray(weights, dtype=np.float64)
    k = len(w)
    mean = (preds * w).sum(-1)
    var = (w * (preds - mean[..., None]) ** 2).sum(-1) * k / (k - 1)
    if tree_std is not None and tree_spread > 0:
        var = var + (tree_spread * np.asarray(tree_std)) ** 2
    return mean, np.sqrt(np.maximum(var, 0.0))


def complete_runs(runs, nfolds):
    """{variant: [runs of the seeds that finished on every fold]}: runs skipped for the
    budget or stopped before their last epoch are left out, with their seed on all folds."""
    out = {}
    for variant in ("mpt", "scratch"):
        by_seed = {}
        for r in runs:
            v, _, fold, _, seed = r["label"].split()
            if v == variant and not r.get("skipped") and not r.get("stopped_early"):
                by_seed.setdefault(int(seed), {})[int(fold)] = r
        out[variant] = [r for s in sorted(by_seed) if len(by_seed[s]) == nfolds
                        for r in by_seed[s].values()]
    return out


def _oof(runs, n):
    """[n, S] out-of-fold predictions of the runs (S seeds, in seed order)."""
    seeds = sorted({int(r["label"].split()[4]) for r in runs})
    out = np.full((n, len(seeds)), np.nan)
    fold_of = np.full(n, -1)
    for r in runs:
        _, _, fold, _, seed = r["label"].split()
        idx = np.asarray(r["val_index"])
        out[idx, seeds.index(int(seed))] = r["val_pred"]
        fold_of[idx] = int(fold)
    return out, fold_of


def _check_entries(entries):
    """A fixed handful of training bands of spread sizes (the smallest, medians, larger)."""
    n = np.array([len(e["atoms"]["elements"]) for e in entries])
    order = np.argsort(n, kind="stable")
    pick = [order[0], order[len(order) // 4], order[len(order) // 2],
            order[3 * len(order) // 4], order[-40], order[len(order) // 3]]
    return sorted({int(i) for i in pick})[:CHECK_ENTRIES]


def _member_outputs(model_paths, forest_path, atoms_list):
    """[n, K] predictions of every member (graph networks in float64 on their float32
    weights, the forest in numpy), in member order, and [n] the forest's spread over its
    trees."""
    import torch  # noqa: PLC0415
    from . import forest as FO  # noqa: PLC0415
    from .export import load_model  # noqa: PLC0415
    from .graph import graph_from_atoms  # noqa: PLC0415
    from .model import collate  # noqa: PLC0415
    cols = []
    for p in model_paths:
        model, _ = load_model(p)
        model = model.double()
        ys = []
        for atoms in atoms_list:
            g = graph_from_atoms(atoms, k=model.config["k"], nband=5,
                                 line=model.config["line_graph"])
            with torch.no_grad():
                ys.append(float(model.predict(collate([g]))[0, 0]))
        cols.append(ys)
    fo = FO.read_forest(forest_path)
    X = FO.descriptors(fo, atoms_list)
    value, tree_std = FO.predict(fo, X)
    cols.append(list(map(float, value)))
    return np.array(cols).T, tree_std


def _wall_minutes(work, stages):
    """Wall-clock minutes of the recipe until now: the invocations of plan.json, else
    (a plan of an earlier version) from the pre-training run's first log line, plus the
    minutes the stages before it took."""
    inv = (stages.get("_invocations") or [])
    if inv:  # the time the budget counts: every invocation's, gaps between them not
        return (sum(b - a for a, b in inv[:-1]) + time.time() - inv[-1][0]) / 60.0
    try:
        with open(os.path.join(work, "pretrain", "train.log")) as f:
            first = json.loads(f.readline())
        start = time.mktime(time.strptime(first["time"], "%Y-%m-%dT%H:%M:%S"))
        return (time.time() - start) / 60.0 + stages.get("plan", {}).get("at_minutes", 0.0)
    except (OSError, ValueError, KeyError):
        return stages.get("folds", {}).get("at_minutes", 0.0)


def ship(opts, plan, say):
    from .export import code_revision, load_checkpoint, save_model  # noqa: PLC0415
    t0 = time.time()
    work, out = opts["work"], opts["out"]
    entries = D.load_em(opts["data_dir"])
    if opts.get("smoke"):
        entries = entries[:60]
    n = len(entries)
    true = np.array([float(e["y"][0]) for e in entries])
    with open(os.path.join(work, "folds.json")) as f:
        fj = json.load(f)
    complete = complete_runs(fj["runs"], opts["folds"])
    if not any(complete.values()):
        raise RuntimeError("no graph-network seed finished on every fold within the budget")
    with open(os.path.join(work, "forest_oof.json")) as f:
        rf = json.load(f)
    rf_pred, rf_std = np.asarray(rf["pred"]), np.asarray(rf["std"])
    fold_of = np.asarray(rf["fold"])

    figures, oof, nseeds = {}, {}, {}
    for variant in ("mpt", "scratch"):
        if not complete[variant]:
            continue
        p, fo = _oof(complete[variant], n)
        if np.isnan(p).any():
            raise RuntimeError("%s: missing out-of-fold predictions" % variant)
        assert (fo == fold_of).all(), "graph-network and forest folds differ"
        oof[variant], nseeds[variant] = p, p.shape[1]
        std = p.std(1, ddof=1) if p.shape[1] > 1 else None
        figures[variant] = M.report(true, p.mean(1), std, fold_of)
        figures[variant + "_seed0"] = M.report(true, p[:, 0], None, fold_of)
    figures["forest"] = M.report(true, rf_pred, np.asarray(rf["std"]), fold_of)
    winner = min(oof, key=lambda v: figures[v]["mae"])
    gnn, S = oof[winner], nseeds[winner]
    runs = complete[winner]

    # blend weight and spread on the folds
    def blend(w, c=0.0):
        members = np.concatenate([gnn, rf_pred[:, None]], axis=1)
        weights = [w / S] * S + [1.0 - w]
        return weighted_spread(members, weights, rf_std, c)

    # the weight by MAE, then the forest's share of the spread by the rank correlation of
    # spread and error (the mean does not depend on it)
    scores = {w: float(np.abs(blend(w)[0] - true).mean()) for w in GRID}
    w_best = min(GRID, key=lambda w: (scores[w], -w))
    err = np.abs(blend(w_best)[0] - true)
    rho = {c: float(M.spearman(blend(w_best, c)[1], err)) for c in TREE_SPREAD_GRID}
    c_best = max(TREE_SPREAD_GRID, key=lambda c: (round(rho[c], 3), -c))
    mean, std = blend(w_best, c_best)
    figures["blend"] = M.report(true, mean, std, fold_of)
    figures["blend"]["weight_gnn"] = w_best
    figures["blend"]["grid_mae"] = scores
    figures["blend"]["tree_spread_cv"] = c_best
    figures["blend"]["grid_tree_spread_spearman"] = rho
    # The shipped ensemble has 5 S + 1 members where each fold's prediction had S + 1:
    # the K/(K - 1) factor of the member variance changes, the tree term does not. With
    # std_scale * b and tree_spread c / b (b below) the shipped formula gives exactly the
    # spread fitted on the folds for the same member spread.
    k_fold, k_ship = S + 1, 5 * S + 1
    bessel = math.sqrt((k_fold / (k_fold - 1)) / (k_ship / (k_ship - 1)))
    std_scale = figures["blend"]["std_scale"] * bessel
    tree_spread = c_best / bessel
    say("ship: %s wins (CV MAE %s, %d seed(s)); forest %.4f; blend w = %.2f: MAE %.4f "
        "R^2 %.3f, rho(std,|err|) %.3f (tree spread %.2f), std_scale %.3f"
        % (winner, ", ".join("%s %.4f" % (v, figures[v]["mae"]) for v in oof), S,
           figures["forest"]["mae"], w_best, figures["blend"]["mae"], figures["blend"]["r2"],
           figures["blend"]["spearman_std_abs_error"], c_best, std_scale))

    # members
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if old.endswith(".safetensors"):
            os.remove(os.path.join(out, old))
    names, paths, pretrained = [], [], None
    cv_short = _short(figures["blend"])
    for r in sorted(runs, key=lambda r: r["label"]):
        v, _, fold, _, seed = r["label"].split()
        model, ck = load_checkpoint(r["checkpoint"])
        training = dict(ck.get("training", {}))
        pretrained = pretrained or training.get("pretrained")
        training.update(ensemble_member={"variant": winner, "fold": int(fold),
                                         "seed_index": int(seed), "fold_seed": 123,
                                         "fold_mae": r["mae"], "fold_r2": r["r2"],
                                         "epochs": r["epochs"]}, cv=cv_short)
        name = "fold%s-seed%s.safetensors" % (fold, seed)
        save_model(model, os.path.join(out, name), training)
        names.append(name)
        paths.append(os.path.join(out, name))
    forest_name = "forest.safetensors"
    with open(plan["stages"]["forest"]["path"], "rb") as src, \
            open(os.path.join(out, forest_name), "wb") as dst:
        dst.write(src.read())
    weights = [w_best / len(names)] * len(names) + [1.0 - w_best]
    weights[-1] = 1.0 - sum(weights[:-1])

    prov = data_provenance(opts["data_dir"])
    domain = em_domain(opts["data_dir"])
    created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    stages = dict(plan["stages"], _invocations=plan.get("invocations"))
    wall_min = _wall_minutes(work, stages)
    card = {"name": "migbar E_m model (CPU-trained graph networks + descriptor forest)",
            "targets": ["em"], "units": ["eV"], "variant": winner,
            "members": {"graph_networks": len(names), "forest": 1, "weight_gnn": w_best},
            "folds": opts["folds"], "seeds_per_fold": S, "fold_seed": 123,
            "std_scale_fitted_on_folds": figures["blend"]["std_scale"],
            "tree_spread_fitted_on_folds": c_best,
            "bessel_rescaling": bessel,
            "cv": cv_short, "cv_members": {k: _short(figures[k]) for k in figures
                                           if k != "blend"},
            "published_reference": PUBLISHED, "plan": stages.get("plan"),
            "pretrain": stages.get("pretrain"), "training_minutes": wall_min,
            "data": prov, "code_revision": code_revision(), "created": created}
    manifest = {"format": FORMAT, "version": MANIFEST_VERSION, "members": names + [forest_name],
                "weights": weights, "std_scale": std_scale, "tree_spread": tree_spread,
                "domain": domain,
                "model_card": json.loads(json.dumps(card, default=float).replace("NaN", "null"))}
    with open(os.path.join(out, "ensemble.json"), "w") as f:
        json.dump(manifest, f, indent=1, allow_nan=False)

    # stored outputs for make check
    pick = _check_entries(entries)
    atoms = [entries[i]["atoms"] for i in pick]
    member_y, tree_std = _member_outputs(paths, os.path.join(out, forest_name), atoms)
    m, s = weighted_spread(member_y, weights, tree_std, tree_spread)
    check = {"description": "Training bands of em/train.json and the outputs of the ensemble "
                            "in this folder, computed by train/migbar_train/ship.py (PyTorch "
                            "float64 on the float32 weights; the forest in numpy). "
                            "tests/gnn/test_shipped.c compares the C runtime with them.",
             "tolerance": 1e-4, "std_scale": std_scale, "tree_spread": tree_spread,
             "entries": [{"index": i, "source": entries[i]["source"], "atoms": entries[i]["atoms"],
                          "target": float(true[i]), "members": member_y[j].tolist(),
                          "forest_tree_std": float(tree_std[j]),
                          "mean": float(m[j]), "std": float(s[j] * std_scale)}
                         for j, i in enumerate(pick)]}
    with open(os.path.join(out, "check.json"), "w") as f:
        json.dump(check, f, separators=(",", ":"))

    # out-of-fold predictions and the report
    cv = {"figures": figures, "winner": winner, "weight_gnn": w_best, "std_scale": std_scale,
          "entries": [{"index": i, "source": entries[i]["source"],
                       "class": entries[i]["class"], "fold": int(fold_of[i]),
                       "true": float(true[i]), "gnn": gnn[i].tolist(),
                       "forest": float(rf_pred[i]), "forest_tree_std": float(rf_std[i]),
                       "pred": float(mean[i]),
                       "std": float(std[i] * figures["blend"]["std_scale"])}
                      for i in range(n)]}
    with open(os.path.join(out, "cv.json"), "w") as f:
        json.dump(cv, f, default=float)
    table = M.markdown_table(
        [("shipped: blend %.2f x GNN (%s) + %.2f x forest" % (w_best, winner, 1 - w_best),
          figures["blend"]),
         ("GNN fine-tuned from pre-training (MPT), mean of %d seeds" % S, figures["mpt"]),
         ("GNN MPT, one seed", figures["mpt_seed0"]),
         ("GNN from scratch, mean of %d seeds" % S, figures["scratch"]),
         ("GNN scratch, one seed", figures["scratch_seed0"]),
         ("descriptor forest (%d trees)" % rf["params"]["trees"], figures["forest"]),
         ("published MODEL-3 (blind test split, not these folds)", PUBLISHED)])
    report = ("# Cross-validation report of the shipped E_m model\n\n"
              "%d-fold CV stratified by structural class (fold seed 123) on em/train.json "
              "(%d bands); every figure pooled over the out-of-fold predictions.\n\n%s\n"
              "Blend weight of the graph networks chosen on these predictions: %s.\n"
              % (opts["folds"], n, table,
                 ", ".join("%.2f: %.4f" % (w, scores[w]) for w in GRID)))
    with open(os.path.join(work, "report.md"), "w") as f:
        f.write(report)
    with open(os.path.join(work, "report.json"), "w") as f:
        json.dump({k: _short(v) for k, v in figures.items() if isinstance(v, dict)}, f,
                  indent=1, default=float)
    low, high = true < 1.0, true > 2.0
    figures["blend"].update(mae_low=float(np.abs(mean - true)[low].mean()), n_low=int(low.sum()),
                            mae_high=float(np.abs(mean - true)[high].mean()),
                            n_high=int(high.sum()))
    card["tree_spread"] = tree_spread
    _write_card(out, card, figures, table, winner, w_best, S, std_scale, bessel, prov,
                domain, names, opts)
    say("ship: wrote %s (%d graph networks + forest) in %.0f s" % (out, len(names),
                                                                  time.time() - t0))


def _write_card(out, card, figures, table, winner, w, S, std_scale, bessel, prov, domain,
                names, opts):
    from .em_cpu import FOREST, MODEL  # noqa: PLC0415
    b = figures["blend"]
    pre = card.get("pretrain") or {}
    plan = card.get("plan") or {}
    text = """# migbar E_m model

Migration barrier E_m (eV) of one ion hop in a crystal, from the hop's end points. The
ensemble in this folder (`ensemble.json`, read by `mb_ensemble_load`, `migbar predict`
and `migbar.predict_barrier`) blends

- %d ALIGNN-style graph networks (docs/model.md: band line graph, %s), the %d
  cross-validation folds x %d seeds, %s, with weight %.2f in total, and
- a descriptor forest: %s on hand-made hop descriptors (docs/descriptors.md; %s trees
  on all 559 bands, fitted to log E_m; its prediction the %s of its trees), with weight
  %.2f.

The uncertainty (docs/model.md section 7) is std_scale = %.3f times
sqrt(K/(K-1) sum_k w_k (y_k - mean)^2 + c^2 s^2): the members' weighted standard
deviation and the forest's spread over its trees s, with c = tree_spread = %.3f.
std_scale is fitted on the folds so that +-2 std covers 95 %% of the out-of-fold errors
(%.3f there); std_scale and c are rescaled by %.3f and 1/%.3f for the larger number of
members here, which leaves the fitted spread unchanged. c was chosen on the folds by the
rank correlation of spread and error (%s).

## Intended use

Ranking candidate hops for ionic conductivity: intercalation hosts and solid electrolytes,
ions %s, hops up to %.2f A (`mb_ensemble_check_hop` warns outside that and for elements
not in the training data). It is not a replacement for NEB: use the uncertainty to pick
which hops to check with `migbar neb`.

## Cross-validation

%d-fold CV stratified by structural class (fold seed 123, the folds of train/cv.py) on
the 559 bands of em/train.json; figures pooled over the out-of-fold predictions;
'good conductor' = E_m < 0.65 eV. Every graph network of a fold row never saw that fold.

%s
Shipped-model spread on the folds: Spearman rho(std, |error|) = %.3f; +-2 std_scale std
covers %.1f %% (std_scale fitted on all folds) and %.1f %% cross-fitted (fitted on four
folds, scored on the fifth).

The blind test split of the dataset (60 bands) is scored outside this project.

## Limits

- An error of about %.2f eV per hop on the folds: rank hops with it, do not decide
  between barriers a tenth of an eV apart. The error grows with the barrier: MAE %.2f
  eV on the %d bands below 1 eV, %.2f eV on the %d above 2 eV (R^2 %.3f; the forest
  alone %.3f, the graph networks alone %.3f).
- The spread is calibrated for coverage (+-2 std covers ~95 %% of the out-of-fold
  errors) but ranks the errors only moderately (Spearman %.2f): it says which hops to
  check, not how wrong each one is.
- The blend weight, tree_spread and std_scale are three numbers chosen on the same
  out-of-fold predictions that score them, and the forest's settings were chosen by CV
  MAE on the same folds (train/migbar_train/baseline_rf.py --search).
- The training bands are single-ion vacancy hops (straight 5-image paths) in
  supercells of 33 to 1027 atoms from the literature (mostly GGA/GGA+U NEB):
  interstitial or concerted hops, and how the functional changes E_m, are outside
  what the data holds.

## Training

`make train-em` (python3 -m migbar_train.em_cpu) on a 2-core CPU, %.0f minutes in all:
graphs, multi-property pre-training (%s epochs on the 7 pre-training sets, %s
crystals), %d fold runs of %s epochs (AdamW, OneCycle, lr 1e-3, batch 16; %s s per band
step measured), the forest, this folder. Which of fine-tuning from the pre-trained model
("mpt") or training from scratch ships is decided by CV MAE: **%s** here.

## Data, licence and citation

%s

%s

Created %s, code revision %s.
""" % (len(names), "hidden %d, %d ALIGNN + %d GCN layers" % (
           MODEL["hidden"], MODEL["alignn_layers"], MODEL["gcn_layers"]), opts["folds"], S,
       "fine-tuned from the multi-property pre-trained network" if winner == "mpt"
       else "trained from scratch", w,
       "extremely randomized trees" if FOREST["kind"] == "extra-trees" else "a random forest",
       opts.get("forest_trees", FOREST["trees"]), FOREST["aggregate"], 1 - w,
       std_scale, card["tree_spread"], b["coverage_2std_scaled"], bessel, bessel,
       ", ".join("%.2f: %.3f" % kv for kv in b["grid_tree_spread_spearman"].items()),
       ", ".join(i for i in DS.IONS if i in domain["elements"]), domain["max_hop_length"],
       opts["folds"], table, b["spearman_std_abs_error"], 100 * b["coverage_2std_scaled"],
       100 * b.get("coverage_2std_scaled_cross_fitted", float("nan")),
       b["mae"], b["mae_low"], b["n_low"], b["mae_high"], b["n_high"], b["r2"],
       figures["forest"]["r2"], figures[winner]["r2"], b["spearman_std_abs_error"],
       card["training_minutes"], pre.get("epochs"), plan.get("pretrain_entries"),
       2 * opts["folds"] * S, plan.get("fold_epochs"),
       "%.3f" % plan.get("seconds_per_band_step", float("nan")), winner,
       prov["provenance"] or "See the data README.",
       "\n".join("- " + c for c in prov["citations"]), card["created"], card["code_revision"])
    with open(os.path.join(out, "MODEL_CARD.md"), "w") as f:
        f.write(text)
