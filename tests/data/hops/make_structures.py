#!/usr/bin/env python3
"""Write the structures of the hops tests (tests/hops, tests/tools/test_cli_hops.sh).

    /usr/bin/python3 tests/data/hops/make_structures.py

LiFePO4_olivine.vasp: olivine LiFePO4 (space group Pnma, 62; 28 atoms), expanded from
the Wyckoff positions with ASE's ase.spacegroup.crystal. Cell and coordinates as issue
11 quotes them, rounded from the published refinement:
a = 10.33, b = 6.01, c = 4.69 A; Li 4a (0, 0, 0), Fe 4c (0.282, 0.25, 0.975), P 4c
(0.095, 0.25, 0.418), O1 4c (0.097, 0.25, 0.743), O2 4c (0.457, 0.25, 0.206), O3 8d
(0.166, 0.046, 0.285); cf. Streltsov, Belokoneva, Tsirelson, Hansen, Acta Cryst. B49,
147 (1993).

layered.vasp: a layered toy (P4/mmm): Li layers (a = 3 A square net, z = 0) between O
layers at z = 1/2 (O at (1/2, 1/2, 1/2)), c = 5 A. Li hops within a layer are 3 A, across
it 5 A, with a narrower window (docs/hops.md): it conducts in 2D first.
"""
import os

import ase.io
from ase import Atoms
from ase.spacegroup import crystal

here = os.path.dirname(os.path.abspath(__file__))

olivine = crystal(
    ["Li", "Fe", "P", "O", "O", "O"],
    basis=[(0, 0, 0), (0.282, 0.25, 0.975), (0.095, 0.25, 0.418), (0.097, 0.25, 0.743),
           (0.457, 0.25, 0.206), (0.166, 0.046, 0.285)],
    spacegroup=62, cellpar=[10.33, 6.01, 4.69, 90, 90, 90])
assert len(olivine) == 28, len(olivine)
ase.io.write(os.path.join(here, "LiFePO4_olivine.vasp"), olivine, format="vasp", direct=True,
             sort=True, vasp5=True)

layered = Atoms("LiO", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5)], cell=[3, 3, 5], pbc=True)
ase.io.write(os.path.join(here, "layered.vasp"), layered, format="vasp", direct=True,
             vasp5=True)
