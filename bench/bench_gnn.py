#!/usr/bin/env python3
"""Benchmark libmigbar's graph-network inference against PyTorch on the same weights.

In one run, single-threaded unless said otherwise:
  - libmigbar (mb_model_predict_structure through the migbar package: graph + forward)
    against PyTorch CPU (train/migbar_train/bench_torch.py: the forward pass of the
    pipeline's model loaded from the same safetensors file; its graph timed apart),
    per band of about 128 atoms (em entries of 120-140 atoms, 5 band atoms);
  - the achieved GFLOP/s of the C forward (FLOPs of the Linear layers from the graph
    sizes) against the peak of single-thread OpenBLAS sgemm measured here;
  - throughput on 2 threads (mb_model_predict_batch, nthreads = 2);
  - model load time, and peak memory (RSS) for a band of about 1000 atoms.

    python3 bench/bench_gnn.py --library build/lib/.libs/libmigbar.so

The weights are made at run time in a temporary directory by the PyTorch pipeline
(random initialisation, not trained: timing does not depend on the values) with the
realistic size of docs/model.md: embedding 64, hidden 128, 4 ALIGNN + 4 GCN layers,
affine norm, band flags, mean+attention pooling, one output (em).
See BENCHMARKS.md for figures.
"""
import os

# Before numpy, torch and libmigbar (OpenBLAS) are loaded: one BLAS thread.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchutil import machine  # bench/ is the script directory

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(SRCDIR, "..", "shared", "data", "em",
                                             "train.json"))
NBAND = 5


def setup_paths(library):
    os.environ["MIGBAR_LIBRARY"] = os.path.abspath(library)
    for p in (os.path.join(SRCDIR, "bindings", "python"), os.path.join(SRCDIR, "train")):
        if p not in sys.path:
            sys.path.insert(0, p)


def make_weights(path, seed=0):
    """A realistic-size band model with random weights (and random BatchNorm running
    statistics, so that the folded affine norms are not identities)."""
    import torch
    from migbar_train.export import save_model
    from migbar_train.model import MigbarNet, make_config
    torch.manual_seed(seed)
    cfg = make_config(embedding=64, hidden=128, alignn_layers=4, gcn_layers=4, norm="affine",
                      band_flags=True, pooling="mean+attention", targets=["em"],
                      target_mean=[0.9], target_std=[0.7], target_units=["eV"])
    model = MigbarNet(cfg)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.8, 1.2)
    model.eval()
    save_model(model, path, training={"purpose": "benchmark; random weights, not trained",
                                      "seed": seed},
               created="2025-01-01T00:00:00+00:00")
    return cfg


def linear_flops(cfg, natoms, nedges, ntriplets, nband, tables=False):
    """2 * rows * in * out summed over the Linear layers of docs/model.md, section 3.
    tables=True: the FLOPs the C runtime executes, which looks the angle features
    and the first line-graph edge gate up in tables of the cosine (lib/gnn/
    angle_table.c: 2 x 4 x H multiply-adds per triplet instead of angle_mlp and
    that edge_gate)."""
    E, H = cfg["embedding"], cfg["hidden"]
    n, m, t = natoms, nedges, ntriplets
    f = n * (E + (1 if cfg["band_flags"] else 0)) * H           # atom_mlp
    f += m * cfg["edge_rbf"][2] * E + m * E * H                 # edge_mlp.0, .1
    f += t * cfg["angle_rbf"][2] * E + t * E * H                # angle_mlp.0, .1
    # EGGC on a graph of nn nodes and mm edges: src_gate, dst_gate, src_update,
    # dst_update on the nodes, edge_gate on the edges.
    line = 4 * m * H * H + t * H * H
    atom = 4 * n * H * H + m * H * H
    f += cfg["alignn_layers"] * (line + atom) + cfg["gcn_layers"] * atom
    if tables and cfg["alignn_layers"] > 0:
        f -= t * cfg["angle_rbf"][2] * E + t * E * H + t * H * H
        f += 2 * 4 * t * H
    pooled = 2 * H if cfg["pooling"] == "mean+attention" else H
    f += (nband * H if cfg["pooling"] == "mean+attention" else 0) + pooled * len(cfg["targets"])
    return 2 * f


