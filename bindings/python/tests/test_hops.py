"""migbar.hops / HopNetwork: hop counts by hand, the same network from a Structure, an
ase.Atoms and a file, end points as Structures (and ASE Atoms), barriers from a model,
user barriers and percolation, against a plain enumeration of site pairs with ASE."""

import math
import os

import numpy as np
import pytest

import migbar

from conftest import SRCDIR

HOPS_DATA = os.path.join(SRCDIR, "tests", "data", "hops")
OLIVINE = os.path.join(HOPS_DATA, "LiFePO4_olivine.vasp")
LAYERED = os.path.join(HOPS_DATA, "layered.vasp")
ENSEMBLE = os.path.join(SRCDIR, "tests", "data", "gnn", "ensemble", "ensemble.json")


def test_simple_cubic_by_hand():
    # 6 neighbours at a and 12 at a sqrt(2) per site: 3 + 6 undirected hops per cell
    with migbar.Structure(np.eye(3) * 3.0, [[0, 0, 0]], ["Li"]) as s:
        net = migbar.hops(s, "Li", max_length=5.0, model="proxy")
    hops = net.hops
    assert [h.multiplicity for h in hops] == [3, 6]
    assert [round(h.length, 6) for h in hops] == [3.0, round(math.sqrt(18), 6)]
    assert net.count() == (2, 9)
    assert all(h.source == "proxy" and math.isinf(h.bottleneck) for h in hops)
    assert net.percolation.limiting == (0, 0, 0)
    net.close()


def test_olivine_from_file_structure_and_ase_agree():
    ase_io = pytest.importorskip("ase.io")
    nets = [migbar.hops(OLIVINE, "Li", model="proxy"),
            migbar.hops(migbar.Structure.read(OLIVINE), "Li", model="proxy"),
            migbar.hops(ase_io.read(OLIVINE), "Li", model="proxy")]
    ref = [h.as_dict() for h in nets[0].hops]
    for net in nets[1:]:  # equal up to the rounding of Cartesian <-> fractional
        for h, r in zip(net.hops, ref):
            for k, v in h.as_dict().items():
                assert v == pytest.approx(r[k], abs=1e-9) if isinstance(v, float) else v == r[k]
    perc = nets[0].percolation
    assert perc.limiting[0] == 0 and perc.limiting[1] == 1 and perc.limiting[2] is None
    assert perc.barrier[0] < perc.barrier[1] and math.isinf(perc.barrier[2])
    assert "1D" in repr(perc)
    # the 1D hop is along b
    h0 = nets[0].hops[0]
    assert h0.multiplicity == 4 and abs(h0.length - 3.005) < 1e-9 and not h0.blocked


def test_against_plain_ase_enumeration():
    """Every undirected Li-Li pair within 5 A of an ASE neighbour list is one hop of the
    network, and the multiplicities add up to their number."""
    neighborlist = pytest.importorskip("ase.neighborlist")
    ase_io = pytest.importorskip("ase.io")
    atoms = ase_io.read(OLIVINE)
    i, j, S = neighborlist.neighbor_list("ijS", atoms, 5.0 + 1e-6)
    li = np.array(atoms.get_chemical_symbols()) == "Li"
    keep = li[i] & li[j]
    pairs = set()
    for a, b, s in zip(i[keep], j[keep], S[keep]):
        fwd, rev = (a, b, tuple(s)), (b, a, tuple(-s))
        pairs.add(min(fwd, rev))
    net = migbar.hops(atoms, "Li", max_length=5.0, model="proxy")
    start, end, image, distinct = net.all_hops()
    ours = set()
    for a, b, s in zip(start, end, image):
        fwd, rev = (a, b, tuple(s)), (b, a, tuple(-s))
        ours.add(min(fwd, rev))
    assert ours == pairs
    assert sum(h.multiplicity for h in net.hops) == len(pairs)


def test_end_points_are_structures():
    net = migbar.hops(OLIVINE, "Li", model="proxy")
    initial, final, ion = net.end_points(0)
    assert isinstance(initial, migbar.Structure) and len(initial) == 111
    assert initial.symbols[ion] == "Li"
    moved = np.linalg.norm(initial.positions - final.positions, axis=1)
    assert np.count_nonzero(moved > 1e-9) == 1 and moved.argmax() == ion
    atoms = initial.to_ase()
    assert len(atoms) == 111
    # ASE round trip of both end points: same atoms, same positions, the same hop
    with migbar.Structure.from_ase(atoms) as a, migbar.Structure.from_ase(final.to_ase()) as b:
        assert a.symbols == initial.symbols
        assert np.allclose(a.positions, initial.positions, atol=1e-10)
        assert np.allclose(b.positions, final.positions, atol=1e-10)
        assert np.allclose(a.lattice, initial.lattice, atol=1e-12)
    with pytest.raises(migbar.MigbarError, match="outside"):
        net.end_points(5)


def test_model_user_barriers_and_layers():
    net = migbar.hops(OLIVINE, "Li", model=ENSEMBLE)
    b, s, source = net.barriers()
    assert source == "model" and np.all(np.isfinite(b)) and np.all(s >= 0)
    # the same as predicting the end points directly
    with migbar.Ensemble.load(ENSEMBLE) as e:
        initial, final, ion = net.end_points(1)
        mean, std = e.predict_band(initial, final, ion)
        assert mean[0] == b[1] and std[0] == s[1]
    lay = migbar.hops(LAYERED, "Li", model="proxy")
    lay.set_barriers([0.3, 0.45, 1.2])
    assert lay.percolation.barrier == (0.3, 0.3, 1.2)
    assert lay.dimensionality(1.0) == 2 and lay.dimensionality(1.2) == 3
    assert lay.hops[2].source == "user"
    with pytest.raises(ValueError):
        lay.set_barriers([0.1])


def test_errors():
    with pytest.raises(migbar.MigbarError, match="no Na atom"):
        migbar.hops(OLIVINE, "Na", model="proxy")
    with pytest.raises(migbar.MigbarError, match="no two sites"):
        migbar.hops(OLIVINE, "Li", max_length=2.0, model="proxy")
    with pytest.raises(TypeError, match="unknown option"):
        migbar.HopNetwork(OLIVINE, "Li", bogus=1)
    net = migbar.hops(OLIVINE, "Li", model="proxy", max_atoms=50)
    assert net.option("max_atoms") == 50
    with pytest.raises(migbar.MigbarError, match="max atoms 50"):
        net.end_points(0)
