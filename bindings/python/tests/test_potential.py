"""migbar.Potential and migbar.calculator.MigbarCalculator against ASE 3.22's EMT,
LennardJones and MorsePotential (energies to 1e-6 eV, forces to 1e-6 eV/A), on
structures built by ase.build and on tests/data/potential/reference.json."""
import json
import os

import numpy as np
import pytest

from migbar import MigbarError
from migbar._lib import MB_ERR_INVALID_ARG, MB_ERR_UNSUPPORTED
from migbar.potential import Potential
from migbar.structure import Structure

from conftest import SRCDIR

ase = pytest.importorskip("ase")
from ase.build import add_adsorbate, bulk, fcc100, fcc111  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402
from ase.calculators.lj import LennardJones  # noqa: E402
from ase.calculators.morse import MorsePotential  # noqa: E402
from ase.constraints import FixAtoms  # noqa: E402

from migbar.calculator import MigbarCalculator  # noqa: E402

E_TOL = 1e-6  # eV
F_TOL = 1e-6  # eV/A
REFERENCE = os.path.join(os.environ.get("MB_TEST_DATA") or os.path.join(SRCDIR, "tests", "data"),
                         "potential", "reference.json")


def rattled(atoms, seed, stdev=0.05):
    atoms.rattle(stdev=stdev, seed=seed)
    return atoms


def alloy():
    a = bulk("Cu", "fcc", a=3.9, cubic=True).repeat((2, 2, 2))
    a.numbers = np.random.default_rng(5).choice([13, 28, 29, 46, 47, 78, 79], len(a))
    return rattled(a, 6, 0.08)


def adatom_slab():
    """ASE's NEB tutorial: Au on Al(100); pbc = (True, True, False) as ase.build makes it."""
    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.set_constraint(FixAtoms(mask=[a.tag > 1 for a in slab]))
    slab[-1].x += 0.4
    return slab


def wire():
    """A rattled Cu wire periodic along a skewed first cell vector only."""
    w = rattled(bulk("Cu", cubic=True).repeat((3, 1, 1)), 8)
    w.set_cell([[10.83, 0.5, 0.3], [0, 3.61, 0], [0, 0, 3.61]], scale_atoms=False)
    w.pbc = (True, False, False)
    return w


def cluster(symbol, scale):
    """A rattled 13-atom cuboctahedral cluster, not periodic."""
    c = bulk(symbol, "fcc", a=scale * np.sqrt(2), cubic=True).repeat(3)
    centre = c.positions[np.argmin(np.linalg.norm(c.positions - c.cell.sum(0) / 2, axis=1))]
    keep = np.linalg.norm(c.positions - centre, axis=1) < scale * 1.01
    c = c[keep]
    c.pbc = False
    c.cell = np.zeros((3, 3))
    return rattled(c, 7, 0.03 * scale)


CASES = [
    ("emt Cu bulk vacancy", lambda: rattled(bulk("Cu", cubic=True).repeat(2)[1:], 1),
     lambda: EMT(), ("emt", {})),
    ("emt alloy", alloy, lambda: EMT(), ("emt", {})),
    ("emt Au/Al(100) slab", adatom_slab, lambda: EMT(), ("emt", {})),
    ("emt Pt(111) pbc xy", lambda: rattled(fcc111("Pt", size=(2, 2, 3), vacuum=5.0), 2),
     lambda: EMT(), ("emt", {})),
    ("emt Cu wire pbc x", wire, lambda: EMT(), ("emt", {})),
    ("emt Ni primitive", lambda: bulk("Ni", a=3.5), lambda: EMT(), ("emt", {})),
    ("emt Cu cluster", lambda: cluster("Cu", 2.55), lambda: EMT(), ("emt", {})),
    ("lj Ar crystal smooth", lambda: rattled(bulk("Ar", "fcc", a=5.26).repeat(3), 3, 0.1),
     lambda: LennardJones(epsilon=0.0104, sigma=3.4, rc=8.5, ro=6.5, smooth=True),
     ("lj", dict(epsilon=0.0104, sigma=3.4, rc=8.5, ro=6.5, smooth=True))),
    ("lj cluster default", lambda: cluster("Ar", 1.12), lambda: LennardJones(), ("lj", {})),
    ("lj cluster sigma", lambda: cluster("Ar", 1.4), lambda: LennardJones(sigma=1.2, epsilon=3),
     ("lj", dict(sigma=1.2, epsilon=3))),
    ("morse cluster", lambda: cluster("Ar", 1.0), lambda: MorsePotential(), ("morse", {})),
    ("morse Cu crystal", lambda: rattled(bulk("Cu", cubic=True).repeat(2), 4, 0.07),
     lambda: MorsePotential(epsilon=0.3429, r0=2.866, rho0=3.894),
     ("morse", dict(epsilon=0.3429, r0=2.866, rho0=3.894))),
]


