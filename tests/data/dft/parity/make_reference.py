#!/usr/bin/env python3
"""ABINIT 9.6.2 (Debian) references for the DFT parity cases of issue 6.

Four cases, each with one atom displaced so that the forces are not zero by symmetry:
  si   Si diamond (2 atoms), PBE PseudoDojo Si.psp8, fixed occupations
  si_pbesol  the same with PBEsol (libxc ixc -116133; no native variant)
  cao  rocksalt CaO (2 atoms, primitive), PBE Ca.psp8 + O.psp8 (both with model core)
  al   fcc Al in a 2-atom tetragonal cell, PBE Al.psp8, Marzari-Vanderbilt cold smearing
  li   bcc Li (2-atom cubic cell), HGH 3li.3.hgh, LDA (Perdew-Wang 92), Fermi-Dirac
Each case comes in two sizes: "test" (small cutoff and k-grid, for tests/dft/test_parity.c,
which has to run in seconds) and "bench" (the settings of bench/bench_dft.py, ABINIT
taking seconds). The engine's own settings are mirrored: nsym 1 with kptopt 2 (time
reversal only, no symmetry), istwfk *1, chksymbreak 0, chksymtnons 0, nband explicit,
and the functional of libxc (ixc -101130 for PBE, -001012 for PW92 LDA); ABINIT's
native functionals (ixc 11, ixc 7) are stored too ("_native" cases), as they differ
from libxc's by ~1e-6 Ha.

For every case the script writes NAME.abi here, runs `abinit NAME.abi` (one process)
in a scratch directory and extracts from NAME.abo the converged "--- !EnergyTerms"
block (kinetic, hartree, xc, Ewald, psp_core, local_psp, non_local_psp, internal,
-kT*entropy, total_energy = the free energy with smearing), the Fermi level, the
cartesian_forces (Hartree/Bohr), the number of SCF steps and ABINIT's own cpu and wall
time ("Overall time at end"). Results go to reference.txt.

bench/bench_dft.py imports CASES and abinit_input() from here, so that the benchmark
runs exactly these inputs.

Usage: python3 make_reference.py [NAME ...]   (about a minute; all cases when none named)
"""
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from abinit_io import energy_terms, run_abinit  # noqa: E402,F401  (run_abinit: bench_dft.py)
DOJO = "/usr/share/abinit/psp/Pseudodojo_nc_sr_04_pbe_standard_psp8"
# PseudoDojo without core correction (meta-GGA cases), found beside the clone
# (../shared/psp) or through $MB_SHARED_PSP; the stored inputs carry the token
# @MB_SHARED_PSP@, replaced when ABINIT runs (no machine path in the project)
SHARED_PSP = os.environ.get("MB_SHARED_PSP") or os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "psp"))
NOCC = "@MB_SHARED_PSP@/pseudodojo-nc-sr-04-pbe-nocc"
HGH = "/usr/share/abinit/psp"
HA_EV = 27.211386245988  # CODATA 2018, eV per Hartree

A_SI = 10.26        # Bohr, Si diamond (conventional cube)
A_CAO = 9.09        # Bohr, rocksalt CaO (4.81 A)
A_AL = 7.65         # Bohr, fcc Al (4.05 A)
A_LI = 6.60         # Bohr, bcc Li (3.49 A)


def _fcc(a):
    h = a / 2
    return [[0, h, h], [h, 0, h], [h, h, 0]]


