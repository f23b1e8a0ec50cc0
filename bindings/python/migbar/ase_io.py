"""Conversion between migbar.Structure and ase.Atoms (ASE is optional: imported here
only, when a conversion is asked for).

Selective dynamics follow VASP, as ASE's own POSCAR reader does: an atom with all
three coordinates fixed becomes FixAtoms, a partly fixed one FixScaled (the flags
refer to the lattice directions). Going back, FixAtoms, FixScaled and FixCartesian
become flags (FixCartesian's x/y/z taken as the lattice directions, exact for a
cell whose vectors lie along x, y, z); other constraints are ignored with a warning.
"""

import warnings

import numpy as np


def _ase():
    try:
        import ase
        import ase.constraints
    except ImportError as e:
        raise ImportError("migbar: converting to or from ase.Atoms needs ASE "
                          "(pip install ase, or apt-get install python3-ase)") from e
    return ase


def to_ase(structure):
    """An ase.Atoms with the cell, Cartesian positions and numbers of structure."""
    ase = _ase()
    from ase.constraints import FixAtoms, FixScaled
    lattice = structure.lattice
    atoms = ase.Atoms(numbers=structure.numbers, positions=structure.positions,
                      cell=lattice, pbc=True)
    flags = structure.selective
    if flags is not None:
        fixed = ~flags
        constraints = []
        full = np.flatnonzero(fixed.all(axis=1))
        if len(full):
            constraints.append(FixAtoms(indices=full))
        for a in np.flatnonzero(fixed.any(axis=1) & ~fixed.all(axis=1)):
            constraints.append(FixScaled(lattice, int(a), fixed[a]))
        atoms.set_constraint(constraints)
    return atoms


def _fixed_cartesian(constraint, atoms):
    """(indices, mask of fixed x/y/z) of a FixCartesian, whatever the ASE version:
    the mask is read off the forces the constraint removes."""
    idx = getattr(constraint, "index", None)
    if idx is None:
        idx = constraint.a
    idx = np.atleast_1d(np.asarray(idx))
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    forces = np.ones((len(atoms), 3))
    constraint.adjust_forces(atoms, forces)
    return idx, forces[idx] == 0.0


def selective_from_constraints(atoms):
    """Selective flags (natoms x 3, True = free) from the constraints of atoms, or None
    when there is none that maps to flags."""
    if not atoms.constraints:
        return None
    from ase.constraints import FixAtoms, FixCartesian, FixScaled
    free = np.ones((len(atoms), 3), dtype=bool)
    mapped = False
    for c in atoms.constraints:
        if isinstance(c, FixAtoms):
            free[c.get_indices()] = False
        elif isinstance(c, FixScaled):
            idx = getattr(c, "index", None)
            idx = c.a if idx is None else idx
            free[idx] &= ~np.asarray(c.mask, bool)
        elif isinstance(c, FixCartesian):
            idx, fixed = _fixed_cartesian(c, atoms)
            free[idx] &= ~fixed
        else:
            warnings.warn("migbar: constraint %s has no selective-dynamics equivalent; "
                          "ignored" % type(c).__name__, stacklevel=3)
            continue
        mapped = True
    return free if mapped else None


def from_ase(atoms, cls=None):
    """A migbar.Structure from a periodic ase.Atoms."""
    _ase()
    if cls is None:
        from .structure import Structure as cls
    pbc = np.asarray(atoms.get_pbc(), bool)
    if not pbc.all():
        raise ValueError("migbar: the ase.Atoms is not periodic in all three directions "
                         "(pbc=%s); libmigbar handles 3D crystals only" % pbc.tolist())
    cell = np.asarray(atoms.get_cell(), dtype=np.float64)
    if atoms.cell.rank != 3:
        raise ValueError("migbar: the ase.Atoms cell has rank %d; a 3D lattice is needed"
                         % atoms.cell.rank)
    s = cls(cell, atoms.get_positions(), atoms.get_atomic_numbers(), cartesian=True)
    flags = selective_from_constraints(atoms)
    if flags is not None:
        s.selective = flags
    return s


__all__ = ["to_ase", "from_ase", "selective_from_constraints"]
