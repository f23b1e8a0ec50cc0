"""Checkpoint -> safetensors weights file (docs/model.md section 5).

    python3 -m migbar_train.export RUN_DIR/checkpoint.pt OUT.safetensors [--cv cv.json]

The metadata holds migbar.config (the model config, keys in the order of
docs/model.md), migbar.training (data, seeds, CV figures when known),
migbar.code_revision (git rev-parse HEAD) and migbar.created (UTC, ISO 8601).
"""

import argparse
import datetime
import json
import math
import os
import subprocess

import torch

from . import safetensors
from .model import CONFIG_KEYS, MigbarNet, check_config, folded_model, folded_state


def code_revision():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def config_json(config):
    check_config(config)
    return json.dumps({k: config[k] for k in CONFIG_KEYS}, separators=(", ", ": "))


def _plain(x):
    """NaN/inf -> None, so that the metadata is strict JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def save_model(model, path, training=None, created=None):
    """Write a model (training form, BatchNorm folded, or folded form) to path."""
    meta = {"migbar.config": config_json(model.config),
            "migbar.training": json.dumps(_plain(training or {}), sort_keys=True, allow_nan=False),
            "migbar.code_revision": code_revision(),
            "migbar.created": created or datetime.datetime.now(datetime.timezone.utc)
            .replace(microsecond=0).isoformat()}
    safetensors.save(path, folded_state(model), meta)


def load_model(path):
    """The folded (inference) model of a weights file, in eval mode, float32, and its
    metadata."""
    tensors, meta = safetensors.load(path)
    if "migbar.config" not in meta:
        raise ValueError("%s: no migbar.config in the metadata" % path)
    config = json.loads(meta["migbar.config"])
    return folded_model(config, tensors), meta


def load_checkpoint(path, map_location="cpu"):
    ck = torch.load(path, map_location=map_location)
    model = MigbarNet(ck["config"])
    model.load_state_dict(ck["state_dict"])
    model.eval()
    return model, ck


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("output")
    ap.add_argument("--cv", help="JSON file of cross-validation figures (cv.py summary)")
    args = ap.parse_args(argv)
    model, ck = load_checkpoint(args.checkpoint)
    training = dict(ck.get("training", {}))
    if args.cv:
        with open(args.cv) as f:
            training["cv"] = json.load(f)
    save_model(model, args.output, training)
    print("wrote %s (%d bytes)" % (args.output, os.path.getsize(args.output)))


if __name__ == "__main__":
    main()
