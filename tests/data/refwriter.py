"""The .ref files beside the POSCAR and extended-XYZ fixtures (read back by
tests/refutil.h): what ASE reads from each fixture.

Layout: "structures N", then per structure "natoms N flags 0|1", a line of the 9
lattice numbers (rows a, b, c; Angstrom) and one line per atom "Z x y z [f f f]"
(Cartesian Angstrom; flags 1 = free to move, as VASP's T)."""
import numpy as np
import ase
from ase.constraints import FixAtoms, FixCartesian, FixScaled


def flags_of(atoms):
    """Per-coordinate flags (1 free) from the constraints ASE 3.22 makes of
    Selective dynamics (FixScaled, FixAtoms) and of move_mask (FixCartesian,
    FixAtoms), or None when there are none."""
    if not atoms.constraints:
        return None
    fixed = np.zeros((len(atoms), 3), dtype=bool)
    for c in atoms.constraints:
        if isinstance(c, FixScaled):
            fixed[c.a] = c.mask
        elif isinstance(c, FixCartesian):
            fixed[c.a] = ~c.mask  # ASE 3.22 keeps FixCartesian's mask inverted: True = free
        elif isinstance(c, FixAtoms):
            fixed[c.index] = True
    return (~fixed).astype(int)


def write_ref(path, images):
    with open(path, 'w') as f:
        f.write('# written by make_fixtures.py with ASE %s\n' % ase.__version__)
        f.write('structures %d\n' % len(images))
        for atoms in images:
            flags = flags_of(atoms)
            f.write('natoms %d flags %d\n' % (len(atoms), flags is not None))
            f.write(' '.join(repr(float(x)) for x in atoms.cell.array.ravel()) + '\n')
            for i, (z, r) in enumerate(zip(atoms.numbers, atoms.positions)):
                f.write('%d %r %r %r' % (z, float(r[0]), float(r[1]), float(r[2])))
                if flags is not None:
                    f.write(' %d %d %d' % tuple(flags[i]))
                f.write('\n')
