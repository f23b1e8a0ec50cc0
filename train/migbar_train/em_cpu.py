"""The shipped E_m model, trained on a 2-core CPU machine within a wall-clock budget.

    python3 -m migbar_train.em_cpu [--data-dir ../shared/data] [--work train/runs/em-cpu]
        [--out models/em] [--budget 150] [--processes 2] [--seeds 2] [--folds 5]
        [--epochs-cap 40] [--pretrain-share 0.10] [--fresh] [--redo STAGE]

(`make train-em` runs it with the defaults.) Stages, each resumable (rerunning the same
command after an interruption continues where it stopped: every finished stage leaves a
marker in WORK/plan.json, every training run a checkpoint per epoch):

 1. graphs   k-nearest-neighbour graphs with the band line graph (docs/model.md section
             1.4) of em/train.json and of the 7 pre-training sets (cached in train/cache)
 2. plan     seconds per training step measured on this machine (2 processes at once),
             from which the epochs of pre-training and of the folds are chosen so that
             everything fits the budget (minutes, counted over all invocations)
 3. pretrain multi-property pre-training of the network on the 7 sets (both cores)
 4. folds    5-fold CV stratified by class (the folds of cv.py, fold seed 123), S seeds
             per fold, fine-tuned from the pre-trained model ("mpt") and from scratch
             ("scratch") with the same epochs and schedule: one process per core
 5. forest   the descriptor forest (extremely randomized trees on hop descriptors,
             baseline_rf's defaults) on the same folds, and one forest on all entries
             (the descriptor member)
 6. ship     the variant (mpt or scratch) with the lower CV MAE, its blend weight with
             the forest and the forest's share of the spread (chosen on the out-of-fold
             predictions), std_scale, the
             ensemble directory (members, ensemble.json, MODEL_CARD.md) and the CV
             report (WORK/report.md, report.json)

Progress goes to stderr, one line per epoch of every run with the time left. Past the
budget a running job stops after its current epoch (the report says so).
"""

import argparse
import json
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time

import numpy as np

from . import data as D
from .train import load_config, load_task

# The network for CPU (docs/model.md; sized in BENCHMARKS.md "Training on the CPU"):
# band line graph, 2 ALIGNN + 2 graph-convolution layers, hidden 64.
MODEL = {"embedding": 64, "hidden": 64, "alignn_layers": 2, "gcn_layers": 2,
         "norm": "affine", "line_graph": "band"}
FINETUNE = {"task": "finetune", "batch_size": 16, "lr": 1e-3, "weight_decay": 1e-5,
            "seed": 123, "device": "cpu", "k": 12, "num_threads": 1, "deterministic": True}
PRETRAIN = {"task": "pretrain", "batch_size": 64, "lr": 2e-3, "weight_decay": 1e-5,
            "seed": 123, "device": "cpu", "k": 12, "num_threads": 2, "val_fraction": 0.05,
            "deterministic": True}
FOLD_SEED = 123  # configs/finetune.toml's seed: the folds of cv.py and baseline_rf


def say(msg):
    print("[em_cpu %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Plan:
    """WORK/plan.json: options, stage markers, and the wall time of every invocation
    ([start, last seen] pairs, the last refreshed every 30 s and at every stage), so
    that the budget counts the time of invocations that were killed too."""

    def __init__(self, work, options, fresh=False):
        self.path = os.path.join(work, "plan.json")
        os.makedirs(work, exist_ok=True)
        self.d = {}
        if os.path.exists(self.path) and not fresh:
            with open(self.path) as f:
                self.d = json.load(f)
            old = dict({"smoke": False}, **self.d.get("options", {}))
            old["budget"] = options["budget"]
            if old != options:
                raise SystemExit("%s was made with other options %s; rerun with --fresh "
                                 "or the same options" % (self.path, self.d.get("options")))
        self.d["options"] = options  # (the budget may change between invocations)
        self.d.setdefault("stages", {})
        self.d.setdefault("invocations", [])
        if self.d.get("spent_before"):  # plan.json of an earlier version
            self.d["invocations"].append([0.0, float(self.d.pop("spent_before"))])
        now = time.time()
        self.d["invocations"].append([now, now])
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.save()
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def _heartbeat(self):
        while not self.stop.wait(30.0):
            self.save()

    def spent(self):
        done = sum(b - a for a, b in self.d["invocations"][:-1])
        return done + (time.time() - self.d["invocations"][-1][0])

    def done(self, stage):
        return stage in self.d["stages"]

    def mark(self, stage, **info):
        info["at_minutes"] = round(self.spent() / 60.0, 2)
        self.d["stages"][stage] = info
        self.save()

    def save(self):
        with self.lock:
            self.d["invocations"][-1][1] = time.time()
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.d, f, indent=1, default=float)
            os.replace(tmp, self.path)

    def close(self):
        self.stop.set()
        self.save()