# nband is what mb_dft chooses by default (dft_api.c): the occupied bands, plus with
# smearing 20 % more, at least 4, so that `migbar dft` runs the same problem.
# name: dict(lattice rows in Bohr, xred, elements, pseudos {el: (dir, file)}, nband,
#            smearing (occopt, tsmear Ha) or None, ixc (libxc), ixc_native,
#            test (ecut Ha, ngkpt), bench (ecut Ha, ngkpt), shift)
# The displacement of the second atom is in reduced units; its length in Bohr is
# printed in the header of reference.txt (all about 0.05 Bohr).
CASES = {
    "si": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)], elements=["Si", "Si"],
               pseudos={"Si": (DOJO, "Si.psp8")}, nband=4, smearing=None,
               ixc=-101130, ixc_native=11, test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)),
               shift=(0.5, 0.5, 0.5)),
    # the same Si with PBEsol (libxc 116 + 133; issue 13): ABINIT has no native PBEsol
    "si_pbesol": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)],
                      elements=["Si", "Si"], pseudos={"Si": (DOJO, "Si.psp8")}, nband=4,
                      smearing=None, ixc=-116133, ixc_native=None, test=(10.0, (2, 2, 2)),
                      bench=(15.0, (4, 4, 4)), shift=(0.5, 0.5, 0.5)),
    # meta-GGAs (issue 13): the Si geometry with the core-correction-free Si (ABINIT refuses
    # meta-GGA with a model core), usekden 1; SCAN (libxc 263 + 267), r2SCAN (497 + 498)
    # a charged cell (issue 13): Si with two electrons fewer, compensated by a uniform
    # background (ABINIT "charge 2"; the fixed occupations of a partly emptied valence band
    # do not converge in ABINIT, Gaussian smearing does)
    "si_charged": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)],
                       elements=["Si", "Si"], pseudos={"Si": (DOJO, "Si.psp8")}, nband=6,
                       smearing=(7, 0.01), ixc=-101130, ixc_native=None, charge=2.0,
                       test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)),
                       shift=(0.5, 0.5, 0.5)),
    "si_nocc": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)],
                    elements=["Si", "Si"], pseudos={"Si": (NOCC, "Si.psp8")}, nband=4,
                    smearing=None, ixc=-101130, ixc_native=None,
                    test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)), shift=(0.5, 0.5, 0.5)),
    "si_scan": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)],
                    elements=["Si", "Si"], pseudos={"Si": (NOCC, "Si.psp8")}, nband=4,
                    smearing=None, ixc=-263267, ixc_native=None, mgga=True,
                    test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)), shift=(0.5, 0.5, 0.5)),
    "si_r2scan": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)],
                      elements=["Si", "Si"], pseudos={"Si": (NOCC, "Si.psp8")}, nband=4,
                      smearing=None, ixc=-497498, ixc_native=None, mgga=True,
                      test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)), shift=(0.5, 0.5, 0.5)),
    # a denser density grid (MB_DFT_ECUT_RHO, ABINIT boxcutmin; issue 13): SCAN's
    # exchange-correlation integral on the box that holds 3 sqrt(2 ecut) instead of 2
    "si_scan_box3": dict(lattice=_fcc(A_SI), xred=[(0, 0, 0), (0.257, 0.25, 0.25)],
                         elements=["Si", "Si"], pseudos={"Si": (NOCC, "Si.psp8")}, nband=4,
                         smearing=None, ixc=-263267, ixc_native=None, mgga=True,
                         boxcutmin=3.0, test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)),
                         shift=(0.5, 0.5, 0.5)),
    # semicore Ca (3s3p, zion 10) + O (zion 6): 16 electrons. Not below 30 Ha: at 20 Ha
    # (FFT box 27^3) ABINIT's real-space model core (mkcore) of the hard O core differs
    # from a plane-wave one by ~1e-3 Ha (ABINIT alone moves by 7e-3 Ha with
    # nc_xccc_gspace 1); from 30 Ha on the two agree to 1e-7.
    "cao": dict(lattice=_fcc(A_CAO), xred=[(0, 0, 0), (0.508, 0.5, 0.5)], elements=["Ca", "O"],
                pseudos={"Ca": (DOJO, "Ca.psp8"), "O": (DOJO, "O.psp8")}, nband=8,
                smearing=None, ixc=-101130, ixc_native=11, test=(30.0, (1, 1, 1)),
                bench=(36.0, (2, 2, 2)), shift=(0.5, 0.5, 0.5)),
    # fcc Al as a 2-atom tetragonal cell: a1 = (a/2, a/2, 0), a2 = (-a/2, a/2, 0),
    # a3 = (0, 0, a); the second fcc site (a/2, 0, a/2) is (1/2, 1/2, 1/2) reduced
    "al": dict(lattice=[[A_AL / 2, A_AL / 2, 0], [-A_AL / 2, A_AL / 2, 0], [0, 0, A_AL]],
               xred=[(0, 0, 0), (0.5, 0.5, 0.507)], elements=["Al", "Al"],
               pseudos={"Al": (DOJO, "Al.psp8")}, nband=7, smearing=(4, 0.01),
               ixc=-101130, ixc_native=11, test=(10.0, (2, 2, 2)), bench=(15.0, (4, 4, 4)),
               shift=(0.5, 0.5, 0.5)),
    # 3li.3.hgh keeps the 1s shell (zion 3): 6 electrons
    "li": dict(lattice=[[A_LI, 0, 0], [0, A_LI, 0], [0, 0, A_LI]],
               xred=[(0, 0, 0), (0.508, 0.5, 0.5)], elements=["Li", "Li"],
               pseudos={"Li": (HGH, "3li.3.hgh")}, nband=7, smearing=(3, 0.01),
               ixc=-1012, ixc_native=7, test=(12.0, (2, 2, 2)), bench=(20.0, (4, 4, 4)),
               shift=(0.5, 0.5, 0.5)),
}

