"""Fold x seed training runs and the shipped ensemble (include/migbar.h section 6).

    # k folds (data.stratified_folds over `class`, fold seed as cv.py) x S seeds
    python3 -m migbar_train.ensemble folds CONFIG --folds 5 --seeds 3 --fold-seed 123 \
        --processes 15 --run-dir DIR [--device cuda] [--set key=value ...]
    # graph cache of a config's dataset, built by N processes (same file as data.graphs)
    python3 -m migbar_train.ensemble cache CONFIG --processes 16 [--set key=value ...]
    # epochs that fit a time budget, from probe runs (folds ... --set epochs=2)
    python3 -m migbar_train.ensemble epochs --budget 240 --cap 150 PROBE_DIR ...
    # the ensemble directory: members (safetensors), ensemble.json, MODEL_CARD.md
    python3 -m migbar_train.ensemble build DIR --out models/em [--baseline NAME=PATH ...]
    # markdown report of several fold runs / baselines
    python3 -m migbar_train.ensemble report --out report.md NAME=PATH ...

`folds` differs from cv.py in two ways: the fold split (fold seed) is independent of
the model seed, so each fold can be trained with S seeds (config seed + s), and it
runs any task (finetune on em/, single on jarvis2d/; single-task folds are plain
random folds since those entries have no class). DIR/folds.json holds every entry's
out-of-fold predictions (one per seed), their mean and sample std over the seeds, and
metrics.report of the mean (with the spread figures when S >= 2).

Uncertainty: the S seeds of a fold never saw that fold's entries, so their spread on
them is an honest estimate of what the spread of an ensemble of S models means on new
data; std_scale (metrics.fit_std_scale, coverage of +-2 std_scale std = 95 %) is
fitted on it. The shipped ensemble is all k x S fold models: its spread also holds the
fold-to-fold (training-subset) variation and, with more members, a sample std less
biased low, so the calibrated interval is, if anything, conservative on new data.
With S = 1 there is no honest spread on the folds and std_scale is left at 1.
"""

import argparse
import copy
import datetime
import json
import math
import multiprocessing as mp
import os
import string
import time

import numpy as np

from . import data as D
from . import descriptors as DS
from . import metrics as M
from .graph import graph_from_atoms
from .train import load_config, load_task, run

FORMAT = "migbar-ensemble"
VERSION = 1


# --- graph cache in parallel ----------------------------------------------------------

def _pack_chunk(args):
    entries, k, line = args
    return D._pack([graph_from_atoms(e["atoms"], k=k, nband=e["nband"], line=line)
                    for e in entries])


def prebuild_cache(cfg, processes=1):
    """Build the graph cache file that load_task(cfg) reads (data.graphs' name and key)
    with several processes; returns its path. The entries are those load_task selects
    (it is run with data.graphs replaced by a recorder)."""
    seen = {}
    real = D.graphs

    def record(entries, k=12, cache_dir=None, name="data", log=None, line="full"):
        seen.update(entries=entries, k=k, cache_dir=cache_dir, name=name, line=line)
        return [None] * len(entries)

    D.graphs = record
    try:
        load_task(cfg)
    finally:
        D.graphs = real
    entries, k, cache_dir = seen["entries"], int(seen["k"]), seen["cache_dir"]
    if not cache_dir:
        raise ValueError("no cache_dir in the config")
    os.makedirs(cache_dir, exist_ok=True)
    line = seen["line"]
    path = D.cache_path(cache_dir, seen["name"], entries, k, line)
    if os.path.exists(path):
        return path
    chunks = [c for c in np.array_split(np.arange(len(entries)), max(1, processes) * 8)
              if len(c)]
    work = [([entries[i] for i in c], k, line) for c in chunks]
    if processes > 1:
        with mp.get_context("fork").Pool(processes) as pool:
            packs = pool.map(_pack_chunk, work)
    else:
        packs = [_pack_chunk(w) for w in work]
    merged = {key: np.concatenate([p[key] for p in packs]) for key in packs[0]}
    tmp = path + ".tmp.npz"
    np.savez(tmp, **merged)
    os.replace(tmp, path)
    return path


# --- fold x seed runs ------------------------------------------------------------------

