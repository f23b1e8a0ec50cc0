"""Fixtures of the ensemble tests (tests/gnn/test_ensemble.c, bindings/python/tests): two
more tiny band models with random weights, a manifest joining them with
../tiny_band.safetensors, and the PyTorch ensemble's mean and spread on a few em bands.

From the repository root, with libmigbar built in BUILD:

    PYTHONPATH=bindings/python:train MIGBAR_LIBRARY=BUILD/lib/.libs/libmigbar.so \
      /usr/bin/python3 tests/data/gnn/ensemble/make_members.py --data ../shared/data

Writes member1.safetensors, member2.safetensors, ensemble.json and reference.json beside
this script (layout in README.md here). Deterministic: fixed seeds, fixed
entries, fixed migbar.created.
"""

import argparse
import json
import os

import numpy as np
import torch

from migbar_train.export import load_model, save_model
from migbar_train.graph import graph_from_atoms
from migbar_train.make_reference import CREATED, atoms_of, evaluate, randomize_norms
from migbar_train.model import MigbarNet, make_config

HERE = os.path.dirname(os.path.abspath(__file__))

# Small and fast: the members differ from tiny_band in size, norm and seed, but read the
# same band and predict the same output (em, eV).
MEMBER_CONFIG = dict(embedding=8, hidden=16, alignn_layers=1, gcn_layers=1, norm="layernorm",
                     band_flags=True, pooling="mean+attention", targets=["em"],
                     target_mean=[0.9], target_std=[0.7], target_units=["eV"])
SEEDS = {"member1.safetensors": 2024, "member2.safetensors": 2025}
MEMBERS = ["../tiny_band.safetensors", "member1.safetensors", "member2.safetensors"]
STD_SCALE = 1.5
DOMAIN = {"elements": ["Li", "Na", "Mg", "O", "F", "P", "S", "Mn", "Fe", "Co", "Ni"],
          "max_hop_length": 5.0}
ENTRIES = 3        # em bands of up to MAX_ATOMS atoms, the first ones of the file
MAX_ATOMS = 60


def make_member(seed):
    torch.manual_seed(seed)
    model = MigbarNet(make_config(**MEMBER_CONFIG))
    randomize_norms(model, torch.Generator().manual_seed(seed + 1))
    model.eval()
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    args = ap.parse_args(argv)
    for name, seed in SEEDS.items():
        save_model(make_member(seed), os.path.join(HERE, name),
                   training={"purpose": "ensemble test member; random weights, not trained",
                             "seed": seed}, created=CREATED)
    manifest = {"format": "migbar-ensemble", "version": 1, "members": MEMBERS,
                "std_scale": STD_SCALE, "domain": DOMAIN,
                "description": "test fixture: three tiny band models with random weights "
                               "(tests/data/gnn/ensemble/make_members.py), not trained"}
    with open(os.path.join(HERE, "ensemble.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    models = [load_model(os.path.join(HERE, m))[0] for m in MEMBERS]
    with open(os.path.join(args.data, "em", "train.json")) as f:
        em = json.load(f)
    picks = [i for i, e in enumerate(em) if len(e["atoms"]["elements"]) <= MAX_ATOMS][:ENTRIES]
    inputs = []
    for i in picks:
        atoms = atoms_of(em[i])
        g = graph_from_atoms(atoms, k=12, nband=5)
        y = np.array([evaluate(m, g)[0] for m in models])  # [members, P], float64
        inputs.append({"source": "em/train.json#%d %s" % (i, em[i]["sys_name"]),
                       "atoms": atoms, "nband": 5, "outputs": y.tolist(),
                       "mean": y.mean(axis=0).tolist(),
                       "std": (y.std(axis=0, ddof=1) * STD_SCALE).tolist()})
    ref = {"description": "Outputs (eV) of the members of ensemble.json computed by "
                          "train/migbar_train (PyTorch, float64 on the float32 weights); mean "
                          "and sample standard deviation (ddof 1) times std_scale by numpy.",
           "members": MEMBERS, "std_scale": STD_SCALE, "tolerance": 1e-4, "inputs": inputs}
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    for r in inputs:
        print("%-40s outputs %s mean %.6f std %.6f" % (
            r["source"], ["%.4f" % o[0] for o in r["outputs"]], r["mean"][0], r["std"][0]))


if __name__ == "__main__":
    main()