ZNUCL = {"Li": 3, "O": 8, "Al": 13, "Si": 14, "Ca": 20}


def variants():
    """(variant name, case name, size, native functional?) of every reference run."""
    out = []
    for name in CASES:
        for size in ("test", "bench"):
            out.append((f"{name}_{size}", name, size, False))
        if CASES[name]["ixc_native"] is not None:
            out.append((f"{name}_test_native", name, "test", True))
    return out


def displacement_bohr(name):
    c = CASES[name]
    ideal = [round(x * 4) / 4 for x in c["xred"][1]]
    d = [x - y for x, y in zip(c["xred"][1], ideal)]
    cart = [sum(d[i] * c["lattice"][i][j] for i in range(3)) for j in range(3)]
    return math.sqrt(sum(x * x for x in cart))


def abinit_input(name, size, native=False, toldfe=1e-10, title=None):
    """The ABINIT input text of case name at size "test" or "bench"."""
    c = CASES[name]
    ecut, ngkpt = c[size]
    species = list(dict.fromkeys(c["elements"]))
    lines = [f"# {title or name}: generated by tests/data/dft/parity/make_reference.py",
             "acell 3*1.0", "rprim"]
    lines += ["  " + " ".join(f"{x:.15f}" for x in row) for row in c["lattice"]]
    lines += [f"natom {len(c['xred'])}", f"ntypat {len(species)}",
              "typat " + " ".join(str(species.index(e) + 1) for e in c["elements"]),
              "znucl " + " ".join(str(ZNUCL[e]) for e in species), "xred"]
    lines += ["  " + " ".join(f"{x:.15f}" for x in f) for f in c["xred"]]
    lines += [f"ecut {ecut}", "ngkpt " + " ".join(str(k) for k in ngkpt), "nshiftk 1",
              "shiftk " + " ".join(str(s) for s in c["shift"]), f"nband {c['nband']}"]
    if c["smearing"]:
        lines += [f"occopt {c['smearing'][0]}", f"tsmear {c['smearing'][1]}"]
    else:
        lines += ["occopt 1"]
    if c.get("mgga"):
        lines += ["usekden 1"]
    if c.get("charge"):
        lines += [f"charge {c['charge']:g}"]
    if c.get("boxcutmin"):
        lines += [f"boxcutmin {c['boxcutmin']:g}"]
    lines += [f"ixc {c['ixc_native'] if native else c['ixc']}",
              "nsym 1 kptopt 2", "istwfk *1", "nstep 200", f"toldfe {toldfe:g}",
              "chksymbreak 0 chksymtnons 0 prtvol 1",
              "prtwf 0 prtden 0 prteig 0 prtebands 0 prtgsr 0"]
    dirs = {c["pseudos"][e][0] for e in species}
    assert len(dirs) == 1
    lines += [f'pp_dirpath "{dirs.pop()}"',
              'pseudos "' + ", ".join(c["pseudos"][e][1] for e in species) + '"']
    return "\n".join(lines) + "\n"


