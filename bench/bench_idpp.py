#!/usr/bin/env python3
"""Benchmark libmigbar's IDPP path against ASE's on the same 500-atom band, in one run.

The case (issue 12): a 5x5x5 fcc Cu supercell (a = 3.61 A, 500 sites) with one
vacancy and one octahedral self-interstitial far from it (500 atoms); a nearest
neighbour of the vacancy hops into it. Every atom is rattled by up to 0.02 A (seed
12) in both end points, so nothing is symmetric. 7 images (5 moving).

ASE 3.22: NEB(images).interpolate('idpp', mic=True): linear path, then IDPP over
all N^2/2 pairs with MDMin to fmax 0.1 (at most 100 steps), ASE's defaults.
libmigbar: mb_band_create(..., MB_INTERPOLATION_IDPP) through the Python bindings:
pairs within 8 A on the straight path, L-BFGS to a per-atom IDPP force of 1e-3.
Both run on one thread. Reported: wall and CPU seconds of each (best of --repeat),
their ratio, and how far the two paths are apart (largest atom distance over the
moving images); with --converged also ASE's IDPP converged to fmax 1e-3, the path
the two objectives approach, and libmigbar's distance from it.

    python3 bench/bench_idpp.py --library build/lib/.libs/libmigbar.so [--converged]
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import datetime
import platform
import sys
import time

import numpy as np

from benchutil import machine

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, ".."))


def setup_paths(library):
    os.environ["MIGBAR_LIBRARY"] = os.path.abspath(library)
    p = os.path.join(SRCDIR, "bindings", "python")
    if p not in sys.path:
        sys.path.insert(0, p)


def case(n=5, rattle=0.02):
    from ase.build import bulk
    a = 3.61
    crystal = bulk("Cu", "fcc", a=a, cubic=True).repeat((n, n, n))
    pos = crystal.get_positions()
    vac = 0
    # the nearest neighbour of the vacancy that hops, and an octahedral interstitial far away
    d = np.linalg.norm(pos - pos[vac], axis=1)
    d[vac] = np.inf
    hop = int(np.argmin(d))
    inter = np.array([0.5, 0.5, 0.5]) * a + np.array([2, 2, 2]) * a  # an octahedral site
    keep = [i for i in range(len(crystal)) if i != vac]
    initial = crystal[keep]
    initial.append("Cu")
    initial.positions[-1] = inter
    final = initial.copy()
    k = keep.index(hop)
    final.positions[k] = pos[vac]
    rng = np.random.default_rng(12)
    initial.positions += rng.uniform(-rattle, rattle, initial.positions.shape)
    final.positions += rng.uniform(-rattle, rattle, final.positions.shape)
    return initial, final


def timed(fn, repeat):
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        w, c = time.perf_counter() - w, time.process_time() - c
        if best is None or w < best[0]:
            best = (w, c, out)
    return best


def ase_idpp(initial, final, nimages, fmax=None, steps=None):
    from ase.neb import NEB
    images = [initial.copy() for _ in range(nimages - 1)] + [final.copy()]
    neb = NEB(images)
    if fmax is None:
        neb.interpolate("idpp", mic=True)
    else:
        from ase.neb import idpp_interpolate
        neb.interpolate(mic=True)
        idpp_interpolate(neb, traj=None, log=None, fmax=fmax, steps=steps, mic=True)
    return np.array([im.get_positions() for im in images])


def migbar_idpp(initial, final, nimages):
    import migbar
    a, b = migbar.Structure.from_ase(initial), migbar.Structure.from_ase(final)
    band = migbar.Band(a, b, nimages=nimages - 2, interpolation="idpp")
    pos = np.array([band.image(i).to_ase().get_positions() for i in range(nimages)])
    band.close()
    return pos


def distance(p, q, cell):
    """Largest minimum-image distance between the same atom in two paths (moving images)."""
    d = p[1:-1] - q[1:-1]
    f = d @ np.linalg.inv(cell)
    f -= np.round(f)
    return float(np.linalg.norm(f @ cell, axis=2).max())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--library", required=True, help="path of libmigbar.so")
    ap.add_argument("--size", type=int, default=5, help="supercell repeat (5: 500 atoms)")
    ap.add_argument("--images", type=int, default=7, help="images, end points included")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--converged", action="store_true",
                    help="also ASE's IDPP converged to fmax 1e-3 (slow)")
    args = ap.parse_args()
    setup_paths(args.library)
    import ase

    model, ncpu = machine()
    print("# bench_idpp.py  %s  %s, %d cores, Python %s, ASE %s" % (
        datetime.date.today(), model, ncpu, platform.python_version(), ase.__version__))
    initial, final = case(args.size)
    cell = np.array(initial.get_cell())
    print("case: %d atoms, %d images (%d moving), vacancy hop in fcc Cu with an interstitial"
          % (len(initial), args.images, args.images - 2))
    w_a, c_a, p_a = timed(lambda: ase_idpp(initial, final, args.images), args.repeat)
    w_m, c_m, p_m = timed(lambda: migbar_idpp(initial, final, args.images), args.repeat)
    print("%-34s %9s %9s" % ("", "wall s", "CPU s"))
    print("%-34s %9.3f %9.3f" % ("ASE 3.22 interpolate('idpp')", w_a, c_a))
    print("%-34s %9.3f %9.3f" % ("libmigbar MB_INTERPOLATION_IDPP", w_m, c_m))
    print("ratio ASE / libmigbar: %.1fx wall, %.1fx CPU" % (w_a / w_m, c_a / c_m))
    from ase.neb import NEB
    images = [initial.copy() for _ in range(args.images - 1)] + [final.copy()]
    NEB(images).interpolate(mic=True)
    lin = np.array([im.get_positions() for im in images])
    print("largest atom distance between the paths: libmigbar - ASE %.3f A "
          "(IDPP moves atoms up to %.3f A from the straight line: ASE %.3f A, libmigbar %.3f A)"
          % (distance(p_m, p_a, cell), max(distance(p_a, lin, cell), distance(p_m, lin, cell)),
             distance(p_a, lin, cell), distance(p_m, lin, cell)))
    if args.converged:
        w_c, c_c, p_c = timed(lambda: ase_idpp(initial, final, args.images, 1e-3, 20000), 1)
        print("ASE IDPP converged to fmax 1e-3: %.1f s; distance from it: libmigbar %.3f A, "
              "ASE default %.3f A" % (w_c, distance(p_m, p_c, cell), distance(p_a, p_c, cell)))


if __name__ == "__main__":
    main()
