#!/usr/bin/env python3
"""How the DFT engine's cost grows with the cell, against ABINIT 9.6 side by side (issue 14).

The cells of issue 14's table, built here with ASE and written for both codes with the
same pseudopotentials (PseudoDojo 0.4 PBE without core correction from ../shared/psp, or
$MB_SHARED_PSP), cutoff, Gamma-centred k-grid, smearing and band count; one atom of
each moved by 0.03 A so that forces are not zero; symmetry on in both codes, ABINIT at
its defaults otherwise (istwfk, its own FFT):
  si2 .. si64   Si diamond, 2 to 64 atoms, 20 Ha, 4x4x4 down to Gamma
  mgo15         rocksalt MgO (2x1x1 conventional) with a Mg vacancy, 36 Ha, 1x2x2,
                Gaussian smearing 0.01 Ha
  al7           fcc Al (2x1x1 conventional) with a vacancy, 20 Ha, 2x4x4, Fermi-Dirac
                0.01 Ha
  ca_box        a Ca atom in a 12 A cubic box, 25 Ha, Gamma (vacuum)
Both converge the total energy to 1e-6 eV per step (ABINIT toldfe 3.67e-8 Ha). For
each case and each process count (--nprocs, default 1,2: `migbar dft --threads N`,
`mpirun -np N abinit`) the whole-process wall time of each code, their ratio
(migbar / ABINIT), the SCF steps, the time per SCF step and the free-energy difference
per atom; then, over the Si cells, the growth exponent of each code's time per k-point
and SCF step against the number of atoms (least squares on the logarithms).

    python3 bench/bench_dft_scaling.py --migbar build/tools/migbar \
        [--cases si2,si8,si16,si32,mgo15,al7,ca_box] [--nprocs 1,2] [--repeat 1]
        [--json-out FILE]
(make bench-dft-scaling; si64 and the two-process runs make it long: ~1 h on 2 cores).
Exits 0 with a message when abinit, ASE or the pseudopotentials are missing.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "data", "dft"))
from abinit_io import energy_terms, run_abinit  # noqa: E402

HA = 27.211386245988
BOHR = 0.529177210903
TOL_EV = 1e-6
PSP = os.environ.get("MB_SHARED_PSP") or os.path.normpath(
    os.path.join(SRCDIR, "..", "shared", "psp"))
NOCC = os.path.join(PSP, "pseudodojo-nc-sr-04-pbe-nocc")
FILES = {"Si": "Si.psp8", "Mg": "Mg-sp.psp8", "O": "O.psp8", "Al": "Al.psp8",
         "Ca": "Ca-sp.psp8"}
ZION = {"Si": 4, "Mg": 10, "O": 6, "Al": 3, "Ca": 10}
ZNUCL = {"Si": 14, "Mg": 12, "O": 8, "Al": 13, "Ca": 20}
ABINIT_ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
SMEAR_ABINIT = {"gaussian": 7, "fermi-dirac": 3}


def build(name):
    """(ase.Atoms, ecut Ha, k-grid, smearing (kind, Ha) or None) of a case."""
    from ase.build import bulk
    from ase import Atoms
    si = bulk("Si", "diamond", a=5.43, cubic=True)
    if name == "si2":
        a, k = bulk("Si", "diamond", a=5.43), (4, 4, 4)
    elif name.startswith("si"):
        rep = {"si8": (1, 1, 1), "si16": (2, 1, 1), "si32": (2, 2, 1), "si64": (2, 2, 2)}[name]
        a = si.repeat(rep)
        k = {"si8": (2, 2, 2), "si16": (1, 2, 2), "si32": (1, 1, 2), "si64": (1, 1, 1)}[name]
    elif name == "mgo15":
        a = bulk("MgO", "rocksalt", a=4.21, cubic=True).repeat((2, 1, 1))
        del a[[i for i, s in enumerate(a.get_chemical_symbols()) if s == "Mg"][0]]
        return _moved(a), 36.0, (1, 2, 2), ("gaussian", 0.01)
    elif name == "al7":
        a = bulk("Al", "fcc", a=4.05, cubic=True).repeat((2, 1, 1))
        del a[0]
        return _moved(a), 20.0, (2, 4, 4), ("fermi-dirac", 0.01)
    elif name == "ca_box":
        a = Atoms("Ca", positions=[(6.0, 6.0, 6.0)], cell=[12.0] * 3, pbc=True)
        return a, 25.0, (1, 1, 1), None
    else:
        raise SystemExit(f"bench_dft_scaling: no case {name}")
    return _moved(a), 20.0, k, None


def _moved(a):
    a.positions[-1] += (0.03, 0.0, 0.0)
    return a


def nbands(atoms, smearing):
    """mb_dft's default: the occupied bands, with smearing 20 % more and at least 4."""
    occ = -(-sum(ZION[s] for s in atoms.get_chemical_symbols()) // 2)
    return occ + (max(4, math.ceil(0.2 * occ)) if smearing else 0)


def abinit_input(atoms, ecut, kgrid, smearing, nband):
    species = list(dict.fromkeys(atoms.get_chemical_symbols()))
    lines = ["acell 3*1.0 Angstrom", "rprim"]
    lines += ["  " + " ".join(f"{x:.12f}" for x in row) for row in atoms.cell]
    lines += [f"natom {len(atoms)}", f"ntypat {len(species)}",
              "typat " + " ".join(str(species.index(s) + 1) for s in atoms.get_chemical_symbols()),
              "znucl " + " ".join(str(ZNUCL[s]) for s in species), "xred"]
    lines += ["  " + " ".join(f"{x:.12f}" for x in f)
              for f in atoms.get_scaled_positions(wrap=False)]
    lines += [f"ecut {ecut}", "ngkpt " + " ".join(map(str, kgrid)), "nshiftk 1",
              "shiftk 0 0 0", f"nband {nband}", "ixc -101130", "nstep 200",
              f"toldfe {TOL_EV / HA:.6g}", "chksymtnons 0 chksymbreak 0",
              "prtwf 0 prtden 0 prteig 0 prtebands 0 prtgsr 0"]
    lines += [f"occopt {SMEAR_ABINIT[smearing[0]]}", f"tsmear {smearing[1]}"] if smearing \
        else ["occopt 1"]
    lines += [f'pp_dirpath "{NOCC}"', 'pseudos "' + ", ".join(FILES[s] for s in species) + '"']
    return "\n".join(lines) + "\n"


def abinit_run(text, name, nproc, repeat):
    best, abo = float("inf"), None
    for _ in range(repeat):
        abo, wall = run_abinit(text, name, nproc=nproc, env=ABINIT_ENV)
        best = min(best, wall)
    steps = re.findall(r"^ ETOT\s+(\d+)", abo, re.M)
    nk = re.search(r"^\s+nkpt\s+(\d+)", abo, re.M)
    return {"s": best, "steps": int(steps[-1]) if steps else 0,
            "nk": int(nk.group(1)) if nk else None,
            "F_Ha": energy_terms(abo)["total_energy"]}


def migbar_run(migbar, atoms, ecut, kgrid, smearing, nband, nproc, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        poscar = os.path.join(tmp, "POSCAR")
        atoms.write(poscar, format="vasp", direct=True)
        species = list(dict.fromkeys(atoms.get_chemical_symbols()))
        occ = -(-sum(ZION[s] for s in atoms.get_chemical_symbols()) // 2)
        cmd = [migbar, "dft", poscar, "--ecut", f"{ecut * HA:.10g}",
               "--kpts", "x".join(map(str, kgrid)), "--functional", "PBE", "--json",
               "--threads", str(nproc), "--extra-bands", str(nband - occ),
               "--scf-tol", f"{TOL_EV:g}"]
        if smearing:
            cmd += ["--smearing", f"{smearing[0]}:{smearing[1] * HA:.10g}"]
        for s in species:
            cmd += ["--pseudo", f"{s}={os.path.join(NOCC, FILES[s])}"]
        best, p = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            best = min(best, time.perf_counter() - t0)
            if p.returncode != 0:
                raise RuntimeError(f"migbar failed: {p.stderr[-1000:]}")
    j = json.loads(p.stdout.strip().splitlines()[-1])
    size = re.search(r"size: about \d+ plane waves per k-point[^,]*, FFT box \S+, (\d+) k-point",
                     p.stderr)
    return {"s": best, "steps": j["scf_steps"], "nk": int(size.group(1)) if size else None,
            "F_Ha": j["free_energy"] / HA}


def growth(rows, code, nproc):
    """Exponent p of time per k-point and SCF step ~ natoms^p over the Si cells."""
    pts = [(math.log(r["natoms"]), math.log(r[code][nproc]["s"] /
                                            (r[code][nproc]["steps"] * r[code][nproc]["nk"])))
           for r in rows if r["case"].startswith("si") and nproc in r.get(code, {})
           and r[code][nproc].get("nk")]
    if len(pts) < 2:
        return None
    mx, my = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--migbar", default=os.path.join("tools", "migbar"))
    ap.add_argument("--cases", default="si2,si8,si16,si32,mgo15,al7,ca_box")
    ap.add_argument("--nprocs", default="1,2")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    try:
        import ase  # noqa: F401
    except ImportError:
        print("bench_dft_scaling: skipped, no ASE (python3-ase)")
        return 0
    if subprocess.run(["which", "abinit"], capture_output=True).returncode != 0:
        print("bench_dft_scaling: skipped, no abinit")
        return 0
    if not os.path.isdir(NOCC):
        print(f"bench_dft_scaling: skipped, no pseudopotentials in {NOCC} ($MB_SHARED_PSP)")
        return 0
    nprocs = [int(x) for x in args.nprocs.split(",")]
    args.migbar = os.path.abspath(args.migbar)
    rows = []
    hdr = ("| case | atoms | ecut (Ha) | k | bands | procs | ABINIT s (steps) | migbar s (steps) "
           "| ratio | ABINIT s/step/k | migbar s/step/k | dF (Ha/atom) |")
    print(hdr + "\n|" + "---|" * 12, flush=True)
    for name in args.cases.split(","):
        atoms, ecut, kgrid, smearing = build(name)
        nb = nbands(atoms, smearing)
        text = abinit_input(atoms, ecut, kgrid, smearing, nb)
        row = {"case": name, "natoms": len(atoms), "ecut_Ha": ecut, "kgrid": kgrid,
               "nband": nb, "abinit": {}, "migbar": {}}
        for n in nprocs:
            a = abinit_run(text, name, n, args.repeat)
            m = migbar_run(args.migbar, atoms, ecut, kgrid, smearing, nb, n, args.repeat)
            row["abinit"][n], row["migbar"][n] = a, m
            per = [x["s"] / (x["steps"] * x["nk"]) if x["nk"] else float("nan") for x in (a, m)]
            print(f"| {name} | {len(atoms)} | {ecut:g} | {'x'.join(map(str, kgrid))} | {nb} | {n} "
                  f"| {a['s']:.1f} ({a['steps']}) | {m['s']:.1f} ({m['steps']}) "
                  f"| {m['s'] / a['s']:.2f} | {per[0]:.3g} | {per[1]:.3g} "
                  f"| {(m['F_Ha'] - a['F_Ha']) / len(atoms):.1e} |", flush=True)
        rows.append(row)
    for n in nprocs:
        ga, gm = growth(rows, "abinit", n), growth(rows, "migbar", n)
        if ga is not None:
            print(f"growth of time per k-point and SCF step with atoms (Si, {n} process(es)): "
                  f"ABINIT N^{ga:.2f}, migbar N^{gm:.2f}")
    for n in nprocs[1:]:
        for code in ("abinit", "migbar"):
            sp = [f"{r['case']} {r[code][nprocs[0]]['s'] / r[code][n]['s']:.2f}" for r in rows]
            print(f"{code} speed-up on {n} against {nprocs[0]}: " + ", ".join(sp))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
