"""Parity reference for the C runtime (lib/gnn): small random models and their
outputs on ~50 structures, computed in float64 from the float32 weights file.

    PYTHONPATH=bindings/python:train MIGBAR_LIBRARY=BUILD/lib/.libs/libmigbar.so \
      /usr/bin/python3 -m migbar_train.make_reference --data ../shared/data \
      --out tests/data/gnn

Writes tiny_band.safetensors, tiny_mpt.safetensors, the band-line-graph models
tiny_bandlg.safetensors and tiny_crystal_bandlg.safetensors (docs/model.md section 1.4)
and reference.json (layout in tests/data/gnn/README.md). Deterministic: fixed seeds, fixed selection of entries.
"""

import argparse
import json
import os
import time

import numpy as np
import torch

from .export import load_model, save_model
from .graph import graph_from_atoms, restrict_line_graph
from .model import MigbarNet, collate, make_config

CREATED = "2025-01-01T00:00:00+00:00"  # fixed, so that the files are reproducible

BAND_CONFIG = dict(embedding=16, hidden=32, alignn_layers=2, gcn_layers=2, norm="affine",
                   band_flags=True, pooling="mean+attention", targets=["em"],
                   target_mean=[0.9], target_std=[0.7], target_units=["eV"])
MPT_CONFIG = dict(embedding=16, hidden=24, alignn_layers=1, gcn_layers=1, norm="layernorm",
                  band_flags=False, pooling="mean", targets=["bg", "fe", "gv"],
                  target_mean=[0.1, -0.3, 0.5], target_std=[0.8, 1.2, 0.4],
                  target_units=["scaled", "scaled", "scaled"])

# The shape of the shipped CPU model (band line graph), and a crystal model with a band
# line graph, which has no triplets at all (nband = 0).
BANDLG_CONFIG = dict(BAND_CONFIG, line_graph="band")
CRYSTAL_BANDLG_CONFIG = dict(MPT_CONFIG, norm="affine", alignn_layers=2, line_graph="band",
                             targets=["bg"], target_mean=[0.1], target_std=[0.8],
                             target_units=["scaled"])


def atoms_of(entry):
    a = entry["atoms"]
    return {"lattice_mat": a["lattice_mat"], "coords": a["coords"], "elements": a["elements"],
            "cartesian": bool(a.get("cartesian", False))}


def to_cartesian(atoms):
    lat = np.asarray(atoms["lattice_mat"], dtype=np.float64)
    cart = np.asarray(atoms["coords"], dtype=np.float64) @ lat
    return {"lattice_mat": atoms["lattice_mat"], "coords": cart.tolist(),
            "elements": atoms["elements"], "cartesian": True}