def base_config(opts, extra, run_dir):
    cfg = load_config(None, [])
    cfg.update(extra)
    if opts.get("smoke"):  # a small subset of everything (tests of the pipeline)
        cfg["max_entries"] = 60 if extra["task"] == "finetune" else 20
    cfg["model"] = dict(MODEL)
    cfg["data_dir"] = opts["data_dir"]
    cfg["cache_dir"] = opts["cache_dir"]
    cfg["run_dir"] = run_dir
    return cfg


# --- 1. graphs ----------------------------------------------------------------------------

def stage_graphs(opts, plan):
    from .ensemble import prebuild_cache  # noqa: PLC0415
    t0 = time.time()
    for extra in (FINETUNE, PRETRAIN):
        cfg = base_config(opts, extra, os.path.join(opts["work"], "unused"))
        path = prebuild_cache(cfg, opts["processes"])
        say("graphs: %s (%.0f MB)" % (path, os.path.getsize(path) / 1e6))
    plan.mark("graphs", seconds=time.time() - t0)


# --- 2. plan: time per step -------------------------------------------------------------

def _time_steps(args):
    """Seconds per entry of a training step (forward + backward + AdamW), median of
    `reps` batches, on `threads` threads."""
    import torch  # noqa: PLC0415
    from .model import MigbarNet, collate  # noqa: PLC0415
    from .train import masked_l1, model_config  # noqa: PLC0415
    cfg, threads, reps = args
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    entries, gs, targets, units, _ = load_task(cfg)
    model = MigbarNet(model_config(cfg, targets, units))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(1)
    bs = int(cfg["batch_size"])
    out = []
    for _ in range(reps + 1):
        idx = rng.choice(len(gs), size=bs, replace=False)
        t = time.time()
        batch = collate([gs[i] for i in idx])
        y = torch.tensor(np.stack([entries[i]["y"] for i in idx]), dtype=torch.float32)
        loss = masked_l1(model(batch), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append((time.time() - t) / bs)
    return float(np.median(out[1:])), len(gs)


def stage_plan(opts, plan):
    ft = base_config(opts, FINETUNE, os.path.join(opts["work"], "probe"))
    pt = base_config(opts, PRETRAIN, os.path.join(opts["work"], "probe"))
    # Fine-tuning steps with both cores busy, as the fold runs will be.
    with mp.get_context("spawn").Pool(2) as pool:
        res = pool.map(_time_steps, [(ft, 1, 6), (ft, 1, 6)])
    t_band = max(r[0] for r in res)
    n_em = res[0][1]
    t_crystal, n_pre = _time_steps((pt, 2, 6))
    budget = opts["budget"] * 60.0
    left = budget - plan.spent()
    reserve = 240.0 + 60.0  # the forest and shipping stage, and start-up of the runs
    pre_s = opts["pretrain_share"] * budget
    ntrain_pre = n_pre * (1 - PRETRAIN["val_fraction"])
    # per epoch: training steps, plus the validation forward passes (~1/3 of a step)
    pre_epoch = t_crystal * (ntrain_pre + n_pre * PRETRAIN["val_fraction"] / 3) * 1.05
    pre_epochs = int(max(1, min(opts["pretrain_epochs_cap"], pre_s // pre_epoch)))
    nval = math.ceil(n_em / opts["folds"])
    fold_epoch = t_band * ((n_em - nval) + nval / 3.0) * 1.05
    jobs = 2 * opts["folds"] * opts["seeds"]
    rounds = math.ceil(jobs / opts["processes"])
    fold_s = left - reserve - pre_epochs * pre_epoch
    epochs = int(max(min(5, opts["epochs_cap"]),
                     min(opts["epochs_cap"], fold_s // (rounds * fold_epoch))))
    info = {"seconds_per_band_step": t_band, "seconds_per_crystal_step_2threads": t_crystal,
            "em_entries": n_em, "pretrain_entries": n_pre,
            "pretrain_epoch_seconds_est": pre_epoch, "pretrain_epochs": pre_epochs,
            "fold_epoch_seconds_est": fold_epoch, "fold_jobs": jobs, "fold_epochs": epochs,
            "estimated_total_minutes": (plan.spent() + pre_epochs * pre_epoch
                                        + rounds * epochs * fold_epoch + reserve) / 60.0}
    say("plan: %.3f s per band step (2 processes), %.4f s per crystal step (2 threads); "
        "pre-training %d epochs (~%.0f s each), %d fold runs x %d epochs (~%.0f s each); "
        "estimated total %.0f of %.0f min"
        % (t_band, t_crystal, pre_epochs, pre_epoch, jobs, epochs, fold_epoch,
           info["estimated_total_minutes"], opts["budget"]))
    plan.mark("plan", **info)


# --- 3. pre-training ----------------------------------------------------------------------

def _progress(label, total, t_start):
    first = []  # the first epoch this invocation runs (a resumed run starts later)

    def cb(rec):
        done = rec["epoch"]
        if not first:
            first.append(done - 1)
        eta = (time.time() - t_start) / max(1, done - first[0]) * (total - done)
        mae = rec.get("val_mae")
        say("%s epoch %d/%d loss %.4f%s %.0f s (run ends in ~%.0f min)"
            % (label, done, total, rec["train_loss"],
               (" val MAE %.4f" % float(np.nanmean(mae))) if mae else "", rec["seconds"],
               eta / 60.0))
    return cb


def stage_pretrain(opts, plan):
    from .train import run  # noqa: PLC0415
    epochs = plan.d["stages"]["plan"]["pretrain_epochs"]
    cfg = base_config(opts, PRETRAIN, os.path.join(opts["work"], "pretrain"))
    cfg["epochs"] = epochs
    deadline = time.time() + (opts["budget"] * 60.0 - plan.spent())
    res = run(cfg, progress=_progress("pretrain", epochs, time.time()), deadline=deadline)
    plan.mark("pretrain", checkpoint=res["checkpoint"], epochs=res["epochs_done"],
              val_mae=res.get("val_mae"), seconds=res["seconds_total"],
              stopped_early=res["stopped_early"])


# --- 4. folds -----------------------------------------------------------------------------

def _fold_job(args):
    """One fold run; a run that would not end before the deadline (its estimated time,
    from the plan's seconds per epoch and what the run has done so far) is not started
    and comes back as "skipped", so that the budget is never spent on a model cut short."""
    from .train import run  # noqa: PLC0415
    cfg, label, tr, va, deadline, epoch_s = args
    t0 = time.time()
    done = 0
    state = os.path.join(cfg["run_dir"], "state.pt")
    if os.path.exists(os.path.join(cfg["run_dir"], "result.json")):
        done = int(cfg["epochs"])
    elif os.path.exists(state):
        import torch  # noqa: PLC0415
        done = int(torch.load(state, map_location="cpu")["epoch"])
    need = (int(cfg["epochs"]) - done) * epoch_s
    if deadline is not None and done < int(cfg["epochs"]) and t0 + need > deadline:
        say("%s: skipped (needs ~%.0f min, %.0f min left)"
            % (label, need / 60, max(0.0, deadline - t0) / 60))
        return {"label": label, "skipped": True, "run_dir": cfg["run_dir"]}
    res = run(cfg, tr, va, progress=_progress(label, int(cfg["epochs"]), t0), deadline=deadline)
    return {"label": label, "run_dir": cfg["run_dir"], "checkpoint": res["checkpoint"],
            "val_index": res["val_index"], "val_pred": [p[0] for p in res["val_pred"]],
            "mae": res["val_mae"][0], "r2": res["val_r2"][0], "epochs": res["epochs_done"],
            "stopped_early": res["stopped_early"], "skipped": False,
            "epoch_seconds": [h["seconds"] for h in res["history"]]}


def fold_indices(opts):
    entries = D.load_em(opts["data_dir"])
    if opts.get("smoke"):
        entries = entries[:60]
    folds = D.stratified_folds([e["class"] for e in entries], opts["folds"], seed=FOLD_SEED)
    return entries, folds


def stage_folds(opts, plan):
    entries, folds = fold_indices(opts)
    epochs = plan.d["stages"]["plan"]["fold_epochs"]
    pre_ck = plan.d["stages"]["pretrain"]["checkpoint"]
    deadline = time.time() + (opts["budget"] * 60.0 - plan.spent() - 240.0)
    # seconds per epoch of one run with both cores busy: the plan's estimate, or what
    # the runs of an earlier invocation measured, with a margin
    epoch_s = 1.15 * max(plan.d["stages"]["plan"]["fold_epoch_seconds_est"],
                         _measured_epoch_seconds(opts["work"]))
    jobs = []
    for s in range(opts["seeds"]):          # seed-major: every fold's seed 0 comes first
        for variant in ("mpt", "scratch"):
            for i, va in enumerate(folds):
                cfg = base_config(opts, FINETUNE, os.path.join(
                    opts["work"], variant, "fold-%d-seed-%d" % (i, s)))
                cfg["epochs"] = epochs
                cfg["seed"] = FINETUNE["seed"] + s
                cfg["init_checkpoint"] = pre_ck if variant == "mpt" else None
                tr = sorted(set(range(len(entries))) - set(va))
                jobs.append((cfg, "%s fold %d seed %d" % (variant, i, s), tr, va, deadline,
                             epoch_s))
    say("folds: %d runs of %d epochs on %d processes" % (len(jobs), epochs, opts["processes"]))
    with mp.get_context("spawn").Pool(opts["processes"]) as pool:
        results = pool.map(_fold_job, jobs, chunksize=1)
    out = os.path.join(opts["work"], "folds.json")
    with open(out, "w") as f:
        json.dump({"folds": folds, "runs": results}, f, default=float)
    plan.mark("folds", path=out, runs=len(results),
              skipped=sum(r["skipped"] for r in results),
              stopped_early=sum(r.get("stopped_early", False) for r in results))


def _measured_epoch_seconds(work):
    """Median seconds per epoch of the fold runs' epochs so far (0 when none)."""
    import glob  # noqa: PLC0415
    secs = []
    for log in glob.glob(os.path.join(work, "*", "fold-*", "train.log")):
        with open(log) as f:
            for line in f:
                if '"event": "epoch"' in line:
                    secs.append(json.loads(line)["seconds"])
    return float(np.median(secs)) if secs else 0.0


# --- 5. the descriptor forest -------------------------------------------------------------

# baseline_rf's defaults (the --search winner by CV MAE): extremely randomized trees on
# log E_m, the median of the trees; an odd number of trees, so the median is one tree's
FOREST = {"features": "full", "trees": 301, "max_features": 1.0, "min_leaf": 1,
          "log_target": True, "kind": "extra-trees", "aggregate": "median"}


def stage_forest(opts, plan):
    from . import baseline_rf as RF  # noqa: PLC0415
    from . import descriptors as DS  # noqa: PLC0415
    from . import forest as FO  # noqa: PLC0415
    t0 = time.time()
    entries, folds = fold_indices(opts)
    rows = [{"atoms": e["atoms"]} for e in entries]
    y = np.array([float(e["y"][0]) for e in entries])
    elements = DS.data_elements(rows)
    X, names = DS.descriptor_matrix(rows, elements, FOREST["features"])
    trees = 21 if opts.get("smoke") else FOREST["trees"]
    pred, std, fid = RF.cross_validate(X, y, folds, trees, FOREST["max_features"],
                                       FOREST["min_leaf"], FOREST["log_target"], seed=0,
                                       jobs=opts["processes"], kind=FOREST["kind"],
                                       aggregate=FOREST["aggregate"])
    rf = RF.make_forest(FOREST["kind"], trees, FOREST["max_features"], FOREST["min_leaf"],
                        seed=0, jobs=opts["processes"])
    rf.fit(X, np.log(y))
    path = os.path.join(opts["work"], "forest.safetensors")
    FO.write_forest(path, rf, elements, feature_set=FOREST["features"], log_target=True,
                    aggregate=FOREST["aggregate"],
                    metadata={"migbar.training": json.dumps(
                        {"data": "em/train.json", "n": len(y), "params": dict(FOREST, trees=trees),
                         "cv_folds": opts["folds"], "fold_seed": FOLD_SEED})})
    out = os.path.join(opts["work"], "forest_oof.json")
    with open(out, "w") as f:
        json.dump({"pred": pred.tolist(), "std": std.tolist(), "fold": fid.tolist(),
                   "params": dict(FOREST, trees=trees), "features": names}, f)
    say("forest: CV MAE %.4f, %d features, %d trees, %.0f s"
        % (float(np.abs(pred - y).mean()), X.shape[1], trees, time.time() - t0))
    plan.mark("forest", path=path, oof=out, seconds=time.time() - t0)


# --- 6. ship --------------------------------------------------------------------------------

def stage_ship(opts, plan):
    from .ship import ship  # noqa: PLC0415
    ship(opts, plan.d, say)
    plan.mark("ship", out=opts["out"])


# --- driver -------------------------------------------------------------------------------

STAGES = [("graphs", stage_graphs), ("plan", stage_plan), ("pretrain", stage_pretrain),
          ("folds", stage_folds), ("forest", stage_forest), ("ship", stage_ship)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("MIGBAR_DATA", "../shared/data"))
    ap.add_argument("--work", default="train/runs/em-cpu")
    ap.add_argument("--out", default="models/em")
    ap.add_argument("--cache-dir", default="train/cache")
    ap.add_argument("--budget", type=float, default=150.0, help="minutes, all stages")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs-cap", type=int, default=40)
    ap.add_argument("--pretrain-epochs-cap", type=int, default=30)
    ap.add_argument("--pretrain-share", type=float, default=0.12)
    ap.add_argument("--fresh", action="store_true", help="forget earlier progress")
    ap.add_argument("--redo", choices=[name for name, _ in STAGES],
                    help="run this stage and the ones after it again, keeping the earlier "
                    "ones (e.g. --redo forest after a change of the forest's settings)")
    ap.add_argument("--smoke", action="store_true",
                    help="a test of the pipeline: 60 bands, 20 crystals per property, "
                    "20 trees (use with small --epochs-cap and --pretrain-epochs-cap)")
    args = ap.parse_args(argv)
    opts = {"data_dir": args.data_dir, "work": args.work, "out": args.out,
            "cache_dir": args.cache_dir, "budget": args.budget, "processes": args.processes,
            "seeds": args.seeds, "folds": args.folds, "epochs_cap": args.epochs_cap,
            "pretrain_epochs_cap": args.pretrain_epochs_cap,
            "pretrain_share": args.pretrain_share, "smoke": args.smoke}
    if not os.path.exists(os.path.join(args.data_dir, "em", "train.json")):
        raise SystemExit("no em/train.json under %s: pass --data-dir or set MIGBAR_DATA"
                         % args.data_dir)
    if args.fresh and os.path.isdir(args.work):
        import shutil  # noqa: PLC0415
        shutil.rmtree(args.work)
    plan = Plan(args.work, opts, args.fresh)
    if args.redo:
        names = [name for name, _ in STAGES]
        for name in names[names.index(args.redo):]:
            plan.d["stages"].pop(name, None)
        plan.save()
    # SIGTERM (kill, a session's end) as Ctrl-C: the plan is saved on the way out
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for name, fn in STAGES:
            if plan.done(name):
                say("%s: done earlier" % name)
                continue
            say("%s: starting (%.1f of %.0f min spent)" % (name, plan.spent() / 60, args.budget))
            fn(opts, plan)
    finally:
        plan.close()
    say("finished in %.1f min (budget %.0f)" % (plan.spent() / 60, args.budget))


if __name__ == "__main__":
    main()
