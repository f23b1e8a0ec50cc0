#!/usr/bin/env python3
"""Benchmark libmigbar's built-in EMT potential against ASE 3.22's EMT calculator.

Times one energy + forces evaluation, mb_potential_compute (through ctypes,
without the migbar package; the neighbour list is rebuilt inside every call) and
ase.calculators.emt.EMT (a fresh calculation each time: its cached results are
dropped, while it keeps its neighbour list, which favours ASE), on the same fcc
Cu supercells in the same run, single threaded. Checks on every size that both
give the same energy (1e-6 eV) and forces (1e-6 eV/A).

    python3 bench/bench_potential.py --library build/lib/.libs/libmigbar.so

Structures: fcc Cu (a = 3.61 A) 3x3x3, 5x5x5 and 10x10x10 conventional cells
(108, 500 and 4000 atoms) with random displacements of up to 0.1 A per
coordinate. libmigbar: best of --repeats; ASE: best of up to 3 (1 when a call
takes over 5 s).
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

REPEATS = {108: 3, 500: 5, 4000: 10}
MB_POTENTIAL_EMT = 2


def load_library(path):
    lib = ctypes.CDLL(os.path.abspath(path))
    dp, ip, vp = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int), ctypes.c_void_p
    lib.mb_structure_create.argtypes = [dp, ctypes.c_int, dp, ctypes.c_int, ip,
                                        ctypes.POINTER(vp)]
    lib.mb_structure_free.argtypes = [vp]
    lib.mb_potential_create.argtypes = [ctypes.c_int, ctypes.POINTER(vp)]
    lib.mb_potential_free.argtypes = [vp]
    lib.mb_potential_compute.argtypes = [vp, vp, dp, dp]
    lib.mb_last_error.restype = ctypes.c_char_p
    lib.mb_version.restype = ctypes.c_char_p
    for name in ("mb_structure_create", "mb_potential_create", "mb_potential_compute"):
        getattr(lib, name).restype = ctypes.c_int
    return lib


def ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def check(lib, status, what):
    if status != 0:
        raise RuntimeError(f"{what}: status {status}: {lib.mb_last_error().decode()}")


def make_structure(lib, atoms):
    cell = np.ascontiguousarray(atoms.cell[:], dtype=np.float64)
    pos = np.ascontiguousarray(atoms.positions, dtype=np.float64)
    z = np.ascontiguousarray(atoms.numbers, dtype=np.intc)
    s = ctypes.c_void_p()
    check(lib, lib.mb_structure_create(ptr(cell, ctypes.c_double), len(z),
                                       ptr(pos, ctypes.c_double), 1, ptr(z, ctypes.c_int),
                                       ctypes.byref(s)), "mb_structure_create")
    return s


def migbar_emt(lib, pot, s, natoms):
    e = ctypes.c_double()
    f = np.empty((natoms, 3))
    check(lib, lib.mb_potential_compute(pot, s, ctypes.byref(e), ptr(f, ctypes.c_double)),
          "mb_potential_compute")
    return e.value, f


def ase_emt(atoms):
    """One fresh ASE EMT energy + forces (its cached results dropped; it keeps its
    neighbour list, which favours ASE)."""
    atoms.calc.results.clear()
    return atoms.get_potential_energy(), atoms.get_forces()


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", required=True, help="path of libmigbar.so")
    ap.add_argument("--sizes", default="108,500,4000")
    ap.add_argument("--repeats", type=int, default=0, help="libmigbar repeats (0: by size)")
    args = ap.parse_args()

    import ase
    from ase.build import bulk
    from ase.calculators.emt import EMT

    lib = load_library(args.library)
    model, ncpu = machine()
    print(f"# libmigbar {lib.mb_version().decode()} EMT against ASE {ase.__version__} EMT")
    print(f"# {datetime.date.today()}, {model}, nproc {ncpu}, Python "
          f"{platform.python_version()}, numpy {np.__version__}; single thread; "
          "energy + forces per call")
    rng = np.random.default_rng(20240612)
    pot = ctypes.c_void_p()
    check(lib, lib.mb_potential_create(MB_POTENTIAL_EMT, ctypes.byref(pot)),
          "mb_potential_create")
    print(f"{'atoms':>6} {'libmigbar (ms)':>15} {'ASE (ms)':>11} {'ASE/libmigbar':>14}  agreement")
    ok = True
    for n in (int(x) for x in args.sizes.split(",")):
        rep = round((n / 4) ** (1 / 3))
        if 4 * rep ** 3 != n:
            sys.exit(f"--sizes: {n} is not 4 k^3 (an fcc k x k x k supercell)")
        atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(rep)
        atoms.positions += rng.uniform(-0.1, 0.1, size=atoms.positions.shape)
        atoms.calc = EMT()
        s = make_structure(lib, atoms)
        migbar_emt(lib, pot, s, n)  # warm up (first touch of the allocator's memory)
        reps = args.repeats or REPEATS.get(n, 5)
        t_ours = best_of(lambda: migbar_emt(lib, pot, s, n), reps)
        e_ours, f_ours = migbar_emt(lib, pot, s, n)
        t0 = time.perf_counter()
        e_ase, f_ase = ase_emt(atoms)
        first = time.perf_counter() - t0
        ase_reps = 1 if first > 5 else 3
        t_ase = min([first] + [best_of(lambda: ase_emt(atoms), 1) for _ in range(ase_reps - 1)])
        de, df = abs(e_ours - e_ase), np.abs(f_ours - f_ase).max()
        good = de < 1e-6 and df < 1e-6
        ok &= good
        print(f"{n:>6} {1e3 * t_ours:>15.2f} {1e3 * t_ase:>11.1f} {t_ase / t_ours:>14.0f}  "
              f"|dE| {de:.1e} eV, max|dF| {df:.1e} eV/A{'' if good else '  MISMATCH'}")
        lib.mb_structure_free(s)
    lib.mb_potential_free(pot)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
