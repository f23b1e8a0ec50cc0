#!/usr/bin/python3
"""Write the POSCAR test fixtures with ASE (Debian python3-ase 3.22.1) and, beside each,
a .ref file with the values ASE itself reads back (or, for the scale-line variants
ASE 3.22 cannot read, the structure they were made from).

Run from anywhere: /usr/bin/python3 tests/data/poscar/make_fixtures.py
.ref layout: "structures N", then per structure "natoms N flags 0|1", a line of the
9 lattice numbers (rows a, b, c; Angstrom) and one line per atom "Z x y z [f f f]"
(Cartesian Angstrom; flags 1 = free, as VASP's T)."""
import os
import sys

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.constraints import FixAtoms, FixScaled
from ase.io import read, write

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from refwriter import write_ref  # noqa: E402 (tests/data/refwriter.py)


def fixture(name, atoms, **kw):
    path = os.path.join(HERE, name)
    write(path, atoms, format='vasp', **kw)
    back = read(path, format='vasp')
    write_ref(path + '.ref', [back])
    return back


def triclinic():
    """LiFePO4-like cell: a triclinic lattice, three species in repeated runs."""
    rng = np.random.default_rng(7)
    cell = [[10.33, 0.0, 0.0], [0.41, 6.01, 0.0], [-0.87, 0.52, 4.69]]
    symbols = ['Li'] * 2 + ['Fe'] * 2 + ['P'] + ['O'] * 4 + ['Li'] + ['O']
    return Atoms(symbols, scaled_positions=rng.random((len(symbols), 3)), cell=cell,
                 pbc=True)


def main():
    # 1. ASE's direct writer, rocksalt with alternating species (many runs).
    fixture('nacl_direct.vasp', bulk('NaCl', 'rocksalt', a=5.64, cubic=True), direct=True)
    # 2. Cartesian coordinates, selective dynamics from FixAtoms + FixScaled.
    tri = triclinic()
    tri.set_constraint([FixAtoms([0, 5]), FixScaled(tri.cell, 2, [True, False, True])])
    fixture('triclinic_cart_sd.vasp', tri)
    # 3. VASP 4: no species line, ASE puts the symbols on the comment line.
    fixture('vasp4_comment_species.vasp', triclinic(), direct=True, vasp5=False)
    # 4. Scale line variants of one structure, written by hand from ASE's values.
    atoms = triclinic()
    cell, frac = atoms.cell.array, atoms.get_scaled_positions()
    cart = atoms.positions
    s = 2.5
    head = 'scaled\n'
    species = ' Li Fe P O Li O\n 2 2 1 4 1 1\n'

    def lattice(c):
        return ''.join(' %.16f %.16f %.16f\n' % tuple(v) for v in c)

    with open(os.path.join(HERE, 'scale_cartesian.vasp'), 'w') as f:
        f.write(head + '%.16f\n' % s + lattice(cell / s) + species + 'Cartesian\n')
        f.writelines(' %.16f %.16f %.16f\n' % tuple(r / s) for r in cart)
    # ASE 3.22 reads a single positive scale: its result is the reference.
    write_ref(os.path.join(HERE, 'scale_cartesian.vasp.ref'),
              [read(os.path.join(HERE, 'scale_cartesian.vasp'), format='vasp')])
    # Negative scale = cell volume (VASP); ASE 3.22 cannot read it, so the reference is
    # the structure itself.
    vol = atoms.get_volume()
    with open(os.path.join(HERE, 'scale_volume.vasp'), 'w') as f:
        f.write(head + '%.16f\n' % -vol + lattice(cell / 1.7) + species + 'Direct\n')
        f.writelines(' %.16f %.16f %.16f\n' % tuple(r) for r in frac)
    write_ref(os.path.join(HERE, 'scale_volume.vasp.ref'), [atoms])
    # Three per-axis scale factors (VASP 6), Cartesian: the factors multiply the x, y, z
    # components of the lattice vectors and of the positions.
    sxyz = np.array([1.5, 2.0, 0.5])
    with open(os.path.join(HERE, 'scale_xyz.vasp'), 'w') as f:
        f.write(head + '%.16f %.16f %.16f\n' % tuple(sxyz) + lattice(cell / sxyz) + species
                + 'Cartesian\n')
        f.writelines(' %.16f %.16f %.16f\n' % tuple(r / sxyz) for r in cart)
    write_ref(os.path.join(HERE, 'scale_xyz.vasp.ref'), [atoms])


if __name__ == '__main__':
    main()
