#!/usr/bin/env python3
"""Writes POSCAR_initial and POSCAR_final of examples/dft-neb: a Li vacancy hop in bcc Li.

bcc Li (a = 3.44 A), the conventional cell repeated 2x2x2 (16 sites), one atom removed
(15 atoms): the vacancy at the origin. In the final structure the nearest neighbour at
(a/2, a/2, a/2) has hopped into the vacancy, so the two end points are the same crystal
with the vacancy moved by one nearest-neighbour hop (a symmetric path). The moving atom is
put first (band atom first, as the migbar data sets order them). Needs ASE 3.22.
Run: python3 make_example.py (in this directory).
"""
import numpy as np
from ase.build import bulk
from ase.io import write

A = 3.44
atoms = bulk("Li", "bcc", a=A, cubic=True).repeat((2, 2, 2))
pos = atoms.get_positions()
vac = int(np.argmin(np.linalg.norm(pos, axis=1)))                     # site at the origin
hop = int(np.argmin(np.linalg.norm(pos - A / 2 * np.ones(3), axis=1)))  # its neighbour
order = [hop] + [i for i in range(len(atoms)) if i not in (vac, hop)]
initial = atoms[order]
final = initial.copy()
final.positions[0] = pos[vac]
write("POSCAR_initial", initial, format="vasp", direct=True, vasp5=True)
write("POSCAR_final", final, format="vasp", direct=True, vasp5=True)
print("%d atoms, hop length %.4f A" % (len(initial), np.linalg.norm(pos[hop] - pos[vac])))
