"""Pre-training (multi-property, masked L1) and fine-tuning (migration bands) of the
graph network.

    python3 -m migbar_train.train CONFIG.{json,toml} [--device cuda] [--run-dir DIR]
                                  [--set key=value ...]

Config keys (defaults in DEFAULTS): task "pretrain" | "finetune" | "single";
data_dir; model (overrides of the model config of docs/model.md); epochs, batch_size,
lr (OneCycle peak), weight_decay, seed, device, k, val_fraction, max_entries
(pretrain: per property file; finetune: first n bands), init_checkpoint (finetune from a
pre-trained checkpoint, all layers trainable; none = from scratch), cache_dir, run_dir,
num_threads, deterministic. The same config and seed give the same model on the same
device and library versions.

A run directory gets config.json (the full config), train.log (one JSON object per line:
config, per-epoch losses and timing, final metrics) and checkpoint.pt (model config,
state_dict, training provenance).
"""

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch

from . import data as D
from .model import MigbarNet, collate, make_config

DEFAULTS = {
    "task": "finetune", "data_dir": "../shared/data", "single_path": "jarvis2d/train.json",
    "model": {}, "epochs": 100, "batch_size": 16, "lr": 1e-3, "weight_decay": 1e-5,
    "seed": 123, "device": "cpu", "k": 12, "val_fraction": 0.1, "max_entries": None,
    "init_checkpoint": None, "cache_dir": "train/cache", "run_dir": "train/runs/run",
    "num_threads": None, "deterministic": True, "eval_batch_size": 32,
}


def load_config(path=None, overrides=None):
    cfg = copy.deepcopy(DEFAULTS)
    if path:
        if path.endswith(".toml"):
            import tomllib  # noqa: PLC0415 (Python 3.11)
            with open(path, "rb") as f:
                user = tomllib.load(f)
        else:
            with open(path) as f:
                user = json.load(f)
        unknown = set(user) - set(DEFAULTS)
        if unknown:
            raise KeyError("%s: unknown config keys %s" % (path, sorted(unknown)))
        cfg.update(user)
    for kv in overrides or []:
        key, _, val = kv.partition("=")
        try:
            val = json.loads(val)
        except json.JSONDecodeError:
            pass
        if key.startswith("model."):
            cfg["model"][key[6:]] = val
        elif key in DEFAULTS:
            cfg[key] = val
        else:
            raise KeyError("unknown config key %r" % key)
    return cfg


class RunLog:
    def __init__(self, run_dir):
        os.makedirs(run_dir, exist_ok=True)
        self.path = os.path.join(run_dir, "train.log")
        self.f = open(self.path, "a")

    def event(self, **kw):
        kw.setdefault("time", time.strftime("%Y-%m-%dT%H:%M:%S"))
        self.f.write(json.dumps(kw, default=float) + "\n")
        self.f.flush()

    def text(self, msg):
        print(msg, flush=True)
        self.event(message=msg)

    def close(self):
        self.f.close()


def seed_everything(seed, deterministic=True):
    torch.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))
    if deterministic:
        # index_add_ on CUDA is atomic (non-deterministic) unless this is set
        torch.use_deterministic_algorithms(True, warn_only=True)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def masked_l1(pred, target):
    """Mean over properties of the L1 loss over the entries that have that property
    (NaN = missing); properties without any value in the batch are left out."""
    have = ~torch.isnan(target)
    diff = torch.where(have, (pred - torch.nan_to_num(target)).abs(), torch.zeros_like(pred))
    count = have.sum(0)
    per_prop = diff.sum(0) / count.clamp(min=1)
    used = count > 0
    return per_prop[used].mean() if bool(used.any()) else pred.sum() * 0.0


def target_scaling(ys):
    """Per-property mean and std over the present values (std 1 when undefined)."""
    ys = np.asarray(ys, dtype=np.float64)
    mean, std = [], []
    for p in range(ys.shape[1]):
        v = ys[:, p][~np.isnan(ys[:, p])]
        mean.append(float(v.mean()) if v.size else 0.0)
        s = float(v.std()) if v.size > 1 else 1.0
        std.append(s if s > 1e-12 else 1.0)
    return mean, std


def load_task(cfg, log=None):
    """(entries, graphs, targets, units, name) of the configured task."""
    task = cfg["task"]
    if task == "pretrain":
        entries, props = D.load_pretrain(cfg["data_dir"], max_per_property=cfg["max_entries"],
                                         seed=cfg["seed"])
        targets, units, name = props, ["scaled"] * len(props), "pretrain"
    elif task == "finetune":
        entries = D.load_em(cfg["data_dir"])
        if cfg["max_entries"]:
            entries = entries[:int(cfg["max_entries"])]
        targets, units, name = ["em"], ["eV"], "em"
    elif task == "single":
        entries = D.load_single(cfg["data_dir"], cfg["single_path"])
        if cfg["max_entries"]:
            entries = entries[:int(cfg["max_entries"])]
        targets, units = ["y"], ["scaled"]
        name = os.path.splitext(cfg["single_path"].replace("/", "-"))[0]
    else:
        raise ValueError("unknown task %r" % task)
    gs = D.graphs(entries, k=cfg["k"], cache_dir=cfg["cache_dir"], name=name,
                  log=log.text if log else None, line=line_mode(cfg))
    return entries, gs, targets, units, name


