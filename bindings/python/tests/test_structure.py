"""Structure: construction, getters and setters, geometry, formula, volume, density,
space group, errors and lifetime. References: ASE 3.22.1 and spglib (stated per test)."""

import copy
import gc

import numpy as np
import pytest

import migbar
from migbar import MigbarError

from conftest import NACL_A, NACL_DENSITY, NACL_FRAC, NACL_SYMBOLS, NACL_VOLUME, \
    random_triclinic


def test_nacl_getters(nacl):
    assert nacl.natoms == len(nacl) == 8
    np.testing.assert_array_equal(nacl.lattice, np.eye(3) * NACL_A)
    np.testing.assert_allclose(nacl.frac, NACL_FRAC, atol=1e-15)
    np.testing.assert_allclose(nacl.positions, NACL_FRAC * NACL_A, atol=1e-14)
    assert list(nacl.numbers) == [11, 17] * 4
    assert nacl.symbols == NACL_SYMBOLS
    assert nacl.selective is None


def test_nacl_reference_values(nacl):
    # ASE 3.22.1: bulk("NaCl", "rocksalt", a=5.64, cubic=True).get_volume() and density.
    assert nacl.volume == pytest.approx(NACL_VOLUME, rel=1e-12)
    assert nacl.density == pytest.approx(NACL_DENSITY, rel=1e-6)
    # spglib: rock salt is Fm-3m, number 225.
    assert nacl.spacegroup() == (225, "Fm-3m")
    assert nacl.spacegroup(symprec=1e-5) == (225, "Fm-3m")
    assert nacl.formula() == "Cl4Na4"
    assert nacl.formula(reduced=True) == "ClNa"
    r = repr(nacl)
    assert "Cl4Na4" in r and "8 atoms" in r


def test_construct_from_numbers_cartesian_and_arrays():
    lat = np.array([[4.0, 0, 0], [0, 5.0, 0], [0, 0, 6.0]])
    cart = np.array([[0.0, 0, 0], [2.0, 2.5, 3.0]])
    s = migbar.Structure(lat, cart, np.array([3, 8]), cartesian=True)
    np.testing.assert_allclose(s.frac, [[0, 0, 0], [0.5, 0.5, 0.5]], atol=1e-15)
    assert s.symbols == ["Li", "O"]
    # Lists, tuples, non-contiguous and integer arrays are accepted.
    lat_f = np.asfortranarray(lat)
    s2 = migbar.Structure(lat_f, [(0, 0, 0), (0.5, 0.5, 0.5)], [3, 8])
    np.testing.assert_allclose(s2.positions, cart, atol=1e-14)
    s3 = migbar.Structure(lat.astype(int), np.array([[0, 0, 0], [1, 1, 1]])[:, :] / 2,
                          np.array(["Li", "O"]))
    assert s3.formula() == "LiO"
    # Hill order with carbon: C, H, then alphabetical.
    s4 = migbar.Structure(lat, [[0, 0, 0], [.1, 0, 0], [.2, 0, 0], [.3, 0, 0]],
                          ["O", "H", "C", "H"])
    assert s4.formula() == "CH2O"


def test_getters_return_copies(nacl):
    lat = nacl.lattice
    lat[0, 0] = 99
    pos = nacl.positions
    pos[:] = 0
    assert nacl.lattice[0, 0] == NACL_A
    assert nacl.positions[1, 0] == pytest.approx(NACL_A / 2)


def test_set_positions_and_lattice(nacl):
    new = nacl.positions + 0.1
    nacl.set_positions(new)
    np.testing.assert_allclose(nacl.positions, new, atol=1e-14)
    nacl.frac = NACL_FRAC
    np.testing.assert_allclose(nacl.frac, NACL_FRAC, atol=1e-15)
    # scale_atoms=True keeps fractional coordinates.
    nacl.set_lattice(np.eye(3) * 6.0, scale_atoms=True)
    np.testing.assert_allclose(nacl.frac, NACL_FRAC, atol=1e-15)
    np.testing.assert_allclose(nacl.positions, NACL_FRAC * 6.0, atol=1e-14)
    assert nacl.volume == pytest.approx(216.0)
    # scale_atoms=False keeps Cartesian positions.
    cart = nacl.positions
    nacl.set_lattice(np.eye(3) * 12.0, scale_atoms=False)
    np.testing.assert_allclose(nacl.positions, cart, atol=1e-14)
    np.testing.assert_allclose(nacl.frac, NACL_FRAC / 2, atol=1e-15)
    with pytest.raises(ValueError):
        nacl.set_positions(np.zeros((7, 3)))


