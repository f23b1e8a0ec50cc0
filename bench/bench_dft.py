#!/usr/bin/env python3
"""Benchmark libmigbar's plane-wave DFT (`migbar dft`) against ABINIT 9.6 side by side.

The four parity cases of issue 6 (tests/data/dft/parity/make_reference.py: Si diamond
PBE psp8, rocksalt CaO PBE psp8, fcc Al PBE psp8 with cold smearing, bcc Li HGH LDA
with Fermi-Dirac smearing; each with one atom displaced by ~0.05 Bohr) at their
"bench" sizes (ecut 15-36 Ha, 2x2x2 to 4x4x4 shifted grids), on NPROC cores (2):
  - ABINIT: `mpirun -np NPROC abinit` (k-points shared out over the ranks) on the very
    input make_reference.py writes (nsym 1 kptopt 2: time reversal only, istwfk *1,
    explicit nband, libxc's functional), toldfe = the engine's energy tolerance;
    also ABINIT with its own symmetry (the same input without nsym/kptopt), which is
    what an ABINIT user would run;
  - migbar: `migbar dft POSCAR --ecut EV --kpts AxBxC --kshift ... --functional ...
    [--smearing KIND:WIDTH_EV] --pseudo EL=FILE --json [--threads NPROC]` with the same
    pseudopotentials, cutoff, grid, smearing and band count (mb_dft's default nband is
    make_reference.py writes, passed as --extra-bands), energy tolerance 1e-6 eV, in the
    caller's environment (ABINIT's ranks get OMP/OPENBLAS_NUM_THREADS=1).
Each run is repeated (--repeat, default 2) and the fastest counts.
Printed per case: wall time of each (the whole process, as a user sees it), the ratio
migbar / ABINIT (goal of issue 6: at most 1.5), the free-energy difference per atom
(goal 1e-5 Ha/atom) and the largest force difference (goal 1e-4 Ha/Bohr, both with
the mean force removed as ABINIT prints fcart).

    python3 bench/bench_dft.py --migbar tools/migbar [--cases si,al] [--nproc 2]
    (make bench-dft; a few minutes). Exits 0 with a message when abinit or the
    abinit-data pseudopotentials are missing.
"""
import os

# migbar runs in the caller's environment, as a user would run it (an OpenBLAS that
# spins threads of its own shows up in its time); ABINIT's MPI ranks get one thread each
USER_ENV = os.environ.copy()
ABINIT_ENV = dict(USER_ENV, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                  MKL_NUM_THREADS="1")

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time

from benchutil import machine

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "data", "dft", "parity"))
import make_reference as ref  # noqa: E402  (the cases and ABINIT's input writer)

HA = 27.211386245988       # eV (lib/dft/dft.h MB_HARTREE_EV)
BOHR = 0.529177210903      # Angstrom (MB_BOHR_ANGSTROM)
TOL_EV = 1e-6              # mb_dft's default SCF energy tolerance (MB_DFT_SCF_TOL)
SMEARING = {3: "fermi-dirac", 4: "mv", 7: "gaussian"}
# migbar's --functional for the cases' libxc ixc
FUNCTIONAL = {-1012: "LDA", -101130: "PBE", -116133: "PBEsol", -263267: "SCAN",
              -497498: "r2SCAN"}
ZION = {"Li": 3, "O": 6, "Al": 3, "Si": 4, "Ca": 10}  # valence of the cases' pseudopotentials


def write_poscar(path, name):
    """The case's structure as a VASP POSCAR (Angstrom, direct coordinates)."""
    c = ref.CASES[name]
    species = list(dict.fromkeys(c["elements"]))
    lines = [f"{name} (tests/data/dft/parity)", "1.0"]
    lines += ["  " + " ".join(f"{x * BOHR:.12f}" for x in row) for row in c["lattice"]]
    lines += ["  " + " ".join(species),
              "  " + " ".join(str(c["elements"].count(e)) for e in species), "Direct"]
    for e in species:  # POSCAR groups atoms by species
        lines += ["  " + " ".join(f"{x:.12f}" for x in f)
                  for f, el in zip(c["xred"], c["elements"]) if el == e]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    # the order migbar reports forces in: grouped by species as in the POSCAR
    return [i for e in species for i, el in enumerate(c["elements"]) if el == e]


