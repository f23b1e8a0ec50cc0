"""Seconds per migration band of one training step (forward + backward + AdamW) of the
graph network in PyTorch on the CPU, for network shapes and line graphs side by side in
one run (docs/model.md section 1.4: the band line graph). The figures chose the shipped
CPU network (train/migbar_train/em_cpu.py); BENCHMARKS.md "Training on the CPU".

    PYTHONPATH=bindings/python:train MIGBAR_LIBRARY=build/lib/.libs/libmigbar.so \
        /usr/bin/python3 bench/bench_train_step.py [--data ../shared/data] [--threads 1]
        [--batches 3] [--skip-full]

Each shape runs `batches` batches of 16 bands drawn at random (the same bands for every
shape) after one warm-up batch; the table gives the median per band and the triplets per
band. The machine may be shared: compare the rows of one run, not runs.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))

from migbar_train import data as D  # noqa: E402
from migbar_train.graph import restrict_line_graph  # noqa: E402
from migbar_train.model import MigbarNet, collate, make_config  # noqa: E402

SHAPES = [  # (name, model overrides, line graph)
    ("GPU config: hidden 128, 4 ALIGNN + 4 GCN, full line graph",
     dict(hidden=128, alignn_layers=4, gcn_layers=4), "full"),
    ("hidden 128, 4 + 4, band line graph", dict(hidden=128, alignn_layers=4, gcn_layers=4),
     "band"),
    ("hidden 96, 2 + 3, band line graph", dict(hidden=96, alignn_layers=2, gcn_layers=3),
     "band"),
    ("hidden 64, 2 + 2, full line graph", dict(hidden=64, alignn_layers=2, gcn_layers=2),
     "full"),
    ("hidden 64, 2 + 2, band line graph (shipped)",
     dict(hidden=64, alignn_layers=2, gcn_layers=2), "band"),
    ("hidden 64, 0 + 4, no line graph", dict(hidden=64, alignn_layers=0, gcn_layers=4),
     "band"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("MIGBAR_DATA", "../shared/data"))
    ap.add_argument("--cache", default="train/cache")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--skip-full", action="store_true", help="leave out the full line graphs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    entries = D.load_em(args.data)
    gs = D.graphs(entries, k=12, cache_dir=args.cache, name="em")
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(gs))[:16 * (args.batches + 1)]
    print("| network | s per band step | triplets per band |")
    print("|---|---|---|")
    for name, over, line in SHAPES:
        if args.skip_full and line == "full":
            continue
        torch.manual_seed(0)
        model = MigbarNet(make_config(line_graph=line, **over))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        sel = [restrict_line_graph(gs[i], line) for i in idx]
        times = []
        for b in range(args.batches + 1):
            t0 = time.perf_counter()
            batch = collate(sel[16 * b:16 * (b + 1)])
            loss = model(batch).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append((time.perf_counter() - t0) / 16)
        used = int(np.mean([len(g["ta"]) for g in sel])) if over["alignn_layers"] else 0
        print("| %s | %.3f | %d |" % (name, float(np.median(times[1:])), used), flush=True)


if __name__ == "__main__":
    main()
