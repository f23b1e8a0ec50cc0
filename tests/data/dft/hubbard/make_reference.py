#!/usr/bin/env python3
"""Quantum ESPRESSO 6.7 (Debian 12, pw.x) references for DFT+U (issue 13, tests/dft/test_hubbard.c).

The system: alpha-NaCoO2 (R-3m, the LiCoO2 structure with Na; low-spin Co3+ d6, a band
insulator without spin polarisation), its rhombohedral primitive cell of 4 atoms from the
hexagonal a = 2.889 A, c = 15.609 A with O at z = 0.27 (Co-O 1.94 A, Na-O 2.32 A), Co at
the origin, Na at (1/2, 1/2, 1/2). PseudoDojo 0.4 PBE without core correction in UPF
(../shared/psp/pseudodojo-nc-sr-04-pbe-nocc: Na-sp, Co-sp, O), PBE, ecutwfc 50 Ry (25 Ha),
Gaussian smearing of 0.02 Ry (0.01 Ha; the gap is ~2 eV, so the occupations are 0 or 1),
23 bands (the 19 occupied + 4, what mb_dft chooses), nspin 1, conv_thr 1e-12 Ry.

Cases (U_eff on the Co 3d shell, Dudarev: lda_plus_u_kind 0, U_projection_type 'atomic',
i.e. the PP_CHI orbitals not orthogonalised), each on the Gamma point alone ("gamma_",
what make check runs: seconds) and on the Gamma-centred 2x2x2 grid ("k2_": about 30 s
each in migbar, checked when MB_TEST_SLOW is set):
  u0      one O moved by (0.002, 0, 0) reduced (0.028 Bohr): plain PBE, no lda_plus_u
  utiny   the same with Hubbard_U 1e-8 eV: the occupation matrix of plain PBE (k2 only)
  u4      the same with Hubbard_U = 4 eV
  sym_u4  the undisplaced (symmetric) cell, U = 4 eV: QE uses the 12 operations of
          R-3m, migbar its symmetrisation of the occupation matrices (hubbard.c)
The displaced cell keeps one mirror, which both codes find and use.

Spin-polarised cases (nspin 2, the displaced cell, Gamma point only, run by make check):
  spin_u0  plain PBE held at a total moment of 2 (tot_magnetization = 2: QE 6.7's iosys
           sets two_fermi_energies whenever tot_magnetization is given, so each spin has
           its own Fermi level, as migbar's MB_DFT_FIX_MOMENT), started from
           starting_magnetization(Co) = 2/17 (the Co atom's density times 2/17 of its 17
           valence electrons: 2 mu_B, migbar's starting moment 2 on Co)
  spin_u4  the same with Hubbard_U = 4 eV, so that E(U) - E(0) compares with spin
For these the Fermi energies of both spins, the total and absolute magnetization (XML,
full precision) and both spins' occupation matrices are recorded.

For every case the script writes NAME.in here (pseudo_dir is the token @MB_SHARED_PSP@,
replaced when pw.x runs: no machine path in the project), runs
    pw.x -in NAME.in        (one process, in a scratch directory, OMP_NUM_THREADS=1)
and takes from its output the free energy ('!    total energy'), the internal energy
E = F + TS, the 'Hubbard energy' and the other terms of the summary, the Fermi energy (or
the two of nspin 2, with the magnetization),
the forces (Ry/Bohr), the SCF steps and the wall time, and from
prefix.save/data-file-schema.xml the converged occupation matrix of Co at full precision
(Hubbard_ns: per spin, n/2 with nspin 1; QE's m order z^2, xz, yz, x^2-y^2, xy; with
nspin 2 checked against the last 'Tr[ns(na)] (up, down, total)' that pw.x prints).
reference.txt gets them in Hartree atomic units (Ry / 2).

Usage: python3 make_reference.py [NAME ...]    (about 2.5 minutes; all cases when none named)
Needs pw.x (apt-get install quantum-espresso) and the shared pseudopotentials
($MB_SHARED_PSP or ../shared/psp beside the clone).
"""
import math
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_PSP = os.environ.get("MB_SHARED_PSP") or os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "psp"))
NOCC = "@MB_SHARED_PSP@/pseudodojo-nc-sr-04-pbe-nocc"

A_HEX, C_HEX, Z_O = 2.889, 15.609, 0.27  # Angstrom, Angstrom, reduced
S3 = math.sqrt(3)
LATTICE = [[A_HEX / 2, -A_HEX / (2 * S3), C_HEX / 3],
           [0.0, A_HEX / S3, C_HEX / 3],
           [-A_HEX / 2, -A_HEX / (2 * S3), C_HEX / 3]]  # Angstrom, rows
IDEAL = [("Co", (0.0, 0.0, 0.0)), ("Na", (0.5, 0.5, 0.5)),
         ("O", (Z_O, Z_O, Z_O)), ("O", (-Z_O, -Z_O, -Z_O))]
