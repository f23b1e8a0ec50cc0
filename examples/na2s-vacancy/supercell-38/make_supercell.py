#!/usr/bin/python3
"""Writes POSCAR_initial and POSCAR_final of examples/na2s-vacancy/supercell-38: the Na
vacancy hop of ../ (antifluorite Na2S, a = 6.54 A) in a 38-atom cell.

The cell is the most isotropic supercell of the fcc lattice with 10 to 13 lattice points
(30 to 39 atoms): every supercell of each size (all Hermite normal forms of the primitive
cell) is Minkowski-reduced and ranked by the shortest distance between periodic images of
the vacancy, then by how few images lie at that distance; it prints the table of
README.md. The best is 13 lattice points, the rhombohedral cell

    (a/2) (3,-1,0), (a/2) (0,3,-1), (a/2) (-1,0,3)     (|v| = a sqrt(10)/2 = 10.341 A,
                                                        alpha = arccos(-0.3) = 107.46 deg)

with 6 images of the vacancy at 10.341 A. Cartesian axes are the cube axes of the
conventional cell, as in ../POSCAR_initial.

Atoms: ase.spacegroup.crystal (Fm-3m, S at 4a, Na at 8c) as in ../, 13 S and 26 Na; the
Na site at (a/4)(1,1,-1) is removed (38 atoms, charge -1 in the runs: a Na+ ion removed).
The moving atom is Na 0 (the first Na, at (a/4)(1,1,1)), which hops along -z (a cube
edge, 3.27 A) into the vacancy; every other atom stays on its ideal site and the order
is the same in both files (S first, then Na). The lattice has point group -3, the cell
with the vacancy R3 (spglib): the 3-fold axis through the vacancy makes the vacancy's
hops along +x, +y, +z one class and those along -x, -y, -z another; the two are the same
hop in the crystal (a 2-fold axis through the Na site) and differ here only in the
arrangement of the periodic images. Here the vacancy moves along +z. The inversion centre
at the hop's midpoint (a/4)(1,1,0) (a 24d site of Fm-3m) maps the initial onto the final
structure, so the path is symmetric (forward = backward barrier), as in ../.

Needs ASE (written with ASE 3.22.1). Run: /usr/bin/python3 make_supercell.py (in this
directory); --table prints the candidate table only.
"""
import itertools
import sys

import numpy as np
from ase.geometry import minkowski_reduce
from ase.io import write
from ase.spacegroup import crystal
from ase.build import make_supercell

A = 6.54
PRIM = np.array([[0, .5, .5], [.5, 0, .5], [.5, .5, 0]]) * A
CELL = np.array([[3, -1, 0], [0, 3, -1], [-1, 0, 3]]) * A / 2


def hnfs(n):
    """All supercells of index n of a lattice: the Hermite normal forms (columns)."""
    for a in (d for d in range(1, n + 1) if n % d == 0):
        for c in (d for d in range(1, n // a + 1) if (n // a) % d == 0):
            f = n // (a * c)
            for b, d, e in itertools.product(range(c), range(f), range(f)):
                yield np.array([[a, b, d], [0, c, e], [0, 0, f]])


def shells(cell, count=3):
    """The first `count` distances between periodic images (A) with their multiplicities."""
    red, _ = minkowski_reduce(cell)
    lengths = np.round(sorted(np.linalg.norm(np.dot(k, red)) for k in
                              itertools.product(range(-3, 4), repeat=3) if any(k)), 3)
    out = []
    for x in lengths:
        if out and out[-1][0] == x:
            out[-1][1] += 1
        else:
            out.append([x, 1])
    return out[:count]


def table():
    rows = [("conventional 1x1x3", 12, np.diag([1, 1, 3]) * A),
            ("primitive 2x2x3", 12, np.diag([2, 2, 3]) @ PRIM)]
    for n in (10, 11, 12, 13):
        best = max((shells(h @ PRIM) for h in hnfs(n)),
                   key=lambda s: (s[0][0], -s[0][1], s[1][0], -s[1][1]))
        rows.append(("best of %d points" % n, n, best))
    rows += [("for scale: primitive 2x2x2", 8, 2 * PRIM),
             ("for scale: the 11-atom cell of ../", 4, np.eye(3) * A)]
    print("| cell | fcc points | atoms (vacancy) | image shells: distance (A) x count |")
    print("|---|---|---|---|")
    for name, n, c in rows:
        s = c if isinstance(c, list) else shells(c)
        print("| %s | %d | %d (%d) | %s |" % (name, n, 3 * n, 3 * n - 1,
                                             ", ".join("%.3f x %d" % (d, m) for d, m in s)))


def main():
    table()
    if "--table" in sys.argv[1:]:
        return
    prim = crystal(["S", "Na"], basis=[(0, 0, 0), (.25, .25, .25)], spacegroup=225,
                   cellpar=[A, A, A, 90, 90, 90], primitive_cell=True)
    p = np.rint(CELL @ np.linalg.inv(prim.cell[:])).astype(int)
    assert np.allclose(p @ prim.cell[:], CELL) and round(abs(np.linalg.det(p))) == 13
    atoms = make_supercell(prim, p)
    assert np.allclose(atoms.cell[:], CELL)
    frac = atoms.get_scaled_positions()

    def site(cart):
        f = np.linalg.solve(CELL.T, cart)
        d = frac - f
        d -= np.rint(d)
        hits = np.flatnonzero(np.linalg.norm(d @ CELL, axis=1) < 1e-6)
        assert len(hits) == 1
        return int(hits[0])
    hop, vac = site(A / 4 * np.array([1, 1, 1])), site(A / 4 * np.array([1, 1, -1]))
    sym = atoms.get_chemical_symbols()
    order = ([i for i in range(len(atoms)) if sym[i] == "S"] + [hop] +
             [i for i in range(len(atoms)) if sym[i] == "Na" and i not in (hop, vac)])
    initial = atoms[order]
    initial.wrap()
    final = initial.copy()
    final.positions[13] += [0, 0, -A / 2]   # atom 13 = Na 0, into the vacancy
    write("POSCAR_initial", initial, format="vasp", direct=True, vasp5=True)
    write("POSCAR_final", final, format="vasp", direct=True, vasp5=True)
    print("%s: %d atoms, hop %.4f A, shortest image distance %.3f A" % (
        initial.get_chemical_formula(), len(initial),
        np.linalg.norm(final.positions[13] - initial.positions[13]),
        shells(CELL, 1)[0][0]))


if __name__ == "__main__":
    main()
