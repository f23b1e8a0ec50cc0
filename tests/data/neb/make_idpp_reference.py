#!/usr/bin/env python3
"""Reference path for tests/neb/test_idpp.c (run from this folder:
python3 make_idpp_reference.py). Writes idpp_vacancy.ref.

A nearest-neighbour vacancy hop in a 3x3x3 cubic fcc Cu supercell (a = 3.61 A,
107 atoms; the cell is 10.83 A, so pairs reach 9.4 A and libmigbar's 8 A pair
cutoff leaves some out), atoms rattled by up to 0.03 A (seed 5) in both end points,
7 images. Reference: ASE 3.22's IDPP over all minimum-image pairs (ase.neb.
idpp_interpolate, mic=True, ASE's NEB with its default 'aseneb' tangent and spring
0.1) converged to fmax 1e-4 (MDMin, up to 20000 steps), after the linear path.
Format: 'natoms N nimages M', the cell (9 numbers), the atomic numbers, then per
image the Cartesian positions (N lines).
"""
import numpy as np
from ase.build import bulk
from ase.neb import NEB, idpp_interpolate


def case():
    a = 3.61
    crystal = bulk("Cu", "fcc", a=a, cubic=True).repeat((3, 3, 3))
    pos = crystal.get_positions()
    vac = 13
    d = np.linalg.norm(pos - pos[vac], axis=1)
    d[vac] = np.inf
    hop = int(np.argmin(d))
    keep = [i for i in range(len(crystal)) if i != vac]
    initial = crystal[keep]
    final = initial.copy()
    final.positions[keep.index(hop)] = pos[vac]
    rng = np.random.default_rng(5)
    initial.positions += rng.uniform(-0.03, 0.03, initial.positions.shape)
    final.positions += rng.uniform(-0.03, 0.03, final.positions.shape)
    return initial, final


def main():
    initial, final = case()
    images = [initial.copy() for _ in range(6)] + [final.copy()]
    neb = NEB(images)
    neb.interpolate(mic=True)
    idpp_interpolate(neb, traj=None, log=None, fmax=1e-4, steps=20000, mic=True)
    with open("idpp_vacancy.ref", "w") as f:
        f.write("# written by make_idpp_reference.py (ASE 3.22 IDPP, all pairs, fmax 1e-4)\n")
        f.write("natoms %d nimages %d\n" % (len(initial), len(images)))
        f.write(" ".join("%.10f" % x for x in np.array(initial.get_cell()).ravel()) + "\n")
        f.write(" ".join(str(z) for z in initial.numbers) + "\n")
        for im in images:
            for p in im.get_positions():
                f.write("%.10f %.10f %.10f\n" % tuple(p))


if __name__ == "__main__":
    main()