@pytest.mark.parametrize("name,build,ase_calc,ours", CASES, ids=[c[0] for c in CASES])
def test_calculator_matches_ase(name, build, ase_calc, ours):
    atoms = build()
    ref = atoms.copy()
    ref.calc = ase_calc()
    e_ref, f_ref = ref.get_potential_energy(), ref.get_forces()
    kind, params = ours
    atoms.calc = MigbarCalculator(kind, **params)
    assert abs(atoms.get_potential_energy() - e_ref) < E_TOL
    assert np.abs(atoms.get_forces() - f_ref).max() < F_TOL
    # A second geometry through the same calculator (ASE's cache must not stick).
    for a in (atoms, ref):
        a.positions[0] += [0.05, -0.03, 0.02]
    assert abs(atoms.get_potential_energy() - ref.get_potential_energy()) < E_TOL
    assert np.abs(atoms.get_forces() - ref.get_forces()).max() < F_TOL


def test_reference_file():
    """Every entry of tests/data/potential/reference.json through Potential.compute."""
    with open(REFERENCE) as f:
        entries = json.load(f)["entries"]
    assert len(entries) >= 15
    for e in entries:
        n = e["natoms"]
        with Structure(np.reshape(e["lattice"], (3, 3)), np.reshape(e["positions"], (n, 3)),
                       e["numbers"], cartesian=True) as s, Potential(e["potential"],
                                                                      **e["params"]) as p:
            energy, forces = p.compute(s)
            assert abs(energy - e["energy"]) < E_TOL, e["name"]
            assert np.abs(forces - np.reshape(e["forces"], (n, 3))).max() < F_TOL, e["name"]
            assert p.energy(s) == energy


def test_parameters():
    lj = Potential("lj", sigma=2.0)
    assert lj.params == {"epsilon": 1.0, "sigma": 2.0, "cutoff": 6.0,
                         "onset": pytest.approx(3.96), "smooth": False}
    lj["rc"] = 5.0
    lj.set(ro=4.0, smooth=True)
    assert (lj["cutoff"], lj["onset"], lj["smooth"], lj.cutoff) == (5.0, 4.0, 1.0, 5.0)
    m = Potential("morse", r0=2.0)
    assert m.params == {"epsilon": 1.0, "r0": 2.0, "rho0": 6.0}
    assert m.cutoff == pytest.approx(5.4)
    assert Potential("emt").params == {}
    assert "lj" in repr(lj)


def test_errors():
    with pytest.raises(ValueError, match="unknown kind"):
        Potential("eam")
    with pytest.raises(KeyError):
        Potential("lj", alpha=1.0)
    with pytest.raises(MigbarError, match="sigma|SIGMA") as err:
        Potential("lj", sigma=-1.0)
    assert err.value.status == MB_ERR_INVALID_ARG
    with pytest.raises(MigbarError, match="not a parameter of the Morse"):
        Potential("morse", sigma=1.0)
    with pytest.raises(MigbarError, match="EMT has no parameters"):
        Potential("emt", epsilon=1.0)
    with Structure(np.eye(3) * 5, [[0, 0, 0], [0.4, 0, 0]], ["Cu", "Fe"]) as s:
        with pytest.raises(MigbarError, match="Fe") as err:
            Potential("emt").compute(s)
        assert err.value.status == MB_ERR_UNSUPPORTED
    atoms = bulk("Fe", cubic=True)
    atoms.calc = MigbarCalculator("emt")
    with pytest.raises(MigbarError, match="Fe"):
        atoms.get_potential_energy()
    with pytest.raises(TypeError):
        MigbarCalculator(Potential("emt"), sigma=1.0)