def migbar_help(migbar):
    try:
        p = subprocess.run([migbar, "dft", "--help"], capture_output=True, text=True,
                           timeout=30)
    except OSError as e:
        return None, str(e)
    text = p.stdout + p.stderr
    if p.returncode != 0 or "--ecut" not in text:
        return None, text.strip().splitlines()[-1] if text.strip() else f"exit {p.returncode}"
    return text, None


def migbar_command(migbar, help_text, name, poscar, nproc):
    c = ref.CASES[name]
    ecut, ngkpt = c["bench"]
    kline = next((ln for ln in help_text.splitlines() if "--kshift" in ln), "")
    sep = "," if "," in kline else "x"
    cmd = [migbar, "dft", poscar, "--ecut", f"{ecut * HA:.10g}",
           "--kpts", "x".join(str(k) for k in ngkpt),
           "--kshift", sep.join(f"{s:g}" for s in c["shift"]),
           "--functional", FUNCTIONAL[c["ixc"]], "--json"]
    if c["smearing"]:
        occopt, tsmear = c["smearing"]
        cmd += ["--smearing", f"{SMEARING[occopt]}:{tsmear * HA:.10g}"]
    for el, (d, f) in c["pseudos"].items():
        cmd += ["--pseudo", f"{el}={os.path.join(psp_dir(d), f)}"]
    occupied = -(-sum(ZION[e] for e in c["elements"]) // 2)
    cmd += ["--extra-bands", str(c["nband"] - occupied)]
    if "--threads" in help_text:
        cmd += ["--threads", str(nproc)]
    if "--scf-tol" in help_text:
        cmd += ["--scf-tol", f"{TOL_EV:g}"]
    return cmd


def run_timed(cmd, cwd, repeat):
    """The last run's result and the shortest wall time of repeat runs (the machine
    may be shared: the minimum is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=USER_ENV)
        best = min(best, time.perf_counter() - t0)
        if p.returncode != 0:
            break
    return p, best


def psp_dir(d):
    """A case's pseudopotential directory, the ../shared/psp token resolved."""
    return d.replace("@MB_SHARED_PSP@", ref.SHARED_PSP)


def abinit_timed(text, name, args):
    best = float("inf")
    text = text.replace("@MB_SHARED_PSP@", ref.SHARED_PSP)
    for _ in range(args.repeat):
        abo, wall = ref.run_abinit(text, name, nproc=args.nproc, env=ABINIT_ENV)
        best = min(best, wall)
    return abo, best


def drift_free(forces):
    n = len(forces)
    mean = [sum(f[j] for f in forces) / n for j in range(3)]
    return [[f[j] - mean[j] for j in range(3)] for f in forces]


def bench_case(name, args, help_text):
    c = ref.CASES[name]
    nat = len(c["xred"])
    out = {"case": name, "natoms": nat, "ecut_Ha": c["bench"][0],
           "ngkpt": list(c["bench"][1])}
    toldfe = TOL_EV / HA
    text = ref.abinit_input(name, "bench", toldfe=toldfe, title=f"{name} (bench_dft.py)")
    abo, wall = abinit_timed(text, name, args)
    r = ref.parse_abo(abo)
    out.update(abinit_s=wall, abinit_internal_s=r["wall_s"], abinit_steps=r["scf_steps"],
               abinit_F_Ha=r["total_energy"])
    sym = text.replace("nsym 1 kptopt 2\n", "")
    _, wall_sym = abinit_timed(sym, name + "_sym", args)
    out["abinit_sym_s"] = wall_sym
    if help_text is None:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        poscar = os.path.join(tmp, "POSCAR")
        order = write_poscar(poscar, name)
        cmd = migbar_command(args.migbar, help_text, name, poscar, args.nproc)
        p, mwall = run_timed(cmd, tmp, args.repeat)
    if p.returncode != 0:
        out["migbar_error"] = (p.stderr.strip() or p.stdout.strip())[-300:]
        return out
    j = json.loads(p.stdout.strip().splitlines()[-1])  # the JSON object is the last line
    out.update(migbar_s=mwall, migbar_steps=j.get("scf_steps"),
               migbar_converged=j.get("converged"), migbar_F_Ha=j["free_energy"] / HA)
    out["dF_Ha_per_atom"] = (out["migbar_F_Ha"] - r["total_energy"]) / nat
    ours = [[0.0] * 3 for _ in range(nat)]
    for k, i in enumerate(order):  # back to the order of the parity case
        ours[i] = [x * BOHR / HA for x in j["forces"][k]]
    ours, theirs = drift_free(ours), r["forces"]
    out["dforce_Ha_Bohr"] = max(abs(a - b) for fo, ft in zip(ours, theirs)
                                for a, b in zip(fo, ft))
    out["ratio"] = mwall / wall
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--migbar", default=os.path.join("tools", "migbar"))
    ap.add_argument("--cases", default=",".join(ref.CASES))
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest counts")
    ap.add_argument("--json-out", help="also write the results here")
    args = ap.parse_args()
    if os.sep in args.migbar:  # it runs in a scratch directory
        args.migbar = os.path.abspath(args.migbar)
    if shutil.which("abinit") is None:
        print("bench_dft: abinit is not installed (Debian: apt install abinit abinit-data): "
              "skipped")
        return 0
    if args.nproc > 1 and shutil.which("mpirun") is None:
        print("bench_dft: mpirun missing for a parallel ABINIT: skipped")
        return 0
    names = [n for n in args.cases.split(",") if n]
    for n in names:
        if n not in ref.CASES:
            print(f"bench_dft: unknown case {n} (cases: {', '.join(ref.CASES)})")
            return 2
        for d, f in ref.CASES[n]["pseudos"].values():
            if not os.path.exists(os.path.join(psp_dir(d), f)):
                print(f"bench_dft: {os.path.join(d, f)} missing (abinit-data): skipped")
                return 0
    help_text, why = migbar_help(args.migbar)
    model, ncpu = machine()
    print(f"bench_dft: {model}, {ncpu} cores; {args.nproc} processes/threads each; "
          f"energy tolerance {TOL_EV:g} eV ({TOL_EV / HA:.3g} Ha) for both; best of "
          f"{args.repeat}; OPENBLAS_NUM_THREADS for migbar: "
          f"{USER_ENV.get('OPENBLAS_NUM_THREADS', 'unset')}")
    if help_text is None:
        print(f"bench_dft: `{args.migbar} dft` is not usable ({why}): ABINIT only")
    hdr = (f"{'case':9} {'nat':>3} {'ecut':>5} {'k':>5} {'ABINIT s':>9} {'(sym) s':>8} "
           f"{'migbar s':>9} {'ratio':>6} {'dF Ha/at':>9} {'dF max':>8} {'steps':>7}")
    print(hdr)
    results = []
    for n in names:
        r = bench_case(n, args, help_text)
        results.append(r)
        k = "x".join(str(x) for x in r["ngkpt"])
        line = (f"{n:9} {r['natoms']:3d} {r['ecut_Ha']:5.0f} {k:>5} {r['abinit_s']:9.2f} "
                f"{r['abinit_sym_s']:8.2f} ")
        if "migbar_s" in r:
            line += (f"{r['migbar_s']:9.2f} {r['ratio']:6.2f} {r['dF_Ha_per_atom']:9.1e} "
                     f"{r['dforce_Ha_Bohr']:8.1e} {r['migbar_steps']:>3}/{r['abinit_steps']:<3}")
        else:
            line += f"{'-':>9} {'-':>6} {'-':>9} {'-':>8}     -/{r['abinit_steps']:<3}"
            if "migbar_error" in r:
                line += f"  migbar failed: {r['migbar_error']}"
        print(line, flush=True)
    print("ratio = migbar wall / ABINIT wall (both the whole process, ABINIT without "
          "symmetry as the engine); goal <= 1.5. dF: free energy per atom; dF max: largest "
          "force component difference (Ha/Bohr).")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"machine": model, "cores": ncpu, "nproc": args.nproc,
                       "results": results}, f, indent=1)
    failed = help_text is None or any("migbar_s" not in r for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