MOVED = [IDEAL[0], IDEAL[1], ("O", (Z_O + 0.002, Z_O, Z_O)), IDEAL[3]]
SPECIES = [("Na", 22.98977, "Na-sp.upf"), ("Co", 58.933195, "Co-sp.upf"), ("O", 15.9994, "O.upf")]
ECUT_RY, DEGAUSS_RY, NBND = 50.0, 0.02, 23

CASES = {}
for _grid, _k in (("gamma", (1, 1, 1)), ("k2", (2, 2, 2))):
    CASES[f"{_grid}_u0"] = dict(atoms=MOVED, u=None, k=_k)
    if _grid == "k2":
        CASES[f"{_grid}_utiny"] = dict(atoms=MOVED, u=1e-8, k=_k)
    CASES[f"{_grid}_u4"] = dict(atoms=MOVED, u=4.0, k=_k)
    CASES[f"{_grid}_sym_u4"] = dict(atoms=IDEAL, u=4.0, k=_k)
# spin-polarised (nspin 2), Gamma point only: the displaced cell held at a total moment of
# 2 (tot_magnetization: QE 6.7 then has two Fermi energies, iosys sets two_fermi_energies
# for any tot_magnetization given, as migbar's MB_DFT_FIX_MOMENT), started with
# starting_magnetization(Co) = 2/17 (2 mu_B of Co's 17 valence electrons: migbar's spinat
# 2 on Co, the atom's density times 2/17), without and with U = 4 eV
SPIN_MOMENT, SPIN_START_CO = 2.0, 2.0 / 17.0
CASES["gamma_spin_u0"] = dict(atoms=MOVED, u=None, k=(1, 1, 1), spin=True)
CASES["gamma_spin_u4"] = dict(atoms=MOVED, u=4.0, k=(1, 1, 1), spin=True)


def qe_input(name):
    c = CASES[name]
    lines = [f"! {name}: generated by tests/data/dft/hubbard/make_reference.py",
             "&control", "  calculation = 'scf'", "  prefix = 'nacoo2'",
             f"  pseudo_dir = '{NOCC}'", "  outdir = './out'", "  tprnfor = .true.",
             "  verbosity = 'high'", "/", "&system", "  ibrav = 0",
             f"  nat = {len(c['atoms'])}", f"  ntyp = {len(SPECIES)}",
             f"  ecutwfc = {ECUT_RY}", f"  nbnd = {NBND}", "  occupations = 'smearing'",
             "  smearing = 'gaussian'", f"  degauss = {DEGAUSS_RY}"]
    if c.get("spin"):
        co = 1 + [el for el, _, _ in SPECIES].index("Co")
        lines += ["  nspin = 2", f"  tot_magnetization = {SPIN_MOMENT:g}",
                  f"  starting_magnetization({co}) = {SPIN_START_CO:.15f}"]
    else:
        lines += ["  nspin = 1"]
    if c["u"] is not None:
        lines += ["  lda_plus_u = .true.", "  lda_plus_u_kind = 0",
                  "  U_projection_type = 'atomic'", f"  Hubbard_U(2) = {c['u']:g}"]
    lines += ["/", "&electrons", "  conv_thr = 1e-12", "  mixing_beta = 0.5", "/",
              "ATOMIC_SPECIES"]
    lines += [f"  {el} {mass} {f}" for el, mass, f in SPECIES]
    lines += ["CELL_PARAMETERS angstrom"]
    lines += ["  " + " ".join(f"{x:.15f}" for x in row) for row in LATTICE]
    lines += ["ATOMIC_POSITIONS crystal"]
    lines += [f"  {el} " + " ".join(f"{x:.15f}" for x in f) for el, f in c["atoms"]]
    lines += ["K_POINTS automatic", " ".join(str(k) for k in c["k"]) + " 0 0 0"]
    return "\n".join(lines) + "\n"