def _job(args):
    cfg, fold, seed_index, tr, va = args
    res = run(cfg, tr, va)
    return {"fold": fold, "seed": cfg["seed"], "seed_index": seed_index,
            "run_dir": cfg["run_dir"], "checkpoint": res["checkpoint"],
            "val_index": res["val_index"], "val_pred": [p[0] for p in res["val_pred"]],
            "val_true": [t[0] for t in res["val_true"]], "mae": res["val_mae"][0],
            "r2": res["val_r2"][0], "seconds": res["seconds_total"],
            "seconds_data": res["seconds_data"], "epochs": int(cfg["epochs"]),
            "epoch_seconds": [h["seconds"] for h in res["history"]]}


def fold_runs(cfg, nfolds=5, seeds=1, fold_seed=123, processes=1):
    """Train nfolds x seeds models; write and return RUN_DIR/folds.json."""
    t0 = time.time()
    base_dir = cfg["run_dir"]
    os.makedirs(base_dir, exist_ok=True)
    entries, _, targets, units, name = load_task(cfg)  # builds the graph cache once
    labels = [e.get("class", "") for e in entries]
    folds = D.stratified_folds(labels, nfolds, seed=fold_seed)
    jobs = []
    for i, va in enumerate(folds):
        tr = sorted(set(range(len(entries))) - set(va))
        for s in range(seeds):
            c = copy.deepcopy(cfg)
            c["seed"] = int(cfg["seed"]) + s
            c["run_dir"] = os.path.join(base_dir, "fold-%d-seed-%d" % (i, s))
            jobs.append((c, i, s, tr, va))
    if processes > 1:
        with mp.get_context("spawn").Pool(min(processes, len(jobs))) as pool:
            results = pool.map(_job, jobs)
    else:
        results = [_job(j) for j in jobs]
    n = len(entries)
    preds = np.full((n, seeds), np.nan)
    true = np.array([float(e["y"][0]) for e in entries])
    fold_of = np.full(n, -1)
    for r in results:
        idx = np.asarray(r["val_index"])
        preds[idx, r["seed_index"]] = r["val_pred"]
        fold_of[idx] = r["fold"]
    mean = preds.mean(1)
    std = preds.std(1, ddof=1) if seeds > 1 else None
    threshold = M.GOOD_CONDUCTOR_EV if cfg["task"] == "finetune" else None
    summary = {"task": cfg["task"], "name": name, "targets": targets, "units": units,
               "folds": nfolds, "seeds": seeds, "fold_seed": fold_seed,
               "stratified_by": "class" if any(labels) else None, "n": n,
               "config": cfg, "processes": processes,
               "metrics": M.report(true, mean, std, fold_of, threshold),
               "metrics_seed0": M.report(true, preds[:, 0], None, fold_of, threshold),
               "members": [{k: r[k] for k in ("fold", "seed", "seed_index", "run_dir",
                                               "checkpoint", "mae", "r2", "seconds",
                                               "seconds_data", "epochs", "epoch_seconds")}
                           for r in results],
               "wall_seconds": time.time() - t0,
               "entries": [{"index": i, "source": entries[i]["source"], "class": labels[i],
                            "fold": int(fold_of[i]), "true": float(true[i]),
                            "preds": preds[i].tolist(), "mean": float(mean[i]),
                            "std": float(std[i]) if std is not None else None}
                           for i in range(n)]}
    with open(os.path.join(base_dir, "folds.json"), "w") as f:
        json.dump(summary, f, indent=1, default=float)
    return summary


# --- epochs from probe runs ------------------------------------------------------------

