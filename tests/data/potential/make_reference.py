#!/usr/bin/env python3
"""Write reference.json: energies and forces of ASE 3.22's LennardJones,
MorsePotential and EMT calculators on test structures, for
tests/potential/test_potential.c and bindings/python/tests/test_potential.py.

    /usr/bin/python3 tests/data/potential/make_reference.py   # ASE 3.22.1, numpy

Every structure is periodic in all three directions (pbc=True), as libmigbar's
structures are; clusters sit in cells large enough that images do not interact
(or do, in the small cells, on purpose). Random numbers come from fixed seeds, so
the file is reproduced exactly by the same ASE and numpy.

Layout: {"generator": ..., "entries": [{"name", "potential" ("lj", "morse",
"emt"), "params" (ASE keyword arguments: epsilon, sigma, rc, ro, smooth, r0,
rho0), "natoms", "lattice" (9, rows), "numbers", "positions" (3*natoms
Cartesian, A), "energy" (eV), "forces" (3*natoms, eV/A)}, ...]}.
"""
import json
import os

import ase
import numpy as np
from ase.build import add_adsorbate, bulk, fcc100
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from ase.calculators.morse import MorsePotential
from ase.geometry import get_distances

HERE = os.path.dirname(os.path.abspath(__file__))


def calculator(kind, params):
    if kind == "lj":
        return LennardJones(**params)
    if kind == "morse":
        return MorsePotential(**params)
    return EMT()


def random_positions(cell, n, dmin, rng):
    """n random points in a periodic cell, no two closer than dmin (minimum image)."""
    cell = np.asarray(cell, float)
    pos = np.zeros((0, 3))
    while len(pos) < n:
        p = rng.random(3) @ cell
        if len(pos):
            _, d = get_distances(p, pos, cell=cell, pbc=True)
            if d.min() < dmin:
                continue
        pos = np.vstack([pos, p])
    return pos


