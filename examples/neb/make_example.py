#!/usr/bin/env python3
"""Make the EMT example of `migbar neb`: a Au adatom hopping between two hollow sites
of Al(100), as in ASE's NEB tutorial (ase/doc/tutorials/neb/diffusion.rst).

Writes, beside this script:
  POSCAR_initial, POSCAR_final  the relaxed end points (ASE's EMT, BFGS to 0.01 eV/A);
                                the two lower Al layers fixed (Selective dynamics F F F)
  reference.json                the barrier that ASE 3.22's own climbing-image NEB
                                finds on the same end points, for comparison

Run with Debian's Python (ASE 3.22.1):  /usr/bin/python3 examples/neb/make_example.py
The end points are periodic in all three directions (the slab is separated from its
periodic image by 12 A of vacuum, beyond EMT's cutoff), as libmigbar treats them.
"""
import json
import os

import ase
from ase.build import add_adsorbate, fcc100
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms
from ase.io import write
from ase.neb import NEB
from ase.optimize import BFGS

HERE = os.path.dirname(os.path.abspath(__file__))
NINTERMEDIATE = 5


def endpoints():
    slab = fcc100('Al', size=(2, 2, 3))
    add_adsorbate(slab, 'Au', 1.7, 'hollow')
    slab.center(axis=2, vacuum=6.0)
    slab.pbc = True
    # fcc100 tags layers 1 (top) to 3 (bottom); the adatom has tag 0.
    slab.set_constraint(FixAtoms(mask=[atom.tag > 1 for atom in slab]))
    initial = slab
    final = slab.copy()
    final.positions[-1, 0] += final.cell[0, 0] / 2  # the next hollow site along x
    for atoms in (initial, final):
        atoms.calc = EMT()
        BFGS(atoms, logfile=None).run(fmax=0.01)
    return initial, final


def ase_neb(initial, final, optimizer=BFGS):
    images = [initial] + [initial.copy() for _ in range(NINTERMEDIATE)] + [final]
    for atoms in images[1:-1]:
        atoms.calc = EMT()
    neb = NEB(images, climb=True)
    neb.interpolate(method='idpp')
    opt = optimizer(neb, logfile=None)
    opt.run(fmax=0.05, steps=1000)
    energies = [atoms.get_potential_energy() for atoms in images]
    return energies, opt.get_number_of_steps()


def main():
    initial, final = endpoints()
    write(os.path.join(HERE, 'POSCAR_initial'), initial, format='vasp', direct=True,
          sort=False)
    write(os.path.join(HERE, 'POSCAR_final'), final, format='vasp', direct=True, sort=False)
    energies, steps = ase_neb(initial, final)
    top = max(energies)
    ref = {
        'written_by': 'examples/neb/make_example.py, ASE %s' % ase.__version__,
        'method': 'ase.neb.NEB(climb=True), %d intermediate images, idpp interpolation, '
                  'BFGS to fmax 0.05 eV/A, EMT' % NINTERMEDIATE,
        'steps': steps,
        'energies': energies,
        'forward_barrier': top - energies[0],
        'backward_barrier': top - energies[-1],
        'saddle_image': energies.index(top),
    }
    with open(os.path.join(HERE, 'reference.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')
    print('forward barrier %.4f eV, backward %.4f eV, saddle image %d, %d BFGS steps'
          % (ref['forward_barrier'], ref['backward_barrier'], ref['saddle_image'], steps))


if __name__ == '__main__':
    main()
