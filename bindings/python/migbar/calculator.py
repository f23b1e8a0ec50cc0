"""MigbarCalculator: libmigbar's built-in potentials as an ASE calculator.

    >>> from migbar.calculator import MigbarCalculator
    >>> atoms.calc = MigbarCalculator("emt")                 # as ase.calculators.emt.EMT()
    >>> atoms.calc = MigbarCalculator("lj", sigma=3.4, epsilon=0.0104, rc=8.5)
    >>> atoms.get_potential_energy(), atoms.get_forces()

The results equal those of ASE 3.22's EMT, LennardJones and MorsePotential (to
about 1e-12 eV), many times faster. libmigbar's structures are periodic in all
three directions; for an ase.Atoms that is not (a cluster, or a slab with
pbc=(True, True, False)) every non-periodic direction gets a lattice vector
normal to the periodic ones and long enough that no atom meets an image across
it, which gives what ASE's calculators give for that Atoms.

Importing this module needs ASE (migbar itself does not).
"""

import numpy as np

try:
    from ase.calculators.calculator import Calculator, all_changes
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("migbar.calculator needs ASE (pip install ase, or apt-get install "
                      "python3-ase)") from e

from .ase_io import from_ase
from .potential import Potential


def periodic_cell(atoms, cutoff):
    """A 3x3 lattice for atoms: the cell's periodic vectors, and for each non-periodic
    direction a vector normal to the periodic ones, longer than the extent of the atoms
    along it plus the cutoff plus 1 A (so no atom interacts with an image across it)."""
    pbc = np.asarray(atoms.get_pbc(), bool)
    cell = np.array(atoms.get_cell(), dtype=np.float64)
    if pbc.all():
        return cell
    pos = atoms.get_positions()
    periodic = [cell[k] for k in range(3) if pbc[k]]
    if any(np.linalg.norm(v) == 0 for v in periodic):
        raise ValueError("migbar: a periodic direction of the ase.Atoms has a zero cell vector")
    # An orthonormal basis of the complement of the periodic vectors.
    if len(periodic) == 2:
        n = np.cross(periodic[0], periodic[1])
        if np.linalg.norm(n) < 1e-12:
            raise ValueError("migbar: the periodic cell vectors of the ase.Atoms are parallel")
        normals = [n / np.linalg.norm(n)]
    else:
        q, _ = np.linalg.qr(np.column_stack(periodic + [np.eye(3)[k] for k in range(3)]))
        normals = [q[:, k] for k in range(len(periodic), 3)]
    out = cell.copy()
    for k, n in zip(np.flatnonzero(~pbc), normals):
        proj = pos @ n if len(pos) else np.zeros(1)
        out[k] = n * (proj.max() - proj.min() + cutoff + 1.0)
    if np.linalg.det(out) < 0:  # keep a right-handed cell
        k = np.flatnonzero(~pbc)[0]
        out[k] = -out[k]
    return out


class MigbarCalculator(Calculator):
    """ASE calculator over a libmigbar built-in potential.

    MigbarCalculator(potential="emt", **params): potential is "emt", "lj", "morse"
    (with the parameters of migbar.Potential, named as in ASE: epsilon, sigma, rc,
    ro, smooth, r0, rho0) or a migbar.Potential.
    """

    implemented_properties = ["energy", "forces"]
    nolabel = True

    def __init__(self, potential="emt", **params):
        Calculator.__init__(self)
        if isinstance(potential, Potential):
            if params:
                raise TypeError("MigbarCalculator: parameters go to Potential(...), not "
                                "beside an existing one")
            self.potential = potential
        else:
            self.potential = Potential(potential, **params)
        self.parameters.update(kind=self.potential.kind, **self.potential.params)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        a = self.atoms
        if not np.asarray(a.get_pbc(), bool).all():
            a = a.copy()
            a.set_constraint()
            a.set_cell(periodic_cell(self.atoms, self.potential.cutoff))
            a.pbc = True
        elif a.constraints:
            a = a.copy()
            a.set_constraint()  # constraints do not change energies or forces
        with from_ase(a) as s:
            energy, forces = self.potential.compute(s)
        self.results["energy"] = energy
        self.results["free_energy"] = energy
        self.results["forces"] = forces


__all__ = ["MigbarCalculator", "periodic_cell"]