def line_mode(cfg):
    """The line graph of the configured model ("full" unless model.line_graph says)."""
    return cfg["model"].get("line_graph", "full")


def model_config(cfg, targets, units):
    """The model config of docs/model.md: pretrain/single -> crystal model (no band
    flags, mean pooling), finetune -> band model (band flags, mean+attention), then the
    config's "model" overrides."""
    if cfg["task"] == "finetune":
        over = {"band_flags": True, "pooling": "mean+attention"}
    else:
        over = {"band_flags": False, "pooling": "mean"}
    over.update(cfg["model"])
    over.update({"k": cfg["k"], "targets": list(targets), "target_units": list(units),
                 "target_mean": [0.0] * len(targets), "target_std": [1.0] * len(targets)})
    return make_config(**over)


def init_from_checkpoint(model, path, log):
    """Copy every tensor of a pre-trained checkpoint whose name and shape match; the
    atom_mlp input that gained a band-flag column gets the old columns and a zero column.
    The head (other targets) and attention stay freshly initialised. All layers train."""
    ck = torch.load(path, map_location="cpu")
    own = model.state_dict()
    copied, skipped = 0, []
    with torch.no_grad():
        for name, t in ck["state_dict"].items():
            if name not in own:
                skipped.append(name)
                continue
            if own[name].shape == t.shape:
                own[name].copy_(t)
                copied += 1
            elif name == "atom_mlp.linear.weight" and own[name].shape[1] == t.shape[1] + 1:
                own[name][:, :t.shape[1]].copy_(t)
                own[name][:, t.shape[1]:].zero_()
                copied += 1
            else:
                skipped.append(name)
    log.text("initialised from %s: %d tensors copied, not copied: %s"
             % (path, copied, ", ".join(skipped) or "none"))
    return ck.get("training", {})


def evaluate(model, gs, ys, idx, device, batch_size):
    """Predictions in target units for idx, and the MAE / R^2 per property."""
    model.eval()
    preds = []
    with torch.no_grad():
        for b in D.batches(len(idx), batch_size):
            batch = collate([gs[i] for i in idx[b]], device)
            preds.append(model.predict(batch).cpu().numpy())
    pred = np.concatenate(preds) if preds else np.zeros((0, ys.shape[1]))
    true = ys[idx]
    mae, r2 = [], []
    for p in range(ys.shape[1]):
        have = ~np.isnan(true[:, p])
        if not have.any():
            mae.append(float("nan"))
            r2.append(float("nan"))
            continue
        err = pred[have, p] - true[have, p]
        mae.append(float(np.abs(err).mean()))
        tss = float(((true[have, p] - true[have, p].mean()) ** 2).sum())
        r2.append(1.0 - float((err ** 2).sum()) / tss if tss > 0 else float("nan"))
    return pred, mae, r2


def split(n, val_fraction, seed):
    rng = np.random.default_rng(seed + 7)
    idx = rng.permutation(n)
    nval = int(round(n * val_fraction))
    return np.sort(idx[nval:]), np.sort(idx[:nval])


def _same_run(run_dir, cfg):
    """True when run_dir holds a run of this very config (so it may be resumed)."""
    try:
        with open(os.path.join(run_dir, "config.json")) as f:
            return json.load(f) == json.loads(json.dumps(cfg))
    except (OSError, ValueError):
        return False


