#!/usr/bin/python3
"""Write the extended-XYZ test fixtures with ASE (Debian python3-ase 3.22.1) and, beside
each, a .ref file with the values ASE itself reads back.

Run from anywhere: /usr/bin/python3 tests/data/xyz/make_fixtures.py
.ref layout as in tests/data/poscar/make_fixtures.py: "structures N", then per structure
"natoms N flags 0|1", the 9 lattice numbers (rows a, b, c) and one line per atom
"Z x y z [f f f]" (Cartesian Angstrom; flags 1 = free to move)."""
import os
import sys

import numpy as np
from ase import Atoms
from ase.build import bulk, molecule
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixAtoms, FixCartesian
from ase.io import read, write

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from refwriter import write_ref  # noqa: E402 (tests/data/refwriter.py)


def fixture(name, images, **kw):
    path = os.path.join(HERE, name)
    write(path, images, format='extxyz', **kw)
    write_ref(path + '.ref', read(path, index=':', format='extxyz'))


def main():
    rng = np.random.default_rng(11)
    # 1. Three frames: extra columns (forces, a string and an integer array), results and
    #    info keys with spaces, quotes and booleans on the comment line.
    nacl = bulk('NaCl', 'rocksalt', a=5.64, cubic=True)
    nacl.calc = SinglePointCalculator(nacl, energy=-27.5, forces=rng.normal(size=(8, 3)))
    tri = Atoms('Li2FeO4', cell=[[5.1, 0, 0], [0.7, 4.9, 0.1], [-0.3, 0.4, 6.2]], pbc=True,
                scaled_positions=rng.random((7, 3)))
    tri.info['note'] = 'a "quoted" note'
    tri.info['converged'] = True
    tri.new_array('tag', np.arange(7, dtype=int))
    tri.new_array('label', np.array(['x%d' % i for i in range(7)]))
    li = bulk('Li', 'bcc', a=3.44)
    fixture('frames.xyz', [nacl, tri, li])
    # 2. move_mask:L:1 from FixAtoms (ASE writes it when asked for the column).
    fixed = bulk('Cu', 'fcc', a=3.6, cubic=True)
    fixed.set_constraint(FixAtoms([1, 3]))
    fixture('move_mask.xyz', fixed, columns=['symbols', 'positions', 'move_mask'])
    # 3. move_mask:L:3 from FixCartesian constraints (ASE writes T = free to move).
    cart = bulk('Al', 'fcc', a=4.05, cubic=True)
    cart.set_constraint([FixCartesian(0, [True, False, True]), FixCartesian(1, [False] * 3),
                         FixCartesian(2, [True] * 3), FixCartesian(3, [False, True, False])])
    fixture('move_mask3.xyz', cart, columns=['symbols', 'positions', 'move_mask'])
    # 4. A molecule without a cell: no Lattice, must be refused.
    write(os.path.join(HERE, 'no_lattice.xyz'), molecule('H2O'), format='extxyz')


if __name__ == '__main__':
    main()