def randomize_norms(model, gen):
    """Non-trivial norm parameters (gamma/beta or LayerNorm weight/bias)."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (torch.nn.BatchNorm1d, torch.nn.LayerNorm)):
                mod.weight.copy_(1.0 + 0.3 * torch.randn(mod.weight.shape, generator=gen))
                mod.bias.copy_(0.2 * torch.randn(mod.bias.shape, generator=gen))


def make_band_model(calib_graphs, config=BAND_CONFIG, seed=1234):
    torch.manual_seed(seed)
    model = MigbarNet(make_config(**config))
    randomize_norms(model, torch.Generator().manual_seed(99))
    # running statistics from a few training-mode passes (momentum 0.1 each)
    model.train()
    with torch.no_grad():
        for step in range(6):
            model(collate(calib_graphs[2 * step % len(calib_graphs):][:3]))
    model.eval()
    return model


def make_mpt_model():
    torch.manual_seed(4321)
    model = MigbarNet(make_config(**MPT_CONFIG))
    randomize_norms(model, torch.Generator().manual_seed(77))
    model.eval()
    return model


def pick_em(entries):
    """A fixed selection: sizes spread over the range, with ~100-200-atom bands and two or
    three of 500-1027 atoms."""
    n = np.array([len(e["atoms"]["elements"]) for e in entries])
    order = np.argsort(n, kind="stable")
    picks = []
    # smallest few
    picks += list(order[:6])
    # 100-200 atoms: every k-th of them
    mid = [i for i in order if 100 <= n[i] <= 200]
    picks += mid[:: max(1, len(mid) // 10)][:10]
    # 200-500
    big = [i for i in order if 200 < n[i] < 500]
    picks += big[:: max(1, len(big) // 4)][:4]
    # 500-1027: the smallest above 500 and the largest
    huge = [i for i in order if n[i] >= 500]
    picks += [huge[0], huge[len(huge) // 2], huge[-1]]
    seen, out = set(), []
    for i in picks:
        if int(i) not in seen:
            seen.add(int(i))
            out.append(int(i))
    return out


def pick_crystals(data_dir, per_file=3, max_atoms=12):
    out = []
    for prop in ("bg", "fe", "gv", "ebg", "ph", "dc", "pz"):
        with open(os.path.join(data_dir, "pretrain", prop + ".json")) as f:
            entries = json.load(f)
        small = [e for e in entries if len(e["atoms"]["elements"]) <= max_atoms]
        step = max(1, len(small) // per_file)
        out += [(prop, e) for e in small[::step][:per_file]]
    return out


def evaluate(model, graph):
    """(float64 outputs, float32 outputs) in target units."""
    batch = collate([graph])
    with torch.no_grad():
        m64 = model.double()
        y64 = m64.predict(batch)[0].tolist()
        m32 = model.float()
        y32 = m32.predict(batch)[0].tolist()
    return y64, y32


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", default="tests/data/gnn")
    args = ap.parse_args(argv)
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.data, "em", "train.json")) as f:
        em = json.load(f)
    k = 12

    calib = [graph_from_atoms(em[i]["atoms"], k=k, nband=5) for i in range(0, 60, 5)]
    band = make_band_model(calib)
    mpt = make_mpt_model()
    calib_lg = [graph_from_atoms(em[i]["atoms"], k=k, nband=5, line="band")
                for i in range(0, 60, 5)]
    bandlg = make_band_model(calib_lg, BANDLG_CONFIG, seed=2468)
    crystal_calib = [graph_from_atoms(em[i]["atoms"], k=k, nband=0, line="band")
                     for i in range(0, 60, 5)]
    crystal_lg = make_band_model(crystal_calib, CRYSTAL_BANDLG_CONFIG, seed=1357)
    files = {"tiny_band.safetensors": band, "tiny_mpt.safetensors": mpt,
             "tiny_bandlg.safetensors": bandlg, "tiny_crystal_bandlg.safetensors": crystal_lg}
    seeds = {"tiny_band.safetensors": 1234, "tiny_mpt.safetensors": 4321,
             "tiny_bandlg.safetensors": 2468, "tiny_crystal_bandlg.safetensors": 1357}
    training = {"purpose": "parity reference for lib/gnn; random weights, not trained",
                "seed": None}
    loaded = {}
    for name, model in files.items():
        path = os.path.join(args.out, name)
        training["seed"] = seeds[name]
        save_model(model, path, training=dict(training), created=CREATED)
        loaded[name], _ = load_model(path)  # the float32 weights as the C runtime sees them

    # the folded float32 model must agree with the BatchNorm model it came from
    g0 = collate([calib[0]])
    with torch.no_grad():
        d = (band.double()(g0) - loaded["tiny_band.safetensors"].double()(g0)).abs().max()
    print("fold check (float64, BN vs folded f32 weights): %.2e" % float(d))

    inputs = []
    for i in pick_em(em):
        e = em[i]
        inputs.append(("tiny_band.safetensors", "em/train.json#%d %s" % (i, e["sys_name"]),
                       atoms_of(e), 5))
    for i in pick_em(em)[:3] + [pick_em(em)[-3]]:
        e = em[i]
        inputs.append(("tiny_mpt.safetensors", "em/train.json#%d as a crystal" % i,
                       atoms_of(e), 0))
    for prop, e in pick_crystals(args.data):
        inputs.append(("tiny_mpt.safetensors", "pretrain/%s.json %s" % (prop, e.get("jid", "")),
                       atoms_of(e), 0))
    # two inputs in Cartesian coordinates
    inputs.append(("tiny_band.safetensors", "em/train.json#0 in Cartesian coordinates",
                   to_cartesian(atoms_of(em[0])), 5))
    inputs.append(("tiny_mpt.safetensors", inputs[-2][1] + " in Cartesian coordinates",
                   to_cartesian(inputs[-2][2]), 0))

    # the band line graph: bands of several sizes, a crystal (no triplets)
    for i in pick_em(em)[::2]:
        e = em[i]
        inputs.append(("tiny_bandlg.safetensors", "em/train.json#%d %s" % (i, e["sys_name"]),
                       atoms_of(e), 5))
    for i in pick_em(em)[1:8:3]:
        inputs.append(("tiny_crystal_bandlg.safetensors", "em/train.json#%d as a crystal" % i,
                       atoms_of(em[i]), 0))
    for prop, e in pick_crystals(args.data)[::4]:
        inputs.append(("tiny_crystal_bandlg.safetensors",
                       "pretrain/%s.json %s" % (prop, e.get("jid", "")), atoms_of(e), 0))

    records = []
    gap = 0.0
    for model_name, source, atoms, nband in inputs:
        g = graph_from_atoms(atoms, k=k, nband=nband)
        line = loaded[model_name].config.get("line_graph", "full")
        y64, y32 = evaluate(loaded[model_name], restrict_line_graph(g, line))
        gap = max(gap, max(abs(a - b) for a, b in zip(y64, y32)))
        records.append({"model": model_name, "source": source, "atoms": atoms, "nband": nband,
                        "natoms": len(g["z"]), "nedges": int(len(g["src"])),
                        "ntriplets": int(len(g["ta"])),
                        "ntriplets_model": int(len(restrict_line_graph(g, line)["ta"])),
                        "output": y64, "output_f32": y32})
    ref = {"description": "Outputs in target units of the models in this directory, computed by "
                          "train/migbar_train (PyTorch, float64 arithmetic on the float32 weights "
                          "of the files); graph of docs/model.md with k nearest neighbours.",
           "k": k, "tolerance": 1e-4, "max_gap_float32_float64": gap,
           "inputs": records}
    path = os.path.join(args.out, "reference.json")
    with open(path, "w") as f:
        json.dump(ref, f, indent=None, separators=(",", ":"))
        f.write("\n")
    sizes = [r["natoms"] for r in records]
    print("%d inputs (%d band, %d crystal), atoms %d..%d, max |f64 - f32| = %.2e, "
          "reference.json %d bytes, %.1f s"
          % (len(records), sum(r["nband"] > 0 for r in records),
             sum(r["nband"] == 0 for r in records), min(sizes), max(sizes), gap,
             os.path.getsize(path), time.time() - t0))


if __name__ == "__main__":
    main()
