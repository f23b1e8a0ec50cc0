#!/usr/bin/env python3
"""Benchmark `migbar hops` (enumeration, symmetry grouping, geometry and percolation)
against a plain Python reference of the same steps on the same structures.

    python3 bench/bench_hops.py --library build/lib/.libs/libmigbar.so --migbar build/tools/migbar

Timed, single-threaded, best of several repeats:
  - libmigbar: migbar.HopNetwork (mb_hops_find: sites, hops, classes, bottlenecks,
    windows, proxy) + mb_hops_percolation, through the Python package;
  - the tool: `migbar hops --ion Li --proxy --json FILE`, a whole process;
  - reference: ASE's neighbor_list for the Li-Li pairs, spglib (Python) for the
    operations, every operation applied to every hop and union-find in Python, the
    straight-path bottleneck with numpy over 27 images, and percolation by the same
    union-find with cycle translations in Python. It skips the bent-path windows
    (libmigbar computes them), so the ratios favour it.
The multiplicities of both are compared (they must be equal).

Structures: olivine LiFePO4 (tests/data/hops, 28 atoms), its 2x2x2 supercell (224
atoms, P1 translations included in the operations) and the 111-atom P-1 LiFePO4 hop
end point of examples/. See BENCHMARKS.md for figures.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import datetime
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchutil import machine  # bench/ is the script directory

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def best(fn, repeats):
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


# ---- the reference ----------------------------------------------------------------

def reference(atoms, ion="Li", max_length=5.0, symprec=1e-3):
    import spglib
    from ase.neighborlist import neighbor_list
    symbols = np.array(atoms.get_chemical_symbols())
    sites = np.flatnonzero(symbols == ion)
    index = {a: k for k, a in enumerate(sites)}
    i, j, S = neighbor_list("ijS", atoms, max_length + 1e-6)
    keep = (symbols[i] == ion) & (symbols[j] == ion)
    hops = {}
    for a, b, s in zip(i[keep], j[keep], S[keep]):
        h = canonical((index[a], index[b], tuple(int(x) for x in s)))
        hops.setdefault(h, len(hops))
    hop_list = list(hops)
    frac = atoms.get_scaled_positions(wrap=True)[sites]
    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.get_atomic_numbers())
    ds = spglib.get_symmetry(cell, symprec=symprec)
    perm, shift = [], []
    for R, t in zip(ds["rotations"], ds["translations"]):
        y = frac @ R.T + t
        d = y[:, None, :] - frac[None, :, :]
        L = np.round(d)
        err = np.linalg.norm((d - L) @ atoms.cell[:], axis=2)
        k = err.argmin(axis=1)
        perm.append(k)
        shift.append(L[np.arange(len(frac)), k].astype(int))
    parent = list(range(len(hop_list)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for n, (a, b, s) in enumerate(hop_list):
        for R, p, L in zip(ds["rotations"], perm, shift):
            img = canonical((p[a], p[b], tuple(int(x) for x in L[b] - L[a] + R @ np.array(s))))
            m = hops.get(img)
            if m is not None:
                ra, rb = find(n), find(m)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    groups = {}
    for n in range(len(hop_list)):
        groups.setdefault(find(n), []).append(n)
    # straight-path bottleneck of each representative, numpy over 27 images
    frame = atoms.get_positions()[symbols != ion]
    shifts = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])
    images = (frame[None, :, :] + (shifts @ atoms.cell[:])[:, None, :]).reshape(-1, 3)
    barrier = {}
    for root, members in groups.items():
        a, b, s = hop_list[members[0]]
        p0 = frac[a] @ atoms.cell[:]
        v = (frac[b] + np.array(s)) @ atoms.cell[:] - p0
        w = images - p0
        t = np.clip(w @ v / (v @ v), 0, 1)
        d = np.linalg.norm(w - t[:, None] * v[None, :], axis=1).min()
        barrier[root] = -d  # narrower window, higher barrier (a ranking)
    perc = percolate(len(sites), hop_list, [find(n) for n in range(len(hop_list))], barrier)
    return sorted(len(m) for m in groups.values()), perc


def canonical(h):
    a, b, s = h
    r = (b, a, tuple(-x for x in s))
    return min(h, r)


def percolate(nsites, hops, cls, barrier):
    parent, off = list(range(nsites)), [np.zeros(3, int) for _ in range(nsites)]
    basis = [[] for _ in range(nsites)]

    def find(x):
        if parent[x] == x:
            return x
        p = parent[x]
        r = find(p)
        if p != r:
            off[x] = off[x] + off[p]
        parent[x] = r
        return r

    def add(r, t):
        if np.linalg.matrix_rank(np.array(basis[r] + [list(t)])) > len(basis[r]):
            basis[r].append(list(t))
    dims = []
    for c in sorted(set(cls), key=lambda c: barrier[c]):
        for h, k in zip(hops, cls):
            if k != c:
                continue
            a, b, s = h
            ra, rb = find(a), find(b)
            d = off[a] + np.array(s) - off[b]
            if ra == rb:
                add(ra, d)
            else:
                parent[rb], off[rb] = ra, d
                for t in basis[rb]:
                    add(ra, t)
        dims.append(max(len(x) for x in basis))
    return dims


# ---- main --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", required=True)
    ap.add_argument("--migbar", required=True)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    os.environ["MIGBAR_LIBRARY"] = os.path.abspath(args.library)
    sys.path.insert(0, os.path.join(SRC, "bindings", "python"))
    import ase.io
    import migbar
    olivine = ase.io.read(os.path.join(SRC, "tests", "data", "hops", "LiFePO4_olivine.vasp"))
    cases = [("olivine LiFePO4 (Pnma)", olivine),
             ("olivine 2x2x2", olivine.repeat((2, 2, 2))),
             ("LiFePO4 hop end point (P-1)",
              ase.io.read(os.path.join(SRC, "examples", "LiFePO4", "POSCAR_initial")))]
    model, ncpu = machine()
    print("# bench_hops.py, %s, %s (%d cores), Python %s, libmigbar %s" % (
        datetime.date.today(), model, ncpu, platform.python_version(), migbar.version()))
    print("%-30s %6s %8s %12s %12s %12s %8s" % ("structure", "atoms", "distinct", "libmigbar s",
                                                 "tool s", "reference s", "ratio"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, atoms in cases:
            s = migbar.Structure.from_ase(atoms)
            path = os.path.join(tmp, "s.vasp")
            s.write(path)

            def lib():
                with migbar.HopNetwork(s, "Li", max_length=5.0) as net:
                    net.percolation
                    return net
            t_lib = best(lib, args.repeats)
            t_tool = best(lambda: subprocess.run(
                [args.migbar, "hops", "--ion", "Li", "--proxy", "--json", path],
                check=True, stdout=subprocess.DEVNULL), args.repeats)
            t_ref = best(lambda: reference(atoms), max(1, args.repeats // 2))
            with migbar.HopNetwork(s, "Li", max_length=5.0) as net:
                mult = sorted(h.multiplicity for h in net.hops)
            ref_mult, _ = reference(atoms)
            assert mult == ref_mult, (name, mult, ref_mult)
            print("%-30s %6d %8d %12.4f %12.4f %12.4f %8.1f" % (
                name, len(atoms), len(mult), t_lib, t_tool, t_ref, t_ref / t_lib))


if __name__ == "__main__":
    main()