def structures():
    rng = np.random.default_rng(20240611)
    out = []

    # ---- EMT ------------------------------------------------------------------
    # fcc Cu, 2x2x2 conventional cells, one vacancy, rattled atoms.
    a = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    del a[5]
    a.rattle(stdev=0.05, seed=1)
    out.append(("Cu_fcc_vacancy_rattled", "emt", {}, a))

    # Al(100) slab with an Au adatom in the hollow site, as in ASE's NEB surface
    # diffusion tutorial, then the adatom moved half-way to the next hollow (the
    # bridge, the saddle) and the final state; made 3D-periodic with vacuum.
    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.pbc = True
    out.append(("Al100_Au_hollow", "emt", {}, slab.copy()))
    bridge = slab.copy()
    bridge[-1].x += bridge.cell[0, 0] / 4
    bridge[-1].z += 0.3
    out.append(("Al100_Au_bridge", "emt", {}, bridge))
    final = slab.copy()
    final[-1].x += final.cell[0, 0] / 2
    final.rattle(stdev=0.02, seed=2)
    out.append(("Al100_Au_final_rattled", "emt", {}, final))

    # Mixed Cu/Ag/Au/Ni/Pd/Pt/Al on a rattled fcc lattice (a = 3.95 A).
    m = bulk("Cu", "fcc", a=3.95, cubic=True).repeat(2)
    m.numbers = rng.choice([29, 47, 79, 28, 46, 78, 13], size=len(m))
    m.rattle(stdev=0.08, seed=3)
    out.append(("mixed_7_metals", "emt", {}, m))

    # Cells smaller than the cutoff (5.88 A): a 1-atom fcc Cu primitive cell, and a
    # 2-atom triclinic Cu/Au cell where atoms neighbour their own images.
    out.append(("Cu_primitive", "emt", {}, bulk("Cu", "fcc", a=3.61)))
    small = ase.Atoms("CuAu", cell=[[2.7, 0.0, 0.0], [0.9, 2.6, 0.0], [0.6, 1.1, 4.1]],
                      scaled_positions=[[0.05, 0.1, 0.02], [0.55, 0.45, 0.52]], pbc=True)
    out.append(("CuAu_small_triclinic", "emt", {}, small))

    # A strongly skewed triclinic cell with random mixed atoms (EMT).
    cell = np.array([[6.2, 0.0, 0.0], [3.9, 5.4, 0.0], [-2.1, 2.6, 6.3]])
    pos = random_positions(cell, 14, 2.0, rng)
    t = ase.Atoms(numbers=rng.choice([29, 79, 46, 13], size=14), positions=pos,
                  cell=cell, pbc=True)
    out.append(("triclinic_CuAuPdAl", "emt", {}, t))

    # Cu with O and C (ASE's "just for fun" parameters), and an isolated atom
    # (no neighbour: E = -E0) beside a Ni dimer in a 14 A box.
    co = bulk("Cu", "fcc", a=3.61, cubic=True).repeat((2, 2, 1))
    co.append(ase.Atom("O", (0.9, 0.9, 0.9)))
    co.append(ase.Atom("C", (2.7, 0.9, 2.7)))
    co.rattle(stdev=0.03, seed=4)
    out.append(("Cu_O_C", "emt", {}, co))
    iso = ase.Atoms("PtNi2", positions=[[1, 1, 1], [8, 8, 8], [10.3, 8.2, 8.1]],
                    cell=np.eye(3) * 14.0, pbc=True)
    out.append(("isolated_Pt_and_Ni_dimer", "emt", {}, iso))

    # ---- Lennard-Jones ----------------------------------------------------------
    # A 13-atom cluster (perturbed icosahedron-like blob), reduced units, 12 A box.
    pos = random_positions(np.eye(3) * 3.0, 13, 0.95, rng) + 4.0
    lj13 = ase.Atoms("Ar13", positions=pos, cell=np.eye(3) * 12.0, pbc=True)
    out.append(("LJ13_cluster_default", "lj", {}, lj13))
    out.append(("LJ13_cluster_smooth", "lj", {"smooth": True}, lj13.copy()))
    # Argon fcc crystal, real units, smooth cutoff with explicit rc and ro.
    ar = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    ar.rattle(stdev=0.1, seed=5)
    out.append(("Ar_fcc_smooth", "lj",
                {"epsilon": 0.0104, "sigma": 3.4, "rc": 8.5, "ro": 6.5, "smooth": True}, ar))
    out.append(("Ar_fcc_shifted", "lj", {"epsilon": 0.0104, "sigma": 3.4, "rc": 7.0},
                ar.copy()))
    # A small triclinic crystal in reduced units with the default cutoff (3 sigma)
    # larger than the cell.
    tri = ase.Atoms("Ar3", cell=[[1.6, 0.0, 0.0], [0.5, 1.5, 0.0], [0.3, 0.4, 1.7]],
                    scaled_positions=[[0.0, 0.0, 0.0], [0.5, 0.4, 0.1], [0.2, 0.6, 0.55]],
                    pbc=True)
    out.append(("LJ_small_triclinic_default", "lj", {}, tri))
    out.append(("LJ_small_triclinic_smooth", "lj", {"sigma": 0.9, "epsilon": 2.0,
                                                    "smooth": True}, tri.copy()))

    # ---- Morse ----------------------------------------------------------------
    mc = ase.Atoms("Ar13", positions=lj13.positions * 0.95, cell=np.eye(3) * 12.0, pbc=True)
    out.append(("Morse13_cluster_default", "morse", {}, mc))
    out.append(("Morse13_cluster_rho4", "morse", {"rho0": 4.0, "epsilon": 0.7}, mc.copy()))
    # Copper-like Morse crystal (Girifalco & Weizer-style parameters), rattled.
    cu = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    cu.rattle(stdev=0.07, seed=6)
    out.append(("Morse_Cu_fcc", "morse", {"epsilon": 0.3429, "r0": 2.866, "rho0": 3.894}, cu))
    out.append(("Morse_small_triclinic", "morse", {"r0": 1.1}, tri.copy()))
    return out


def main():
    entries = []
    for name, kind, params, atoms in structures():
        atoms.pbc = True
        atoms.calc = calculator(kind, params)
        e = atoms.get_potential_energy()
        f = atoms.get_forces()
        entries.append({
            "name": name, "potential": kind, "params": params, "natoms": len(atoms),
            "lattice": [float(x) for x in atoms.cell.array.ravel()],
            "numbers": [int(z) for z in atoms.numbers],
            "positions": [float(x) for x in atoms.positions.ravel()],
            "energy": float(e), "forces": [float(x) for x in f.ravel()]})
        print("%-30s %-5s %3d atoms  E = %.8f eV  max|F| = %.4f eV/A"
              % (name, kind, len(atoms), e, np.abs(f).max()))
    doc = {"generator": "tests/data/potential/make_reference.py with ASE %s, numpy %s"
                        % (ase.__version__, np.__version__),
           "entries": entries}
    with open(os.path.join(HERE, "reference.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