def choose_epochs(probes, budget_s, cap, minimum=1, safety=0.9):
    """Largest epoch count E (minimum <= E <= cap) whose predicted wall time fits
    safety * budget_s for every probe run (folds.json of a short run of the same jobs
    with the same processes, all probes having run at the same time as the real runs
    will). Per probe: t = slowest job's last-epoch seconds x 1.15 (the per-epoch
    validation is not in that figure), rounds = ceil(jobs / processes),
    overhead = probe wall - rounds x epochs x t; wall(E) = overhead + rounds x E x t."""
    best = cap
    for p in probes:
        t = max(m["epoch_seconds"][-1] for m in p["members"]) * 1.15
        rounds = math.ceil(len(p["members"]) / max(1, min(p["processes"], len(p["members"]))))
        probe_epochs = max(m["epochs"] for m in p["members"])
        overhead = max(0.0, p["wall_seconds"] - rounds * probe_epochs * t)
        fit = int((safety * budget_s - overhead) // (rounds * t)) if t > 0 else cap
        best = min(best, fit)
    return max(minimum, min(cap, best))


# --- the shipped ensemble ----------------------------------------------------------------

def data_provenance(data_dir):
    """The 'Provenance and licence' section of the data README and its citations."""
    path = os.path.join(data_dir, "README.md")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {"readme": path, "provenance": "", "citations": []}
    sec = text.split("## Provenance and licence", 1)
    body = sec[1].split("\n## ", 1)[0].strip() if len(sec) == 2 else ""
    paras = body.split("\n\n")
    cites = []
    for line in body.splitlines():
        if line.startswith("- "):
            cites.append(line[2:].strip())
        elif cites and line.startswith("  "):
            cites[-1] += " " + line.strip()
    prov = " ".join(paras[0].split()) if paras else ""
    return {"readme": path, "provenance": prov, "citations": cites,
            "licence": "MIT" if "MIT" in body else "see " + path}


def em_domain(data_dir, path="em/train.json"):
    """Elements of the training bands and the longest hop (A, rounded up to 0.01)."""
    with open(os.path.join(data_dir, path)) as f:
        rows = json.load(f)
    hops = [DS.hop_length(r["atoms"]) for r in rows]
    return {"elements": DS.data_elements(rows),
            "max_hop_length": math.ceil(max(hops) * 100.0) / 100.0}


def _load_metrics(path):
    """metrics of a folds.json / cv.json / baseline metrics.json (file or directory)."""
    for cand in (path, os.path.join(path, "folds.json"), os.path.join(path, "metrics.json"),
                 os.path.join(path, "cv.json")):
        if os.path.isfile(cand):
            with open(cand) as f:
                js = json.load(f)
            return js.get("metrics", js)
    raise FileNotFoundError("no folds.json / metrics.json / cv.json at %s" % path)


def _short(m):
    keys = ("n", "mae", "rmse", "r2", "mae_fold_mean", "mae_fold_std", "good_accuracy",
            "good_precision", "good_recall", "spearman_std_abs_error", "coverage_2std",
            "std_scale", "coverage_2std_scaled", "coverage_2std_scaled_cross_fitted")
    return {k: (None if isinstance(m.get(k), float) and not math.isfinite(m[k]) else m.get(k))
            for k in keys if k in m}


CARD = string.Template("""# $title

Migration-barrier (E_m, eV) model of libmigbar: an ensemble of $nmembers graph networks
(docs/model.md; $members_desc). `mb_ensemble_load("$manifest")` loads it; the prediction
is the members' mean, the uncertainty their sample standard deviation times
std_scale = $std_scale (fitted on the cross-validation folds so that
mean +- 2 std_scale std covers 95 % of the out-of-fold errors$std_note).

## Intended use

Screening of ionic migration barriers in intercalation hosts and solid electrolytes
for the ions $ions, for hops up to $max_hop A. `mb_ensemble_check_hop` warns about
elements outside the training data and longer hops. Not a replacement for NEB: use it
to rank candidates, and the uncertainty to decide which ones to check.

## Cross-validation ($folds-fold, stratified by structural class, fold seed $fold_seed)

Pooled over the $n out-of-fold predictions of em/train.json (DFT-NEB barriers);
'good conductor' = E_m < 0.65 eV. First row: each fold's prediction is the mean of its
$seeds seed(s), none of which saw that fold (the spread figures are those seeds'
spread); second row: seed 0 of each fold alone, i.e. one shipped member.

$table
$baselines_note
## Training

$training

## Data, licence and citation

$provenance

$citations

Created $created, code revision $revision.
""")


def _training_text(cfg, pretrained):
    m = cfg.get("model", {})
    parts = ["Fine-tuned %s on em/train.json: %s epochs, batch %s, AdamW lr %s (OneCycle), "
             "weight decay %s, device %s." % (
                 "from the multi-property pre-trained model (pretrain/*.json, 7 properties)"
                 if cfg.get("init_checkpoint") else "from scratch", cfg.get("epochs"),
                 cfg.get("batch_size"), cfg.get("lr"), cfg.get("weight_decay"),
                 cfg.get("device"))]
    if m:
        parts.append("Model overrides: %s." % json.dumps(m, sort_keys=True))
    if pretrained:
        parts.append("Pre-training: %s epochs, seed %s, %s crystals." % (
            pretrained.get("epochs"), pretrained.get("seed"),
            (pretrained.get("ntrain") or 0) + (pretrained.get("nval") or 0)))
    return " ".join(parts)


def build(folds_dir, out, baselines=None, members="all", data_dir=None, title=None,
          manifest_name="ensemble.json"):
    """Export the fold models of folds_dir into out/ with the manifest and model card.
    members: "all" (folds x seeds) or "first-seed" (the k CV models)."""
    from .export import _plain, load_checkpoint, load_model, save_model  # noqa: PLC0415

    with open(os.path.join(folds_dir, "folds.json")) as f:
        runs = json.load(f)
    if runs["task"] != "finetune":
        raise ValueError("%s: the shipped ensemble is the E_m (finetune) model" % folds_dir)
    cfg = runs["config"]
    data_dir = data_dir or cfg["data_dir"]
    os.makedirs(out, exist_ok=True)
    metrics = runs["metrics"]
    spread_ok = runs["seeds"] > 1 and math.isfinite(metrics.get("std_scale", float("nan")))
    std_scale = float(metrics["std_scale"]) if spread_ok else 1.0
    cv_short = _short(metrics)
    names, pretrained = [], None
    for m in sorted(runs["members"], key=lambda m: (m["fold"], m["seed_index"])):
        if members == "first-seed" and m["seed_index"] != 0:
            continue
        model, ck = load_checkpoint(m["checkpoint"])
        training = dict(ck.get("training", {}))
        pretrained = pretrained or training.get("pretrained")
        training.update(ensemble_member={"fold": m["fold"], "seed": m["seed"],
                                         "folds": runs["folds"], "fold_seed": runs["fold_seed"],
                                         "fold_mae": m["mae"], "fold_r2": m["r2"]},
                        cv=cv_short)
        name = "fold%d-seed%d.safetensors" % (m["fold"], m["seed_index"])
        save_model(model, os.path.join(out, name), training)
        load_model(os.path.join(out, name))  # the file loads back (names, shapes, config)
        names.append(name)
    prov = data_provenance(data_dir)
    domain = em_domain(data_dir)
    base = {k: _short(_load_metrics(p)) for k, p in (baselines or {}).items()}
    from .export import code_revision  # noqa: PLC0415
    created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    card = {"name": title or "migbar E_m ensemble", "targets": runs["targets"],
            "units": runs["units"], "members_per_fold": runs["seeds"] if members == "all" else 1,
            "folds": runs["folds"], "fold_seed": runs["fold_seed"],
            "std_scale_fitted": spread_ok, "cv": cv_short, "baselines": base,
            "training": {k: cfg.get(k) for k in ("epochs", "batch_size", "lr",
                                                  "weight_decay", "seed", "init_checkpoint",
                                                  "device", "model")},
            "pretrained": pretrained, "data": prov, "code_revision": code_revision(),
            "created": created}
    manifest = _plain({"format": FORMAT, "version": VERSION, "members": names,
                       "std_scale": std_scale, "domain": domain, "model_card": card})
    with open(os.path.join(out, manifest_name), "w") as f:
        json.dump(manifest, f, indent=1, allow_nan=False)
    rows = [("fine-tuned, mean of %d seeds per fold" % runs["seeds"], metrics),
            ("fine-tuned, seed 0 (one member)", runs.get("metrics_seed0", metrics))]
    rows += [(k, _load_metrics(p)) for k, p in (baselines or {}).items()]
    desc = ("the %d cross-validation folds x %d seeds" % (runs["folds"], runs["seeds"])
            if members == "all" and runs["seeds"] > 1
            else "the %d cross-validation models" % runs["folds"])
    text = CARD.substitute(
        title=card["name"], nmembers=len(names), members_desc=desc, manifest=manifest_name,
        std_scale="%.3g" % std_scale,
        std_note="; the members here differ in training subset as well as seed, so their "
        "spread is if anything wider than the seeds' spread it was fitted on"
        if spread_ok else "; NOT fitted here: one seed per fold gives no "
        "honest spread on the folds, so the uncertainty is uncalibrated",
        ions=", ".join(i for i in DS.IONS if i in domain["elements"]),
        max_hop="%.2f" % domain["max_hop_length"], folds=runs["folds"],
        fold_seed=runs["fold_seed"], n=runs["n"], seeds=runs["seeds"],
        table=M.markdown_table(rows),
        baselines_note=("\nBaselines on the same folds: %s.\n" % ", ".join(base)) if base
        else "", training=_training_text(cfg, pretrained),
        provenance=prov["provenance"] or "See %s." % prov["readme"],
        citations="\n".join("- " + c for c in prov["citations"]) or "- (none found)",
        created=created, revision=card["code_revision"])
    with open(os.path.join(out, "MODEL_CARD.md"), "w") as f:
        f.write(text)
    return manifest


def report(named_paths, out=None, title="Cross-validation report"):
    """A markdown table (and the figures as JSON beside it) of several runs."""
    rows = [(name, _load_metrics(path)) for name, path in named_paths]
    md = "# %s\n\n%s" % (title, M.markdown_table(rows))
    for name, m in rows:
        if "fold_mae" in m:
            md += "\n%s: fold MAE %s, fold R^2 %s" % (
                name, " ".join("%.3f" % x for x in m["fold_mae"]),
                " ".join("%.3f" % x for x in m["fold_r2"]))
    md += "\n"
    if out:
        with open(out, "w") as f:
            f.write(md)
        with open(os.path.splitext(out)[0] + ".json", "w") as f:
            json.dump({n: _short(m) for n, m in rows}, f, indent=1, default=float)
    return md


def _pairs(items):
    out = []
    for it in items:
        name, sep, path = it.partition("=")
        if not sep:
            raise SystemExit("expected NAME=PATH, got %r" % it)
        out.append((name, path))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("folds", help="k folds x S seeds")
    f.add_argument("config", nargs="?")
    f.add_argument("--folds", type=int, default=5)
    f.add_argument("--seeds", type=int, default=1)
    f.add_argument("--fold-seed", type=int, default=123)
    f.add_argument("--processes", type=int, default=1)
    f.add_argument("--device")
    f.add_argument("--run-dir")
    f.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    c = sub.add_parser("cache", help="graph cache of a config's data, in parallel")
    c.add_argument("config", nargs="?")
    c.add_argument("--processes", type=int, default=1)
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    e = sub.add_parser("epochs", help="epochs that fit a budget, from probe runs")
    e.add_argument("probes", nargs="+")
    e.add_argument("--budget", type=float, required=True)
    e.add_argument("--cap", type=int, required=True)
    e.add_argument("--min", type=int, default=1)
    b = sub.add_parser("build", help="ensemble directory from a folds run")
    b.add_argument("folds_dir")
    b.add_argument("--out", required=True)
    b.add_argument("--baseline", action="append", default=[], metavar="NAME=PATH")
    b.add_argument("--members", choices=("all", "first-seed"), default="all")
    b.add_argument("--data-dir")
    b.add_argument("--title")
    r = sub.add_parser("report", help="markdown table of runs")
    r.add_argument("runs", nargs="+", metavar="NAME=PATH")
    r.add_argument("--out")
    r.add_argument("--title", default="Cross-validation report")
    args = ap.parse_args(argv)
    if args.cmd == "cache":
        t0 = time.time()
        path = prebuild_cache(load_config(args.config, args.set), args.processes)
        print("cache %s (%.1f MB) in %.1f s" % (path, os.path.getsize(path) / 1e6,
                                              time.time() - t0))
    elif args.cmd == "folds":
        cfg = load_config(args.config, args.set)
        if args.device:
            cfg["device"] = args.device
        if args.run_dir:
            cfg["run_dir"] = args.run_dir
        s = fold_runs(cfg, args.folds, args.seeds, args.fold_seed, args.processes)
        m = s["metrics"]
        print("%s %d folds x %d seeds: MAE %.4f R^2 %.4f%s, %.1f s" % (
            s["name"], s["folds"], s["seeds"], m["mae"], m["r2"],
            (", rho(std,|err|) %.3f, cov(2std) %.3f, std_scale %.3g"
             % (m["spearman_std_abs_error"], m["coverage_2std"], m["std_scale"]))
            if "std_scale" in m else "", s["wall_seconds"]))
    elif args.cmd == "epochs":
        probes = []
        for p in args.probes:
            with open(os.path.join(p, "folds.json") if os.path.isdir(p) else p) as fh:
                probes.append(json.load(fh))
        print(choose_epochs(probes, args.budget, args.cap, args.min))
    elif args.cmd == "build":
        man = build(args.folds_dir, args.out, dict(_pairs(args.baseline)), args.members,
                    args.data_dir, args.title)
        print("wrote %s: %d members, std_scale %.4g" % (args.out, len(man["members"]),
                                                       man["std_scale"]))
    else:
        print(report(_pairs(args.runs), args.out, args.title), end="")


if __name__ == "__main__":
    main()