def run(cfg, train_idx=None, val_idx=None, loaded=None, progress=None, deadline=None):
    """Train one model; returns a dict of results (metrics, paths). train_idx/val_idx
    select the entries (cross-validation folds); else a random val_fraction split.

    Resumable: after every epoch the model, optimiser and schedule go to
    RUN_DIR/state.pt, and a finished run leaves RUN_DIR/result.json; calling run again
    with the same config continues from the last epoch (or returns the finished result),
    with the same weights as an uninterrupted run. progress(rec) is called after every
    epoch; past `deadline` (time.time() value) the run stops after the current epoch
    and its result says "stopped_early"."""
    run_dir = cfg["run_dir"]
    os.makedirs(run_dir, exist_ok=True)
    resumable = _same_run(run_dir, cfg)
    result_path = os.path.join(run_dir, "result.json")
    if resumable and os.path.exists(result_path):
        with open(result_path) as f:
            return json.load(f)
    if not resumable:
        for stale in ("state.pt", "result.json", "train.log"):
            if os.path.exists(os.path.join(run_dir, stale)):
                os.remove(os.path.join(run_dir, stale))
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    log = RunLog(run_dir)
    log.event(event="config", config=cfg, torch=torch.__version__, argv=sys.argv)
    if cfg["num_threads"]:
        torch.set_num_threads(int(cfg["num_threads"]))
    seed_everything(int(cfg["seed"]), cfg["deterministic"])
    device = torch.device(cfg["device"])

    t0 = time.time()
    entries, gs, targets, units, name = loaded or load_task(cfg, log)
    ys = np.stack([e["y"] for e in entries])
    if train_idx is None:
        train_idx, val_idx = split(len(entries), cfg["val_fraction"], int(cfg["seed"]))
    train_idx, val_idx = np.asarray(train_idx), np.asarray(val_idx)
    t_data = time.time() - t0

    model = MigbarNet(model_config(cfg, targets, units))
    provenance = {}
    if cfg["init_checkpoint"]:
        provenance = init_from_checkpoint(model, cfg["init_checkpoint"], log)
    mean, std = target_scaling(ys[train_idx])
    model.set_target_scaling(mean, std)
    model.to(device)
    ys_scaled = (ys - np.array(mean)) / np.array(std)

    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    steps = max(1, int(np.ceil(len(train_idx) / cfg["batch_size"])))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"],
                                                epochs=int(cfg["epochs"]), steps_per_epoch=steps)
    log.text("%s: %d train, %d validation entries, %d parameters, targets %s, device %s"
             % (name, len(train_idx), len(val_idx), sum(p.numel() for p in model.parameters()),
                targets, device))
    history, first_epoch = [], 0
    state_path = os.path.join(run_dir, "state.pt")
    if os.path.exists(state_path):
        st = torch.load(state_path, map_location="cpu")
        model.load_state_dict(st["model"])
        model.to(device)
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        history, first_epoch = st["history"], int(st["epoch"])
        log.text("resumed after epoch %d from %s" % (first_epoch, state_path))
    stopped_early = False
    for epoch in range(first_epoch, int(cfg["epochs"])):
        if deadline is not None and time.time() > deadline:
            stopped_early = True
            log.text("deadline reached: stopped after %d of %d epochs" % (epoch, cfg["epochs"]))
            break
        te = time.time()
        model.train()
        rng = np.random.default_rng(int(cfg["seed"]) * 1000 + epoch)
        total, nb = 0.0, 0
        for b in D.batches(len(train_idx), cfg["batch_size"], rng):
            idx = train_idx[b]
            batch = collate([gs[i] for i in idx], device)
            target = torch.tensor(ys_scaled[idx], dtype=torch.float32, device=device)
            loss = masked_l1(model(batch), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
            nb += 1
        rec = {"event": "epoch", "epoch": epoch + 1, "train_loss": total / max(nb, 1),
               "lr": sched.get_last_lr()[0], "seconds": time.time() - te}
        if len(val_idx):
            _, mae, r2 = evaluate(model, gs, ys, val_idx, device, cfg["eval_batch_size"])
            rec.update(val_mae=mae, val_r2=r2)
        history.append(rec)
        log.event(**rec)
        tmp = state_path + ".tmp"
        torch.save({"epoch": epoch + 1, "model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "history": history}, tmp)
        os.replace(tmp, state_path)
        if progress:
            progress(rec)
        else:
            print("epoch %d loss %.4f %s %.1f s" % (epoch + 1, rec["train_loss"],
                  ("val MAE " + " ".join("%.4f" % m for m in rec["val_mae"]))
                  if "val_mae" in rec else "", rec["seconds"]), flush=True)

    result = {"task": cfg["task"], "targets": targets, "ntrain": int(len(train_idx)),
              "nval": int(len(val_idx)), "seconds_data": t_data,
              "seconds_total": time.time() - t0, "history": history,
              "epochs_done": len(history), "stopped_early": stopped_early}
    if len(val_idx):
        pred, mae, r2 = evaluate(model, gs, ys, val_idx, device, cfg["eval_batch_size"])
        result.update(val_mae=mae, val_r2=r2, val_index=val_idx.tolist(),
                      val_pred=pred.tolist(), val_true=ys[val_idx].tolist())
    training = {"task": cfg["task"], "data_dir": cfg["data_dir"],
                "data": sorted({e["source"].split("#")[0] for e in entries}), "seed": cfg["seed"], "epochs": cfg["epochs"],
                "ntrain": int(len(train_idx)), "nval": int(len(val_idx)),
                "val_mae": result.get("val_mae"), "val_r2": result.get("val_r2")}
    if provenance:
        training["pretrained"] = provenance
    model.cpu()
    ck_path = os.path.join(run_dir, "checkpoint.pt")
    torch.save({"config": model.config, "state_dict": model.state_dict(), "training": training,
                "train_config": cfg}, ck_path)
    result["checkpoint"] = ck_path
    log.event(event="done", **{k: v for k, v in result.items()
                               if k not in ("history", "val_pred", "val_true", "val_index")})
    log.close()
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, default=float)
    os.replace(tmp, result_path)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?")
    ap.add_argument("--device")
    ap.add_argument("--run-dir")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    cfg = load_config(args.config, args.set)
    if args.device:
        cfg["device"] = args.device
    if args.run_dir:
        cfg["run_dir"] = args.run_dir
    res = run(cfg)
    print(json.dumps({k: res[k] for k in ("task", "ntrain", "nval", "seconds_total")
                      + (("val_mae", "val_r2") if "val_mae" in res else ())}))


if __name__ == "__main__":
    main()
