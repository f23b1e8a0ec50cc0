"""Single-thread PyTorch CPU timing of a weights file, to compare with the C runtime
on the same weights and the same graph.

    from migbar_train.bench_torch import time_forward
    r = time_forward("tests/data/gnn/tiny_band.safetensors", atoms, nband=5, repeat=10)
    # r: {"graph_seconds", "forward_seconds" (median), "forward_min", "output", ...}

or  python3 -m migbar_train.bench_torch WEIGHTS STRUCTURE.json [--index i] [--nband 5]
(STRUCTURE.json: a JSON array in the ../shared/data layout, or one atoms object).
"""

import argparse
import json
import time

import numpy as np
import torch

from .export import load_model
from .graph import graph_from_atoms
from .model import collate


def time_forward(weights, atoms, nband=0, repeat=10, warmup=2, threads=1, dtype="float32"):
    """Load a safetensors file into the PyTorch model and time forward passes (graph
    building timed separately) with torch.set_num_threads(threads)."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model, _ = load_model(weights)
        model = model.double() if dtype == "float64" else model.float()
        t0 = time.perf_counter()
        g = graph_from_atoms(atoms, k=model.config["k"], nband=nband)
        t_graph = time.perf_counter() - t0
        batch = collate([g])
        times = []
        with torch.no_grad():
            for r in range(warmup + repeat):
                t0 = time.perf_counter()
                y = model.predict(batch)
                if r >= warmup:
                    times.append(time.perf_counter() - t0)
        return {"natoms": len(g["z"]), "nedges": int(len(g["src"])),
                "ntriplets": int(len(g["ta"])), "graph_seconds": t_graph,
                "forward_seconds": float(np.median(times)), "forward_min": float(min(times)),
                "repeat": repeat, "threads": threads, "torch": torch.__version__,
                "output": y[0].tolist()}
    finally:
        torch.set_num_threads(old)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights")
    ap.add_argument("structure")
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--nband", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args(argv)
    with open(args.structure) as f:
        d = json.load(f)
    if isinstance(d, list):
        d = d[args.index]
    atoms = d.get("atoms", d)
    print(json.dumps(time_forward(args.weights, atoms, args.nband, args.repeat)))


if __name__ == "__main__":
    main()
