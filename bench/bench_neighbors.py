#!/usr/bin/env python3
"""Benchmark libmigbar's periodic neighbour list against ASE's.

Times mb_neighbors_cutoff (through ctypes, without the migbar package) and
ase.neighborlist.neighbor_list('ijdDS', atoms, cutoff) on the same structures in
the same run, single-threaded, best of several repeats, and checks on the
smallest structure that both give the same pairs (i, j, S) with the same
distances and vectors to 1e-9 A.

    python3 bench/bench_neighbors.py --library build/lib/.libs/libmigbar.so

Structures: fcc Cu (a = 3.61 A) supercells with random displacements of up to
0.1 A per coordinate, and random atoms in a triclinic cell at 0.08 atoms/A^3.
See BENCHMARKS.md for figures.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import ctypes
import datetime
import platform
import sys
import time

import numpy as np

from benchutil import machine  # bench/ is the script directory

# The supercells of the fcc unit cell (4 atoms) giving 1,000 / 10,000 / 100,000 atoms.
FCC_REPEATS = {1000: (5, 5, 10), 10000: (10, 10, 25), 100000: (25, 25, 40)}


def load_library(path):
    lib = ctypes.CDLL(os.path.abspath(path))
    dp, ip, sp = (ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int),
                  ctypes.POINTER(ctypes.c_size_t))
    vp = ctypes.c_void_p
    lib.mb_structure_create.argtypes = [dp, ctypes.c_int, dp, ctypes.c_int, ip,
                                        ctypes.POINTER(vp)]
    lib.mb_structure_free.argtypes = [vp]
    lib.mb_neighbors_cutoff.argtypes = [vp, ctypes.c_double, ctypes.POINTER(vp)]
    lib.mb_neighbors_free.argtypes = [vp]
    lib.mb_neighbors_count.argtypes = [vp, sp]
    lib.mb_neighbors_pairs.argtypes = [vp, ip, ip, ip, dp, dp]
    lib.mb_last_error.restype = ctypes.c_char_p
    lib.mb_version.restype = ctypes.c_char_p
    for name in ("mb_structure_create", "mb_neighbors_cutoff", "mb_neighbors_count",
                 "mb_neighbors_pairs"):
        getattr(lib, name).restype = ctypes.c_int
    return lib


def ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def check(lib, status, what):
    if status != 0:
        raise RuntimeError(f"{what}: status {status}: {lib.mb_last_error().decode()}")


def make_structure(lib, cell, positions, numbers):
    cell = np.ascontiguousarray(cell, dtype=np.float64)
    pos = np.ascontiguousarray(positions, dtype=np.float64)
    z = np.ascontiguousarray(numbers, dtype=np.intc)
    s = ctypes.c_void_p()
    check(lib, lib.mb_structure_create(ptr(cell, ctypes.c_double), len(z),
                                       ptr(pos, ctypes.c_double), 1, ptr(z, ctypes.c_int),
                                       ctypes.byref(s)), "mb_structure_create")
    return s


def migbar_build(lib, s, cutoff):
    """Build the list only (the C call); returns seconds."""
    nl = ctypes.c_void_p()
    t0 = time.perf_counter()
    check(lib, lib.mb_neighbors_cutoff(s, cutoff, ctypes.byref(nl)), "mb_neighbors_cutoff")
    t1 = time.perf_counter()
    lib.mb_neighbors_free(nl)
    return t1 - t0


def migbar_list(lib, s, cutoff):
    """Build the list and copy it into numpy arrays, as ASE returns it."""
    nl = ctypes.c_void_p()
    check(lib, lib.mb_neighbors_cutoff(s, cutoff, ctypes.byref(nl)), "mb_neighbors_cutoff")
    n = ctypes.c_size_t()
    check(lib, lib.mb_neighbors_count(nl, ctypes.byref(n)), "mb_neighbors_count")
    n = n.value
    i = np.empty(n, dtype=np.intc)
    j = np.empty(n, dtype=np.intc)
    S = np.empty((n, 3), dtype=np.intc)
    d = np.empty(n, dtype=np.float64)
    D = np.empty((n, 3), dtype=np.float64)
    check(lib, lib.mb_neighbors_pairs(nl, ptr(i, ctypes.c_int), ptr(j, ctypes.c_int),
                                      ptr(S, ctypes.c_int), ptr(d, ctypes.c_double),
                                      ptr(D, ctypes.c_double)), "mb_neighbors_pairs")
    lib.mb_neighbors_free(nl)
    return i, j, d, D, S


def fcc_cu(natoms, rng):
    from ase.build import bulk
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(FCC_REPEATS[natoms])
    atoms.positions += rng.uniform(-0.1, 0.1, size=atoms.positions.shape)
    return atoms


def random_triclinic(natoms, rng):
    from ase import Atoms
    shape = np.array([[1.0, 0.0, 0.0], [0.35, 1.0, 0.0], [-0.25, 0.4, 1.0]])
    cell = shape * np.cbrt(natoms / 0.08 / np.linalg.det(shape))
    frac = rng.random((natoms, 3))
    return Atoms(numbers=np.full(natoms, 8), scaled_positions=frac, cell=cell, pbc=True)


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def same_pairs(ours, theirs, tol):
    """Same (i, j, S) set; distances and vectors within tol."""
    def canon(i, j, d, D, S):
        key = np.lexsort((S[:, 2], S[:, 1], S[:, 0], j, i))
        return i[key], j[key], d[key], D[key], S[key]
    a, b = canon(*ours), canon(*theirs)
    if len(a[0]) != len(b[0]):
        return False, f"{len(a[0])} pairs against ASE's {len(b[0])}"
    for name, x, y in (("i", a[0], b[0]), ("j", a[1], b[1]), ("S", a[4], b[4])):
        if not np.array_equal(x, y):
            return False, f"different {name}"
    dd, dD = np.abs(a[2] - b[2]).max(initial=0), np.abs(a[3] - b[3]).max(initial=0)
    if dd > tol or dD > tol:
        return False, f"distances differ by {dd:.2e} A, vectors by {dD:.2e} A"
    return True, f"{len(a[0])} identical pairs, |d - d_ASE| <= {dd:.1e} A, |D - D_ASE| <= {dD:.1e} A"



def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", required=True, help="path of libmigbar.so")
    ap.add_argument("--cutoff", type=float, default=6.0)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--ase-limit", type=float, default=60.0,
                    help="skip ASE where its predicted time exceeds this (s)")
    ap.add_argument("--structures", default="fcc,triclinic")
    args = ap.parse_args()

    import ase
    from ase.neighborlist import neighbor_list

    lib = load_library(args.library)
    model, ncpu = machine()
    print(f"# libmigbar {lib.mb_version().decode()} neighbour list against ASE {ase.__version__}")
    print(f"# {datetime.date.today()}, {model}, nproc {ncpu}, Python {platform.python_version()}, "
          f"numpy {np.__version__}; single thread; cutoff {args.cutoff} A; best of "
          f"{args.repeats} (ASE: best of up to 3)")
    sizes = [int(x) for x in args.sizes.split(",")]
    rng = np.random.default_rng(20240601)
    # Warm up both (imports, first-touch of the allocators' memory), untimed.
    warm = random_triclinic(min(sizes), rng)
    s = make_structure(lib, warm.cell[:], warm.positions, warm.numbers)
    for _ in range(2):
        migbar_list(lib, s, args.cutoff)
        neighbor_list("ijdDS", warm, args.cutoff)
    lib.mb_structure_free(s)
    rows = []
    ok = True
    for kind in args.structures.split(","):
        ase_per_atom = None
        for n in sizes:
            atoms = fcc_cu(n, rng) if kind == "fcc" else random_triclinic(n, rng)
            s = make_structure(lib, atoms.cell[:], atoms.positions, atoms.numbers)
            reps = args.repeats if n <= 10000 else max(2, args.repeats // 2)
            t_build = min(migbar_build(lib, s, args.cutoff) for _ in range(reps))
            t_ours = best_of(lambda: migbar_list(lib, s, args.cutoff), reps)
            ours = migbar_list(lib, s, args.cutoff)
            npairs = len(ours[0])
            t_ase = None
            note = ""
            predicted = ase_per_atom * n if ase_per_atom else 0.0
            if predicted > args.ase_limit:
                note = f"ASE skipped (predicted {predicted:.0f} s > {args.ase_limit:.0f} s)"
            else:
                t0 = time.perf_counter()
                theirs = neighbor_list("ijdDS", atoms, args.cutoff)
                first = time.perf_counter() - t0
                ase_reps = 1 if first > 5 else (2 if first > 1 else 3)
                t_ase = min([first] + [best_of(lambda: neighbor_list("ijdDS", atoms, args.cutoff), 1)
                                       for _ in range(ase_reps - 1)])
                ase_per_atom = t_ase / n
                if n == min(sizes):
                    same, msg = same_pairs(ours, theirs, 1e-9)
                    ok &= same
                    note = ("same pairs as ASE: " if same else "DIFFERENT from ASE: ") + msg
                del theirs
            del ours
            lib.mb_structure_free(s)
            rows.append((kind, n, npairs, t_build, t_ours, t_ase, note))
            print(f"#   {kind} {n}: done", file=sys.stderr, flush=True)

    print()
    print("| structure | atoms | pairs | libmigbar build (ms) | libmigbar build + copy out (ms)"
          " | ASE (ms) | ASE / libmigbar |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, n, npairs, tb, to, ta, note in rows:
        label = "fcc Cu, displaced" if kind == "fcc" else "random, triclinic, 0.08 /A^3"
        ase_ms = f"{ta * 1e3:.0f}" if ta is not None else "skipped"
        ratio = f"{ta / to:.0f}x" if ta is not None else "-"
        print(f"| {label} | {n:,} | {npairs:,} | {tb * 1e3:.1f} | {to * 1e3:.1f} | {ase_ms} | {ratio} |")
    print()
    for kind, n, *_, note in rows:
        if note:
            print(f"- {kind} {n:,}: {note}")
    # Linear scaling: time per pair across sizes.
    for kind in args.structures.split(","):
        per = [(n, tb / max(p, 1) * 1e9) for k, n, p, tb, *_ in rows if k == kind]
        print(f"- {kind}: build time per pair " +
              ", ".join(f"{ns:.0f} ns at {n:,} atoms" for n, ns in per))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