def parse_abo(abo):
    """Energy terms, Fermi level, forces, SCF steps and times of an ABINIT 9.6 output."""
    res = energy_terms(abo)
    m = re.search(r"Fermi \(or HOMO\) energy \(hartree\)\s*=\s*(\S+)", abo)
    res["fermi"] = float(m.group(1))
    fb = abo[abo.rindex("cartesian_forces:"):]
    forces = []
    for line in fb.splitlines()[1:]:
        if not line.startswith("- ["):
            break
        inner = line[line.index("[") + 1:line.index("]")]
        forces.append([float(x) for x in inner.split(",") if x.strip()])
    res["forces"] = forces
    steps = re.findall(r"^ ETOT\s+(\d+)", abo, re.M)
    res["scf_steps"] = int(steps[-1]) if steps else 0
    m = re.search(r"Overall time at end \(sec\) : cpu=\s*(\S+)\s+wall=\s*(\S+)", abo)
    res["cpu_s"], res["wall_s"] = float(m.group(1)), float(m.group(2))
    return res


def main(argv):
    want = set(argv)
    rows = variants()
    out = ["# generated by tests/data/dft/parity/make_reference.py from ABINIT 9.6.2 (Debian),"
           " one process; do not edit",
           "# Hartree, Hartree/Bohr; components of the last SCF step (toldfe 1e-10);",
           "# total_energy is the free energy E - TS with smearing; forces: fcart, one atom per"
           " line; wall_s/cpu_s: ABINIT's 'Overall time at end'"]
    for name in CASES:
        out.append(f"# {name}: second atom displaced by {displacement_bohr(name):.4f} Bohr")
    old = {}
    path = os.path.join(HERE, "reference.txt")
    if want and os.path.exists(path):  # keep the blocks of the cases not rerun
        with open(path) as f:
            cur = None
            for line in f:
                if line.startswith("case "):
                    cur = line.split()[1]
                    old[cur] = [line.rstrip("\n")]
                elif cur:
                    old[cur].append(line.rstrip("\n"))
                    if line.startswith("end"):
                        cur = None
    for var, name, size, native in rows:
        if want and var not in want:
            if var in old:
                out += old[var]
            continue
        text = abinit_input(name, size, native, title=var)
        with open(os.path.join(HERE, var + ".abi"), "w") as f:
            f.write(text)
        abo, wall = run_abinit(text.replace("@MB_SHARED_PSP@", SHARED_PSP), var)
        r = parse_abo(abo)
        ecut, ngkpt = CASES[name][size]
        out.append(f"case {var}")
        out.append(f"# ecut {ecut} ngkpt {ngkpt[0]} {ngkpt[1]} {ngkpt[2]} nband "
                   f"{CASES[name]['nband']}")
        for key, val in r.items():
            if key == "forces":
                for fa in val:
                    out.append("force " + " ".join(f"{x:.10e}" for x in fa))
            elif key in ("scf_steps",):
                out.append(f"{key} {val}")
            elif key in ("cpu_s", "wall_s"):
                out.append(f"{key} {val:.1f}")
            elif key == "fermi":
                out.append(f"fermi {val:.5f}")
            else:
                out.append(f"{key} {val:.14e}")
        out.append("end")
        print(f"{var}: E {r['total_energy']:.10f} steps {r['scf_steps']} abinit wall "
              f"{r['wall_s']:.1f} s (process {wall:.1f} s)", flush=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