def test_selective_get_set(nacl):
    flags = np.ones((8, 3), dtype=bool)
    flags[0] = False
    flags[3, 2] = False
    nacl.selective = flags
    got = nacl.selective
    assert got.dtype == bool and got.shape == (8, 3)
    np.testing.assert_array_equal(got, flags)
    c = nacl.copy()
    np.testing.assert_array_equal(c.selective, flags)
    sc = nacl.supercell((2, 1, 1))
    np.testing.assert_array_equal(sc.selective, np.vstack([flags, flags]))
    nacl.selective = None
    assert nacl.selective is None
    assert c.selective is not None  # the copy is independent
    with pytest.raises(ValueError):
        nacl.selective = np.ones((3, 3))


def test_wrap():
    s = migbar.Structure(np.eye(3) * 3, [[-0.25, 1.5, 2.0], [0.999, -1e-17, 0.5]], [1, 1])
    assert s.wrap() is s
    f = s.frac
    assert np.all(f >= 0) and np.all(f < 1)
    np.testing.assert_allclose(f[0], [0.75, 0.5, 0.0], atol=1e-15)
    assert f[1, 0] == pytest.approx(0.999)


def test_supercell_matches_ase_repeat(triclinic):
    ase = pytest.importorskip("ase")
    atoms = ase.Atoms(numbers=triclinic.numbers, positions=triclinic.positions,
                      cell=triclinic.lattice, pbc=True)
    ref = atoms.repeat((2, 3, 1))
    for m in ((2, 3, 1), np.diag([2, 3, 1]), [[2, 0, 0], [0, 3, 0], [0, 0, 1]]):
        sc = triclinic.supercell(m)
        assert sc.natoms == 120
        np.testing.assert_allclose(sc.lattice, ref.cell[:], atol=1e-12)
        np.testing.assert_allclose(sc.positions, ref.positions, atol=1e-10)
        np.testing.assert_array_equal(sc.numbers, ref.numbers)
    assert triclinic.supercell(2).natoms == 160
    # A non-diagonal matrix: volume scales by det(P) = 2.
    sc = triclinic.supercell([[1, 1, 0], [-1, 1, 0], [0, 0, 1]])
    assert sc.natoms == 40
    assert sc.volume == pytest.approx(2 * triclinic.volume, rel=1e-12)
    assert sc.formula(reduced=True) == triclinic.formula(reduced=True)
    with pytest.raises(MigbarError) as e:
        triclinic.supercell([[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    assert e.value.status_name == "MB_ERR_INVALID_ARG"
    with pytest.raises(ValueError):
        triclinic.supercell([[1.5, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_displacement_and_distance_minimum_image(triclinic):
    # Reference: brute force over the 125 nearest images (ample for this cell).
    lat, pos = triclinic.lattice, triclinic.positions
    images = np.array([[a, b, c] for a in range(-2, 3) for b in range(-2, 3)
                       for c in range(-2, 3)]) @ lat
    for i, j in [(0, 1), (3, 17), (5, 5), (19, 2)]:
        cands = pos[j] - pos[i] + images
        best = cands[np.argmin(np.einsum("ij,ij->i", cands, cands))]
        np.testing.assert_allclose(triclinic.displacement(i, j), best, atol=1e-12)
        assert triclinic.distance(i, j) == pytest.approx(np.linalg.norm(best), abs=1e-12)
    with pytest.raises(MigbarError) as e:
        triclinic.distance(0, 20)
    assert e.value.status_name == "MB_ERR_RANGE"


def test_distance_nacl(nacl):
    # Na at 0 and Cl at (a/2, 0, 0); Na-Na along the face diagonal a/sqrt(2).
    assert nacl.distance(0, 1) == pytest.approx(NACL_A / 2, abs=1e-14)
    assert nacl.distance(0, 2) == pytest.approx(NACL_A / np.sqrt(2), abs=1e-14)


def test_volume_density_triclinic_against_numpy(triclinic):
    ase = pytest.importorskip("ase")
    lat = triclinic.lattice
    assert triclinic.volume == pytest.approx(abs(np.linalg.det(lat)), rel=1e-12)
    # Density from ASE 3.22.1 masses (IUPAC standard weights) in g/cm^3.
    masses = ase.Atoms(numbers=triclinic.numbers).get_masses().sum()
    ref = masses / triclinic.volume * 1.66053906660
    assert triclinic.density == pytest.approx(ref, rel=1e-4)
    assert triclinic.spacegroup() == (1, "P1")


def test_spacegroup_against_spglib():
    spglib = pytest.importorskip("spglib")
    # Wurtzite-like hexagonal cell: P6_3mc (186).
    a, c, u = 3.25, 5.21, 0.382
    lat = np.array([[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]])
    frac = [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0.5], [1 / 3, 2 / 3, u], [2 / 3, 1 / 3, 0.5 + u]]
    s = migbar.Structure(lat, frac, ["Zn", "Zn", "O", "O"])
    ref = spglib.get_spacegroup((lat, frac, [30, 30, 8, 8]), symprec=1e-3)
    symbol, number = ref.split()
    assert s.spacegroup() == (int(number.strip("()")), symbol)
    assert s.spacegroup()[0] == 186


def test_errors_carry_status_and_message():
    with pytest.raises(MigbarError) as e:
        migbar.Structure(np.eye(3), [[0, 0, 0]], ["Xx"])
    assert e.value.status_name == "MB_ERR_INVALID_ARG" and "Xx" in e.value.message
    with pytest.raises(MigbarError) as e:
        migbar.Structure([[1, 0, 0], [2, 0, 0], [0, 0, 1]], [[0, 0, 0]], [1])
    assert e.value.status_name == "MB_ERR_GEOMETRY" and e.value.status == 7
    assert "lattice" in e.value.message
    with pytest.raises(MigbarError) as e:
        migbar.Structure(np.eye(3), [[0, 0, 0]], [0])
    assert e.value.status_name == "MB_ERR_RANGE"
    with pytest.raises(MigbarError) as e:
        migbar.Structure(np.eye(3), [[np.nan, 0, 0]], [1])
    assert e.value.status_name == "MB_ERR_INVALID_ARG"
    with pytest.raises(ValueError):
        migbar.Structure(np.eye(3), [[0, 0, 0], [0.5, 0.5, 0.5]], [1])  # 2 positions, 1 atom
    with pytest.raises(ValueError):
        migbar.Structure(np.eye(2), [[0, 0, 0]], [1])


def test_neighbors_argument_check(nacl):
    with pytest.raises(ValueError):
        nacl.neighbors()
    with pytest.raises(ValueError):
        nacl.neighbors(cutoff=3.0, k=4)


def test_close_and_use_after_close(nacl):
    s = nacl.copy()
    assert not s.closed
    s.close()
    assert s.closed
    s.close()  # twice is harmless
    assert "closed" in repr(s)
    for use in (lambda: s.natoms, lambda: s.positions, lambda: s.formula(),
                lambda: s.copy(), lambda: s.to_string("poscar"), lambda: s.wrap(),
                lambda: s.neighbors(cutoff=3.0)):
        with pytest.raises(ValueError, match="closed"):
            use()


def test_context_manager_and_copy_independence(nacl):
    with nacl.copy() as c:
        c.set_lattice(np.eye(3) * 7.0)
        assert c.volume == pytest.approx(343.0)
    assert c.closed
    assert nacl.volume == pytest.approx(NACL_VOLUME)
    d = copy.deepcopy(nacl)
    assert d.formula() == nacl.formula() and d is not nacl
    d.close()


def test_many_structures_are_freed():
    # Creating and dropping many handles must neither leak Python objects nor crash.
    lat, frac, numbers = random_triclinic()
    for _ in range(2000):
        s = migbar.Structure(lat, frac, numbers)
        del s
    gc.collect()
    s = migbar.Structure(lat, frac, numbers)
    assert s.natoms == 20
