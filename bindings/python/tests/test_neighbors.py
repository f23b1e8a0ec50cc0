"""NeighborList against ase.neighborlist.neighbor_list('ijdDS') (ASE 3.22.1) on random
triclinic cells: the same set of (i, j, shift) pairs, the same distances and vectors."""

import numpy as np
import pytest

import migbar
from migbar import MigbarError

from conftest import random_triclinic

ase = pytest.importorskip("ase")
from ase.neighborlist import neighbor_list  # noqa: E402


def ase_pairs(s, cutoff):
    atoms = ase.Atoms(numbers=s.numbers, positions=s.positions, cell=s.lattice, pbc=True)
    i, j, d, D, S = neighbor_list("ijdDS", atoms, cutoff)
    return {(int(a), int(b), tuple(int(x) for x in sh)): (dd, DD)
            for a, b, dd, DD, sh in zip(i, j, d, D, S)}


def check_layout(nl, natoms):
    """Grouped by i with first[] delimiting the groups, sorted by distance inside."""
    assert nl.first.shape == (natoms + 1,)
    assert nl.first[0] == 0 and nl.first[-1] == nl.count == len(nl)
    assert np.all(np.diff(nl.i) >= 0)
    for a in range(natoms):
        sl = nl.of(a)
        assert np.all(nl.i[sl] == a)
        assert np.all(np.diff(nl.distance[sl]) >= -1e-12)
    self_zero = (nl.i == nl.j) & np.all(nl.shift == 0, axis=1)
    assert not self_zero.any()
    np.testing.assert_allclose(np.linalg.norm(nl.vector, axis=1), nl.distance, atol=1e-12)


@pytest.mark.parametrize("seed,cutoff", [(7, 3.1), (11, 4.7), (23, 8.3)])
def test_cutoff_matches_ase(seed, cutoff):
    lattice, frac, numbers = random_triclinic(seed=seed)
    with migbar.Structure(lattice, frac, numbers) as s:
        ref = ase_pairs(s, cutoff)
        with s.neighbors(cutoff=cutoff) as nl:
            assert nl.count == len(ref) > 0
            got = {(int(a), int(b), tuple(int(x) for x in sh)): k
                   for k, (a, b, sh) in enumerate(zip(nl.i, nl.j, nl.shift))}
            assert set(got) == set(ref)
            for key, k in got.items():
                d, D = ref[key]
                assert nl.distance[k] == pytest.approx(d, abs=1e-10)
                np.testing.assert_allclose(nl.vector[k], D, atol=1e-10)
            # Each pair appears both ways.
            assert all((b, a, tuple(-x for x in sh)) in got for a, b, sh in got)
            check_layout(nl, s.natoms)
            # vector = r[j] + shift . lattice - r[i]
            pos = s.positions
            np.testing.assert_allclose(nl.vector, pos[nl.j] + nl.shift @ s.lattice - pos[nl.i],
                                       atol=1e-10)


def test_skewed_small_cell_sees_own_images():
    # A very skewed cell smaller than the cutoff: atoms neighbour their own images.
    lattice = np.array([[2.5, 0, 0], [2.3, 1.1, 0], [0.4, 0.9, 2.2]])
    frac = [[0.1, 0.2, 0.3], [0.6, 0.5, 0.9]]
    with migbar.Structure(lattice, frac, ["Li", "O"]) as s:
        ref = ase_pairs(s, 4.0)
        nl = s.neighbors(cutoff=4.0)
        got = {(int(a), int(b), tuple(int(x) for x in sh))
               for a, b, sh in zip(nl.i, nl.j, nl.shift)}
        assert got == set(ref)
        assert np.any(nl.i == nl.j)
        check_layout(nl, 2)
        nl.close()
        assert nl.count == len(ref)  # the arrays outlive the handle


def test_nacl_shells(nacl):
    # Rock salt, a = 5.64: 6 neighbours at a/2, then 12 at a/sqrt(2).
    nl = nacl.neighbors(cutoff=2.9)
    assert nl.count == 8 * 6
    np.testing.assert_allclose(nl.distance, 2.82, atol=1e-12)
    assert np.all(nacl.numbers[nl.i] != nacl.numbers[nl.j])
    nl = nacl.neighbors(cutoff=4.0)
    assert nl.count == 8 * 18
    assert list(np.diff(nl.first)) == [18] * 8


def test_knn_matches_ase_sorted_distances():
    lattice, frac, numbers = random_triclinic(seed=5)
    k = 6
    with migbar.Structure(lattice, frac, numbers) as s:
        ref = ase_pairs(s, 9.0)  # far more than 6 neighbours per atom
        with s.neighbors(k=k) as nl:
            check_layout(nl, s.natoms)
            for a in range(s.natoms):
                dists = np.sort([d for (i, _, _), (d, _) in ref.items() if i == a])
                kth = dists[k - 1]
                expected = int(np.sum(dists <= kth + 1e-8))  # ties with the k-th included
                sl = nl.of(a)
                assert sl.stop - sl.start == expected
                np.testing.assert_allclose(nl.distance[sl], dists[:expected], atol=1e-10)


def test_knn_ties_are_kept(nacl):
    # Each atom of rock salt has 6 nearest neighbours at a/2: k=1 keeps all 6.
    nl = nacl.neighbors(k=1)
    assert list(np.diff(nl.first)) == [6] * 8


def test_arrays_dtype_and_read_only(nacl):
    nl = nacl.neighbors(cutoff=3.0)
    assert nl.i.dtype == np.intc and nl.shift.shape == (nl.count, 3)
    assert nl.vector.shape == (nl.count, 3) and nl.distance.dtype == np.float64
    with pytest.raises(ValueError):
        nl.distance[0] = 1.0
    assert "48 pairs" in repr(nl)


def test_bad_arguments(nacl):
    for bad in (dict(cutoff=-1.0), dict(cutoff=float("nan")), dict(k=0)):
        with pytest.raises(MigbarError) as e:
            nacl.neighbors(**bad)
        assert e.value.status_name in ("MB_ERR_INVALID_ARG", "MB_ERR_RANGE")
        assert e.value.message
