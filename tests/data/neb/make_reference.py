#!/usr/bin/env python3
"""Reference data for tests/neb (run from this folder: python3 make_reference.py).

Writes neb_forces.ref: NEB forces of ASE 3.22 (ase.neb.NEB, method='improvedtangent',
get_forces()) for a small Morse cluster band, with and without the climbing image, for
two spring constants. The energies and forces of the images come from the Morse pair
potential below (all minimum-image pairs, no cutoff), attached as SinglePointCalculators;
tests/neb/test_band.c implements the same potential as a force callback. The band has
two fixed atoms (FixAtoms), random displacements off the straight line, and one image
wrapped into the cell so that an atom crosses the periodic boundary (ASE takes image
differences by the minimum-image convention, as libmigbar does).

Also prints the Muller-Brown saddle points refined by Newton's method on the analytic
gradient (the values quoted in tests/neb/test_muller_brown.c), and writes idpp.ref: the
smallest interatomic distance of each image of ASE's NEB.interpolate('idpp') path
(mic=True) for the crowded example of test_band.c, for a qualitative comparison.
"""
import numpy as np
import ase
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixAtoms
from ase.neb import NEB
from ase.geometry import find_mic

D, ALPHA, R0 = 0.4, 1.6, 2.6
CELL = 9.0


def morse(pos, cell):
    n = len(pos)
    e = 0.0
    f = np.zeros_like(pos)
    for i in range(n):
        for j in range(i + 1, n):
            v, d = find_mic(pos[j] - pos[i], cell, True)
            x = np.exp(-ALPHA * (d - R0))
            e += D * (x * x - 2 * x)
            dedd = D * (-2 * ALPHA * x * x + 2 * ALPHA * x)
            f[i] += dedd * v / d
            f[j] -= dedd * v / d
    return e, f


def band():
    rng = np.random.RandomState(7)
    cell = np.diag([CELL, CELL, CELL])
    base = np.array([[0.3, 0.2, 0.1], [2.8, 0.3, 0.0], [1.5, 2.4, 0.2],
                     [0.2, 1.5, 2.3], [2.6, 2.0, 2.1], [7.4, 1.2, 1.1]])
    final = base.copy()
    final[5] = [1.6, 1.0, -1.9]      # the last atom hops across the x boundary
    nimages = 6
    images = []
    for i in range(nimages):
        t = i / (nimages - 1)
        d, _ = find_mic(final - base, cell, True)
        p = base + t * d
        if 0 < i < nimages - 1:
            p = p + rng.uniform(-0.15, 0.15, p.shape)
            p[:2] = base[:2]
        a = Atoms('Cu6', positions=p, cell=cell, pbc=True)
        if i == 3:
            a.wrap()
        a.set_constraint(FixAtoms(indices=[0, 1]))
        images.append(a)
    return images


def write_forces():
    images = band()
    out = ['# written by tests/data/neb/make_reference.py with ASE %s' % ase.__version__,
           'morse %r %r %r' % (D, ALPHA, R0),
           'nimages %d natoms %d' % (len(images), len(images[0])),
           'cell ' + ' '.join('%.17g' % x for x in images[0].cell.array.ravel()),
           'fixed 0 1']
    energies = []
    for a in images:
        e, f = morse(a.positions, a.cell.array)
        energies.append(e)
        a.calc = SinglePointCalculator(a, energy=e, forces=f)
        out.append('image %.17g' % e)
        for p, fr in zip(a.positions, f):
            out.append(' '.join('%.17g' % x for x in list(p) + list(fr)))
    cases = [(0.1, False), (0.1, True), (0.7, False), (0.7, True)]
    for k, climb in cases:
        neb = NEB(images, k=k, climb=climb, method='improvedtangent')
        f = neb.get_forces()
        out.append('case k %r climb %d' % (k, int(climb)))
        for row in f:
            out.append(' '.join('%.17g' % x for x in row))
    with open('neb_forces.ref', 'w') as fh:
        fh.write('\n'.join(out) + '\n')


def muller_brown_saddles():
    A = [-200, -100, -170, 15]
    a = [-1, -1, -6.5, 0.7]
    b = [0, 0, 11, 0.6]
    c = [-10, -10, -6.5, 0.7]
    x0 = [1, 0, -0.5, -1]
    y0 = [0, 0.5, 1.5, 1]

    def egh(p):
        x, y = p
        e, g, h = 0.0, np.zeros(2), np.zeros((2, 2))
        for k in range(4):
            dx, dy = x - x0[k], y - y0[k]
            t = A[k] * np.exp(a[k] * dx * dx + b[k] * dx * dy + c[k] * dy * dy)
            gx, gy = 2 * a[k] * dx + b[k] * dy, b[k] * dx + 2 * c[k] * dy
            e += t
            g += t * np.array([gx, gy])
            h += t * np.array([[gx * gx + 2 * a[k], gx * gy + b[k]],
                               [gx * gy + b[k], gy * gy + 2 * c[k]]])
        return e, g, h

    for guess in ([-0.82, 0.62], [0.21, 0.29]):
        p = np.array(guess)
        for _ in range(50):
            e, g, h = egh(p)
            p = p - np.linalg.solve(h, g)
        e, g, h = egh(p)
        print('Muller-Brown saddle (%.5f, %.5f) E %.5f |g| %.1e' % (p[0], p[1], e,
                                                                     np.linalg.norm(g)))


def crowded():
    """Two atoms that swap places (a straight line takes them through each other)
    beside two spectators; the same numbers are in test_band.c."""
    cell = np.diag([12.0, 12.0, 12.0])
    p0 = np.array([[5.0, 5.0, 5.0], [7.5, 5.0, 5.0], [6.25, 8.0, 5.0], [6.25, 2.0, 5.5]])
    p1 = p0.copy()
    p1[0], p1[1] = [7.5, 5.2, 5.0], [5.0, 4.8, 5.0]
    return cell, p0, p1


def write_idpp():
    cell, p0, p1 = crowded()
    images = [Atoms('Cu4', positions=p0, cell=cell, pbc=True)]
    images += [images[0].copy() for _ in range(5)]
    images.append(Atoms('Cu4', positions=p1, cell=cell, pbc=True))
    neb = NEB(images)
    neb.interpolate('idpp', mic=True)
    out = ['# written by tests/data/neb/make_reference.py with ASE %s' % ase.__version__,
           '# smallest interatomic distance (A) of each image of ASE NEB.interpolate(idpp)']
    for a in images:
        d = a.get_all_distances(mic=True)
        out.append('%.6f' % d[np.triu_indices(len(a), 1)].min())
    with open('idpp.ref', 'w') as fh:
        fh.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    write_forces()
    write_idpp()
    muller_brown_saddles()