def median_time(fn, repeat, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(min(times))


def sgemm_peak(rows_list, repeat=10):
    """Single-thread float32 GEMM [rows, 128] x [128, 128] through numpy (OpenBLAS)."""
    rng = np.random.default_rng(1)
    b = rng.standard_normal((128, 128)).astype(np.float32)
    out = {}
    for rows in rows_list:
        a = rng.standard_normal((rows, 128)).astype(np.float32)
        c = np.empty((rows, 128), dtype=np.float32)
        _, best = median_time(lambda: np.matmul(a, b, out=c), repeat, warmup=2)
        out[rows] = 2.0 * rows * 128 * 128 / best / 1e9
    return out


def blas_name():
    """The BLAS libraries mapped into this process (numpy's, and libmigbar's)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {os.path.basename(line.split()[-1]) for line in f if ".so" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(x for x in libs if "blas" in x.lower())) or "unknown"


# Peak memory is read from /proc/self/status (VmHWM, the high-water mark of the
# resident set of this address space); getrusage's ru_maxrss would also count the
# parent's resident set at fork time, which exec does not reset.
_HWM = """
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

MEMORY_DRIVER = _HWM + r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import migbar
a = json.load(open(sys.argv[2]))["atoms"]
s = migbar.Structure(a["lattice_mat"], a["coords"], a["elements"], cartesian=a["cartesian"])
base = hwm()
m = migbar.Model.load(sys.argv[3])
loaded = hwm()
y = m.predict(s, nband=5)
print(json.dumps({"base_kib": base, "loaded_kib": loaded, "peak_kib": hwm()}))
"""

TORCH_MEMORY_DRIVER = _HWM + r"""
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import torch
torch.set_num_threads(1)
from migbar_train.bench_torch import time_forward
a = json.load(open(sys.argv[3]))["atoms"]
base = hwm()
r = time_forward(sys.argv[4], a, nband=5, repeat=1, warmup=0)
print(json.dumps({"base_kib": base, "peak_kib": hwm()}))
"""


def peak_rss(driver, args):
    r = subprocess.run([sys.executable, "-c", driver] + [str(a) for a in args],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("memory driver failed: %s" % r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def tool_peak_rss(tool, args):
    """Maximum resident set (KiB) of one run of the migbar tool, from /usr/bin/time
    (a small C parent, so the child's figure is its own), and its exit status."""
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + [tool] + [str(a) for a in args],
                       capture_output=True, text=True)
    lines = [x for x in r.stderr.splitlines() if x.startswith("MAXRSS ")]
    return (int(lines[-1].split()[1]) if lines else None), r.returncode



def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", required=True, help="path of libmigbar.so")
    ap.add_argument("--data", default=DEFAULT_DATA, help="em/train.json (bands, 5 images)")
    ap.add_argument("--min-atoms", type=int, default=120)
    ap.add_argument("--max-atoms", type=int, default=140)
    ap.add_argument("--bands", type=int, default=6, help="number of ~128-atom bands")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--batch", type=int, default=24, help="bands in the throughput batch")
    ap.add_argument("--weights", help="use this safetensors file instead of random weights")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--tool", help="the migbar tool, for the memory of a C process "
                    "(default: tools/migbar of the build tree of --library)")
    args = ap.parse_args()

    setup_paths(args.library)
    import migbar
    with open(args.data) as f:
        data = json.load(f)
    sizes = [len(e["atoms"]["elements"]) for e in data]
    picked = [k for k, n in enumerate(sizes) if args.min_atoms <= n <= args.max_atoms]
    picked = sorted(picked, key=lambda k: (abs(sizes[k] - 128), k))[:args.bands]
    big = min(range(len(data)), key=lambda k: (abs(sizes[k] - 1000), k))
    if not picked:
        sys.exit("no entry of %s has %d-%d atoms" % (args.data, args.min_atoms, args.max_atoms))

    tmp = tempfile.TemporaryDirectory(prefix="migbar-bench-gnn.")
    weights = args.weights
    if weights is None:
        weights = os.path.join(tmp.name, "bench_band.safetensors")
        cfg = make_weights(weights)
    else:
        cfg = None

    cpu, ncpu = machine()
    print(f"# libmigbar {migbar.version()} graph-network inference against PyTorch")
    print(f"# {datetime.date.today()}, {cpu}, nproc {ncpu}, Python {platform.python_version()},"
          f" numpy {np.__version__}, BLAS {blas_name()}")

    # ---- model load ---------------------------------------------------------
    load_med, load_min = median_time(lambda: migbar.Model.load(weights).close(), args.repeat)
    model = migbar.Model.load(weights)
    if cfg is None:
        cfg = model.config
    print(f"# model: embedding {cfg['embedding']}, hidden {cfg['hidden']}, "
          f"{cfg['alignn_layers']}+{cfg['gcn_layers']} layers, {cfg['norm']}, "
          f"{cfg['pooling']}; {os.path.getsize(weights) / 1e6:.2f} MB of weights"
          + (" (random initialisation)" if args.weights is None else ""))

    torch_ok = not args.no_torch
    if torch_ok:
        try:
            import torch
            from migbar_train.bench_torch import time_forward
            torch.set_num_threads(1)
        except ImportError as e:
            print(f"# PyTorch not available ({e}); C figures only")
            torch_ok = False

    # ---- per band, single thread ------------------------------------------------
    rows = []
    structures = []
    for k in picked:
        a = data[k]["atoms"]
        s = migbar.Structure(a["lattice_mat"], a["coords"], a["elements"],
                             cartesian=a["cartesian"])
        structures.append(s)
        with migbar.Graph(s, k=cfg["k"], nband=NBAND) as g:
            n, m, t = g.natoms, g.nedges, g.ntriplets
        graph_med, _ = median_time(lambda: migbar.Graph(s, k=cfg["k"], nband=NBAND).close(),
                                   args.repeat)
        c_med, c_min = median_time(lambda: model.predict(s, nband=NBAND), args.repeat)
        y_c = float(model.predict(s, nband=NBAND)[0])
        flops = linear_flops(cfg, n, m, t, NBAND, tables=True)
        row = dict(entry=k, name=data[k]["sys_name"], natoms=n, nedges=m, ntriplets=t,
                   c_ms=c_med * 1e3, c_min_ms=c_min * 1e3, c_graph_ms=graph_med * 1e3,
                   gflop=flops / 1e9, c_gflops=flops / (c_med - graph_med) / 1e9,
                   c_gflops_total=flops / c_med / 1e9, y_c=y_c)
        if torch_ok:
            r = time_forward(weights, a, nband=NBAND, repeat=args.repeat, warmup=1, threads=1)
            assert (r["nedges"], r["ntriplets"]) == (m, t), "graphs differ"
            row.update(torch_ms=r["forward_seconds"] * 1e3,
                       torch_graph_ms=r["graph_seconds"] * 1e3, y_torch=r["output"][0])
        rows.append(row)
        print(f"#   entry {k} ({n} atoms): done", file=sys.stderr, flush=True)

    peak = sgemm_peak(sorted({64, 256, 1024, 4096, 16384, 32768}))
    peak_best = max(peak.values())

    # ---- throughput on 2 threads -------------------------------------------------
    batch = [structures[i % len(structures)] for i in range(args.batch)]
    thr = {}
    for nthreads in (1, 2):
        med, _ = median_time(lambda: model.predict_batch(batch, nband=NBAND, threads=nthreads),
                             max(3, args.repeat // 2))
        thr[nthreads] = len(batch) / med
    same = np.array_equal(model.predict_batch(batch, nband=NBAND, threads=2),
                          model.predict_batch(batch, nband=NBAND, threads=1))

    # ---- peak memory for a ~1000-atom band -------------------------------------------
    pkg = os.path.join(SRCDIR, "bindings", "python")
    big_file = os.path.join(tmp.name, "big.json")
    with open(big_file, "w") as f:
        json.dump(data[big], f)
    mem = peak_rss(MEMORY_DRIVER, [pkg, big_file, weights])
    tool = args.tool or os.path.normpath(os.path.join(os.path.dirname(
        os.path.abspath(args.library)), "..", "..", "tools", "migbar"))
    mem_tool = None
    if os.access(tool, os.X_OK) and os.access("/usr/bin/time", os.X_OK):
        # Load only: without --nband the tool stops after loading (usage error).
        load_kib, _ = tool_peak_rss(tool, ["predict", "--model", weights, big_file])
        pred_kib, rc = tool_peak_rss(tool, ["predict", "--model", weights, "--nband", NBAND,
                                            big_file])
        if rc == 0 and load_kib and pred_kib:
            mem_tool = (load_kib, pred_kib)
    mem_torch = None
    if torch_ok:
        try:
            mem_torch = peak_rss(TORCH_MEMORY_DRIVER, [pkg, os.path.join(SRCDIR, "train"),
                                                       big_file, weights])
        except RuntimeError as e:
            print(f"# torch memory run failed: {e}")
    a = data[big]["atoms"]
    with migbar.Structure(a["lattice_mat"], a["coords"], a["elements"],
                          cartesian=a["cartesian"]) as s_big, \
            migbar.Graph(s_big, k=cfg["k"], nband=NBAND) as g_big:
        big_sizes = (g_big.natoms, g_big.nedges, g_big.ntriplets)
        big_med, _ = median_time(lambda: model.predict(s_big, nband=NBAND), 3)

    # ---- report ----------------------------------------------------------------------
    print()
    head = "| entry | atoms | edges | triplets | GFLOP | C graph (ms) | C graph + forward (ms)"
    sep = "|---|---:|---:|---:|---:|---:|---:"
    if torch_ok:
        head += " | PyTorch forward (ms) | PyTorch / C | abs. difference (eV)"
        sep += "|---:|---:|---:"
    head += " | C forward GFLOP/s |"
    sep += "|---:|"
    print(head)
    print(sep)
    for r in rows:
        line = (f"| {r['name']} (#{r['entry']}) | {r['natoms']} | {r['nedges']:,} | "
                f"{r['ntriplets']:,} | {r['gflop']:.2f} | {r['c_graph_ms']:.2f} | "
                f"{r['c_ms']:.1f}")
        if torch_ok:
            line += (f" | {r['torch_ms']:.1f} | {r['torch_ms'] / r['c_ms']:.1f}x | "
                     f"{abs(r['y_torch'] - r['y_c']):.1e}")
        line += f" | {r['c_gflops']:.1f} |"
        print(line)
    print()
    c_mean = np.mean([r["c_ms"] for r in rows])
    print(f"- per band ({len(rows)} bands of {min(r['natoms'] for r in rows)}-"
          f"{max(r['natoms'] for r in rows)} atoms), single thread: libmigbar "
          f"{c_mean:.1f} ms (graph + forward)", end="")
    if torch_ok:
        t_mean = np.mean([r["torch_ms"] for r in rows])
        tg_mean = np.mean([r["torch_graph_ms"] for r in rows])
        print(f", PyTorch {t_mean:.1f} ms forward only ({tg_mean:.1f} ms more for its graph): "
              f"C is {t_mean / c_mean:.1f}x faster (target 3x)")
    else:
        print()
    gf = np.mean([r["c_gflops"] for r in rows])
    print(f"- C forward: {gf:.1f} GFLOP/s of Linear-layer FLOPs (graph time excluded; "
          f"{np.mean([r['c_gflops_total'] for r in rows]):.1f} GFLOP/s including it); "
          f"single-thread sgemm [rows,128]x[128,128] peak {peak_best:.1f} GFLOP/s "
          f"({', '.join('%d rows %.1f' % kv for kv in sorted(peak.items()))}): "
          f"{100 * gf / peak_best:.0f} % of peak")
    print(f"- throughput, batch of {len(batch)} bands (mb_model_predict_batch, "
          f"OPENBLAS_NUM_THREADS=1): {thr[1]:.1f} bands/s on 1 thread, {thr[2]:.1f} bands/s "
          f"on 2 threads ({thr[2] / thr[1]:.2f}x); results identical: {same}")
    print(f"- model load ({os.path.getsize(weights) / 1e6:.2f} MB): median {load_med * 1e3:.2f} ms"
          f" (best {load_min * 1e3:.2f} ms)")
    print(f"- ~1000-atom band ({data[big]['sys_name']}, #{big}: {big_sizes[0]} atoms, "
          f"{big_sizes[1]:,} edges, {big_sizes[2]:,} triplets): C {big_med * 1e3:.0f} ms; "
          f"peak RSS of a Python process (numpy, migbar, the structure) "
          f"{mem['base_kib'] / 1024:.0f} MiB, after loading the model "
          f"{mem['loaded_kib'] / 1024:.0f} MiB, after one prediction "
          f"{mem['peak_kib'] / 1024:.0f} MiB: "
          f"+{(mem['peak_kib'] - mem['base_kib']) / 1024:.0f} MiB for load + prediction", end="")
    if mem_tool:
        print(f"; the C tool (`migbar predict`, {tool}): {mem_tool[0] / 1024:.0f} MiB when it "
              f"stops after loading the model, {mem_tool[1] / 1024:.0f} MiB with the "
              f"prediction", end="")
    if mem_torch:
        print(f"; PyTorch process: {mem_torch['base_kib'] / 1024:.0f} MiB after import, "
              f"+{(mem_torch['peak_kib'] - mem_torch['base_kib']) / 1024:.0f} MiB for load + "
              f"graph + forward (peak {mem_torch['peak_kib'] / 1024:.0f} MiB)")
    else:
        print()
    model.close()
    for s in structures:
        s.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
