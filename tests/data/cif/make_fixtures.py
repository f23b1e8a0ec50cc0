#!/usr/bin/python3
"""Regenerate the CIF fixtures of tests/structure/test_io_cif.c and print their references.

Run with Debian's ASE 3.22.1:  /usr/bin/python3 tests/data/cif/make_fixtures.py

Writes, next to this script:
  ase_triclinic.cif  a triclinic Li-Fe-O cell written by ase.io.write
  ase_wurtzite.cif   ZnO wurtzite (ase.build.bulk) written by ase.io.write
  ase_multi.cif      two structures in one file (two data blocks) written by ase.io.write
  nacl_fm-3m.cif     rocksalt NaCl with the 192 operations of Fm-3m listed, taken from
                     ASE's space-group table (ase.spacegroup.Spacegroup(225))
The hand-written files (lifepo4_pnma.cif, disordered.cif) are not regenerated; their
references are printed too. test_io_cif.c hardcodes what this prints: ASE's read() of
each file (cell, symbols, fractional positions).
"""
import os
from fractions import Fraction

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.io import read, write
from ase.spacegroup import Spacegroup

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def xyz_string(rot, trans):
    """Operation as 'x,y,z' text: '-x+y+1/2'."""
    parts = []
    for row, t in zip(rot, trans):
        s = ''
        for coef, var in zip(row, 'xyz'):
            c = int(round(coef))
            if c:
                s += ('+' if c > 0 else '-') + (str(abs(c)) if abs(c) != 1 else '') + var
        f = Fraction(float(t)).limit_denominator(12)
        if f:
            s += '+' + str(f)
        parts.append(s.lstrip('+'))
    return ','.join(parts)


def write_fixtures():
    tri = Atoms('LiFeO2', cell=[4.1, 5.3, 6.2, 78.0, 95.0, 107.0],
                scaled_positions=[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5],
                                  [0.2513, 0.1337, 0.3141], [0.7213, 0.6668, 0.0912]],
                pbc=True)
    write(path('ase_triclinic.cif'), tri)
    write(path('ase_wurtzite.cif'), bulk('ZnO', 'wurtzite', a=3.25, c=5.2))
    write(path('ase_multi.cif'), [bulk('Cu', 'fcc', a=3.6, cubic=True),
                                  bulk('NaCl', 'rocksalt', a=5.64)])
    sg = Spacegroup(225)
    ops = [xyz_string(r, t) for r, t in sg.get_symop()]
    with open(path('nacl_fm-3m.cif'), 'w') as f:
        f.write('# Rocksalt NaCl in Fm-3m, the 192 operations from ASE 3.22 Spacegroup(225),\n'
                '# written by make_fixtures.py\n'
                'data_NaCl\n_cell_length_a 5.6402(3)\n_cell_length_b 5.6402(3)\n'
                '_cell_length_c 5.6402(3)\n_cell_angle_alpha 90\n_cell_angle_beta 90\n'
                '_cell_angle_gamma 90\n_symmetry_space_group_name_H-M \'F m -3 m\'\n'
                '_symmetry_Int_Tables_number 225\n\nloop_\n_symmetry_equiv_pos_site_id\n'
                '_symmetry_equiv_pos_as_xyz\n')
        for k, op in enumerate(ops):
            f.write(f"{k + 1} '{op}'\n")
        f.write('\nloop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n'
                '_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n'
                'Na1 Na+ 0.0 0.0 0.0 1.0\nCl1 Cl- 0.5 0.5 0.5 1.0\n')


def print_reference(name, index=0):
    atoms = read(path(name), index=index)
    print(f'/* {name} [{index}]: ASE 3.22 read(): {len(atoms)} atoms, cellpar',
          ', '.join(f'{x:.10g}' for x in atoms.cell.cellpar()), '*/')
    print('cell', np.array2string(atoms.cell[:], precision=12, separator=', '))
    print('symbols', list(atoms.symbols))
    print('frac', np.array2string(atoms.get_scaled_positions(wrap=False), precision=10,
                                  separator=', ', threshold=10000))


if __name__ == '__main__':
    write_fixtures()
    for name in ['ase_triclinic.cif', 'ase_wurtzite.cif', 'nacl_fm-3m.cif',
                 'lifepo4_pnma.cif']:
        if os.path.exists(path(name)):
            print_reference(name)
    print_reference('ase_multi.cif', 1)
