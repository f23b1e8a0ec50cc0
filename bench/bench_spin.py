#!/usr/bin/env python3
"""Spin-polarised DFT (issue 13): `migbar dft --magmom` against ABINIT 9.6 (nsppol 2)
side by side, on the stored inputs of the spin parity tests, and what spin costs.

Cases (tests/data/dft/parity/*.abi, each with the structure it was made from in
tests/data/dft/): O2 in a box with PBE and with r2SCAN (Gamma, Gaussian 0.01 Ha, 10
bands per spin), ferromagnetic bcc Fe (4x4x4, Fermi-Dirac 0.01 Ha, 12 bands) and the
antiferromagnetic CsCl setting of Fe (+3/-3 mu_B at the start). Both codes run the same
input on one core (ABINIT as the file says; migbar with the same cutoff, grid, smearing,
band count and starting moments, energy tolerance 1e-8 eV); ABINIT's own time is the
process's wall time. For each case also the unpolarised run of migbar, for the cost of
spin. Printed: wall seconds, migbar/ABINIT, migbar spin/unpolarised, the free-energy
difference (Ha per atom) and the moments.

    python3 bench/bench_spin.py --migbar build/tools/migbar [--cases o2,fe] [--repeat 1]

Needs `abinit` and ../shared/psp (or $MB_SHARED_PSP); exits 0 with a message without.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
DATA = os.path.join(TOP, "tests", "data", "dft")
sys.path.insert(0, DATA)
from abinit_io import run_abinit  # noqa: E402

HA = 27.211386245988
SHARED = os.environ.get("MB_SHARED_PSP") or os.path.normpath(
    os.path.join(TOP, "..", "shared", "psp"))
NOCC = os.path.join(SHARED, "pseudodojo-nc-sr-04-pbe-nocc")

# name: (abi file, structure, psp element and file, functional, ecut Ha, kpts, smearing
#        migbar spec, extra bands, magmom)
CASES = {
    "o2": ("o2_spin.abi", "O2_box.vasp", ("O", "O.psp8"), "PBE", 15, "1",
           "gaussian:0.27211386245988", 4, "1,1"),
    "o2_r2scan": ("o2_spin_r2scan.abi", "O2_box.vasp", ("O", "O.psp8"), "r2SCAN", 15, "1",
                  "gaussian:0.27211386245988", 4, "1,1"),
    "fe": ("fe_spin.abi", "Fe_bcc.vasp", ("Fe", "Fe-sp.psp8"), "PBE", 25, "4x4x4",
           "fermi-dirac:0.27211386245988", 4, "3"),
    "fe_afm": ("fe_afm.abi", "Fe_afm.vasp", ("Fe", "Fe-sp.psp8"), "PBE", 25, "4x4x4",
               "fermi-dirac:0.27211386245988", 4, "3,-3"),
}


def run_migbar(migbar, case, spin):
    abi, struct, (el, psp), xc, ecut, kpts, smear, extra, magmom = case
    cmd = [migbar, "dft", os.path.join(DATA, struct), "--ecut", repr(ecut * HA), "--kpts", kpts,
           "--functional", xc, "--smearing", smear, "--extra-bands", str(extra),
           "--scf-tol", "1e-8", "--pseudo", f"{el}={os.path.join(NOCC, psp)}", "--json", "-q",
           "--threads", "1"]
    if spin:
        cmd += ["--magmom", magmom]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-1500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1]), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--migbar", default=os.path.join(TOP, "build", "tools", "migbar"))
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if not shutil.which("abinit"):
        print("bench_spin: no abinit on PATH: skipped")
        return 0
    if not os.path.isdir(NOCC):
        print(f"bench_spin: no {NOCC}: skipped")
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    print("| case | ABINIT s | migbar s | migbar / ABINIT | migbar unpolarised s | spin / "
          "unpolarised | dF (Ha/atom) | M migbar / ABINIT |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.cases.split(","):
        case = CASES[name]
        with open(os.path.join(DATA, "parity", case[0])) as f:
            text = f.read().replace("@MB_SHARED_PSP@", SHARED)
        natom = int(re.search(r"^natom\s+(\d+)", text, re.M).group(1))
        ta = tm = tu = float("inf")
        for _ in range(args.repeat):
            abo, t = run_abinit(text, name, 1, env)
            ta = min(ta, t)
            res, t = run_migbar(args.migbar, case, True)
            tm = min(tm, t)
            _, t = run_migbar(args.migbar, case, False)
            tu = min(tu, t)
        fa = float(re.findall(r"^total_energy\s*:\s*(\S+)", abo, re.M)[-1])
        ma = float(re.findall(r"Total magnetization \(exact up - dn\):\s*(\S+)", abo)[-1])
        df = (res["free_energy"] / HA - fa) / natom
        print(f"| {name} | {ta:.2f} | {tm:.2f} | {tm / ta:.2f} | {tu:.2f} | {tm / tu:.2f} | "
              f"{df:.1e} | {res['magnetization']:.4f} / {ma:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