def run_pw(text, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name + ".in")
        with open(path, "w") as f:
            f.write(text.replace("@MB_SHARED_PSP@", SHARED_PSP))
        t0 = time.perf_counter()
        p = subprocess.run(["pw.x", "-in", name + ".in"], cwd=tmp, capture_output=True,
                           text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
        wall = time.perf_counter() - t0
        if p.returncode != 0 or "JOB DONE" not in p.stdout:
            raise RuntimeError(f"pw.x failed on {name} (exit {p.returncode}):\n"
                               f"{p.stdout[-3000:]}\n{p.stderr[-2000:]}")
        xml_path = os.path.join(tmp, "out", "nacoo2.save", "data-file-schema.xml")
        with open(xml_path) as f:
            xml = f.read()
        return p.stdout, xml, wall


def ry(out, label):
    m = re.findall(r"^\s*" + re.escape(label) + r"\s*=\s*(\S+) Ry", out, re.M)
    return float(m[-1]) / 2 if m else None


def parse(out, xml):
    res = {}
    m = re.findall(r"^!\s+total energy\s+=\s+(\S+) Ry", out, re.M)
    res["free_energy"] = float(m[-1]) / 2
    res["internal_energy"] = ry(out, "internal energy E=F+TS")
    for key, label in (("one_electron", "one-electron contribution"),
                       ("hartree", "hartree contribution"), ("xc", "xc contribution"),
                       ("ewald", "ewald contribution"), ("hubbard", "Hubbard energy"),
                       ("smearing", "smearing contrib. (-TS)")):
        v = ry(out, label)
        if v is not None:
            res[key] = v
    two = re.findall(r"the spin up/dw Fermi energies are\s+(\S+)\s+(\S+) ev", out)
    if two:
        res["fermi_up_ev"], res["fermi_down_ev"] = (float(x) for x in two[-1])
    else:
        res["fermi_ev"] = float(re.findall(r"the Fermi energy is\s+(\S+) ev", out)[-1])
    block = out[out.rindex("Forces acting on atoms"):]
    res["forces"] = [[float(x) / 2 for x in f] for f in
                     re.findall(r"atom\s+\d+ type\s+\d+\s+force =\s+(\S+)\s+(\S+)\s+(\S+)",
                                block.split("The non-local contrib.")[0])]
    res["scf_steps"] = int(re.findall(r"convergence has been achieved in\s+(\d+)", out)[-1])
    ns = re.findall(r'<Hubbard_ns specie="Co"[^>]*spin="(\d)"[^>]*>(.*?)</Hubbard_ns>', xml, re.S)
    for spin, text in ns:  # spin 1 (nspin 1: n/2), then spin 2 with nspin 2
        res["ns" if spin == "1" else "ns_down"] = [float(x) for x in text.split()]
    m = re.search(r"<magnetization>.*?<total>(\S+)</total>\s*<absolute>(\S+)</absolute>", xml,
                  re.S)
    if "fermi_up_ev" in res:
        res["magnetization"], res["absolute_magnetization"] = float(m.group(1)), float(m.group(2))
        tr = re.findall(r"Tr\[ns\(na\)\] \(up, down, total\) =\s+(\S+)\s+(\S+)\s+(\S+)", out)
        if "ns" in res:  # the last printed traces (5 decimals) are those of the XML's matrices
            for x, key in zip(tr[-1], ("ns", "ns_down")):
                t = sum(res[key][i * 6] for i in range(5))
                assert abs(float(x) - t) < 2e-5, (x, t)
    return res


def main(argv):
    want = set(argv) or set(CASES)
    out = ["# generated by tests/data/dft/hubbard/make_reference.py from Quantum ESPRESSO 6.7 "
           "(Debian pw.x), one process; do not edit",
           "# Hartree, Hartree/Bohr (QE's Ry halved); free_energy is QE's '!' total energy "
           "(F = E - TS), internal_energy E = F + TS;",
           "# hubbard: QE's 'Hubbard energy'; ns: Co's occupation matrix per spin (nspin 1: n/2),"
           " QE's m order z2 xz yz x2-y2 xy, 25 values",
           "# nspin 2 (gamma_spin_*): ns spin up, ns_down spin down, trace_up/trace_down their"
           " traces, trace their sum; fermi_up_ev/fermi_down_ev QE's two Fermi energies;"
           " magnetization/absolute_magnetization from the XML (Bohr mag/cell)",
           "# forces: one atom per line in the input order (Co, Na, O, O)"]
    for name in CASES:
        if name not in want:
            continue
        text = qe_input(name)
        with open(os.path.join(HERE, name + ".in"), "w") as f:
            f.write(text)
        stdout, xml, wall = run_pw(text, name)
        r = parse(stdout, xml)
        out.append(f"case {name}")
        for key in ("free_energy", "internal_energy", "one_electron", "hartree", "xc", "ewald",
                    "hubbard", "smearing"):
            if key in r:
                out.append(f"{key} {r[key]:.14e}")
        for key in ("fermi_ev", "fermi_up_ev", "fermi_down_ev"):
            if key in r:
                out.append(f"{key} {r[key]}")
        for key in ("magnetization", "absolute_magnetization"):
            if key in r:
                out.append(f"{key} {r[key]:.12f}")
        if "ns_down" in r:
            tu, td = (sum(r[k][i * 6] for i in range(5)) for k in ("ns", "ns_down"))
            out.append("ns " + " ".join(f"{x:.15e}" for x in r["ns"]))
            out.append("ns_down " + " ".join(f"{x:.15e}" for x in r["ns_down"]))
            out.append(f"trace_up {tu:.12f}")
            out.append(f"trace_down {td:.12f}")
            out.append(f"trace {tu + td:.12f}")
        elif "ns" in r:
            out.append("ns " + " ".join(f"{x:.15e}" for x in r["ns"]))
            out.append(f"trace {2 * sum(r['ns'][i * 6] for i in range(5)):.12f}")
        for f in r["forces"]:
            out.append("force " + " ".join(f"{x:.10e}" for x in f))
        out.append(f"scf_steps {r['scf_steps']}")
        out.append(f"wall_s {wall:.1f}")
        out.append("end")
        print(f"{name}: F = {r['free_energy']:.10f} Ha, E_U = {r.get('hubbard', 0):.10f} Ha, "
              f"{wall:.1f} s", file=sys.stderr)
    if want == set(CASES):
        with open(os.path.join(HERE, "reference.txt"), "w") as f:
            f.write("\n".join(out) + "\n")
    else:
        print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
