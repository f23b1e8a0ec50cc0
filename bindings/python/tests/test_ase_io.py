"""Interoperability with ASE (reference: ASE 3.22.1 as packaged by Debian).

(a) Files written by ASE and read by libmigbar give the same cell, positions and
    species as ASE's own reader of the same file (1e-8 A).
(b) Files written by libmigbar and read by ASE give the structure libmigbar wrote
    (1e-8 A).
CIF re-orients the lattice to the standard setting, so there lengths, angles and
fractional positions are compared. Also: selective dynamics through POSCAR both ways,
and Structure.to_ase / from_ase."""

import warnings

import numpy as np
import pytest

import migbar

from conftest import cellpar, frac_close, random_triclinic

ase = pytest.importorskip("ase")
import ase.io  # noqa: E402
from ase.build import bulk  # noqa: E402
from ase.constraints import FixAtoms, FixCartesian, FixScaled  # noqa: E402

TOL = 1e-8  # Angstrom (and degrees for cell angles, fractional units for positions)

# How ASE writes each format, and the file name libmigbar guesses the format from.
ASE_WRITERS = {
    "poscar-direct": ("POSCAR", dict(format="vasp", direct=True)),
    "poscar-cartesian": ("POSCAR", dict(format="vasp", direct=False)),
    "xyz": ("s.xyz", dict(format="extxyz")),
    "cif": ("s.cif", dict(format="cif")),
}
ASE_READERS = {"poscar": ("POSCAR", "vasp"), "xyz": ("s.xyz", "extxyz"), "cif": ("s.cif", "cif")}


def ase_structures():
    """(name, ase.Atoms) of the reference structures: rock-salt NaCl, a random
    triclinic cell with 20 atoms of 6 species."""
    lattice, frac, numbers = random_triclinic()
    tric = ase.Atoms(numbers=numbers, scaled_positions=frac, cell=lattice, pbc=True)
    return [("NaCl", bulk("NaCl", "rocksalt", a=5.64, cubic=True)), ("triclinic", tric)]


@pytest.fixture(params=["NaCl", "triclinic", "em0", "em-LiFePO4"])
def atoms(request):
    if request.param.startswith("em"):
        from conftest import em_entries, em_index
        data = em_entries()
        k = 0 if request.param == "em0" else em_index(data, "O-LiFePO4")
        a = data[k]["atoms"]
        return ase.Atoms(symbols=a["elements"], scaled_positions=a["coords"],
                         cell=a["lattice_mat"], pbc=True)
    return dict(ase_structures())[request.param]


def assert_matches_atoms(s, atoms, cif=False, atol=TOL):
    """A migbar.Structure equals an ase.Atoms."""
    assert s.natoms == len(atoms)
    np.testing.assert_array_equal(s.numbers, atoms.numbers)
    if cif:
        np.testing.assert_allclose(cellpar(s.lattice), atoms.cell.cellpar(), atol=atol)
        assert frac_close(s.frac, atoms.get_scaled_positions(wrap=False), atol)
    else:
        np.testing.assert_allclose(s.lattice, atoms.cell[:], atol=atol)
        np.testing.assert_allclose(s.positions, atoms.positions, atol=atol)


def _index(c):
    """The atom of a single-atom constraint (ASE 3.22: .a; later: .index)."""
    idx = getattr(c, "index", None)
    return int(np.atleast_1d(c.a if idx is None else idx)[0])


@pytest.mark.parametrize("how", sorted(ASE_WRITERS))
def test_files_written_by_ase(how, atoms, tmp_path):
    name, kwargs = ASE_WRITERS[how]
    path = tmp_path / name
    ase.io.write(str(path), atoms, **kwargs)
    ref = ase.io.read(str(path), format=kwargs["format"])
    with migbar.Structure.read(path) as s:
        assert_matches_atoms(s, ref, cif=(how == "cif"))
        if how == "cif":
            # Both readers build the standard orientation (a along x, b in xy).
            np.testing.assert_allclose(s.lattice, ref.cell[:], atol=TOL)
    if how.startswith("poscar"):
        # ASE writes 16 decimals: the file also matches the original Atoms.
        with migbar.Structure.read(path, format="poscar") as s:
            assert_matches_atoms(s, atoms, atol=1e-10)


@pytest.mark.parametrize("fmt", sorted(ASE_READERS))
def test_files_written_by_libmigbar(fmt, atoms, tmp_path):
    name, ase_format = ASE_READERS[fmt]
    path = tmp_path / name
    with migbar.Structure(atoms.cell[:], atoms.get_scaled_positions(wrap=False),
                          atoms.numbers) as s:
        s.write(path)
        back = ase.io.read(str(path), format=ase_format)
        assert_matches_atoms(s, back, cif=(fmt == "cif"))
        assert back.pbc.all()


def test_selective_written_by_ase(tmp_path):
    """FixAtoms and FixScaled (what ASE 3.22's POSCAR writer turns into T/F flags)
    read back by libmigbar as selective flags."""
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.set_constraint([FixAtoms(indices=[0, 5]),
                          FixScaled(atoms.cell, 3, [True, False, True])])
    path = tmp_path / "POSCAR"
    ase.io.write(str(path), atoms, format="vasp", direct=True)
    assert "Selective dynamics" in path.read_text()
    expected = np.ones((8, 3), dtype=bool)
    expected[[0, 5]] = False
    expected[3] = [False, True, False]
    with migbar.Structure.read(path) as s:
        np.testing.assert_array_equal(s.selective, expected)
    # And from the Atoms object directly.
    with migbar.Structure.from_ase(atoms) as s:
        np.testing.assert_array_equal(s.selective, expected)


def test_selective_written_by_libmigbar(tmp_path):
    lattice, frac, numbers = random_triclinic()
    flags = np.ones((20, 3), dtype=bool)
    flags[[2, 7, 11]] = False
    flags[4] = [True, False, False]
    flags[9] = [False, True, True]
    path = tmp_path / "POSCAR"
    with migbar.Structure(lattice, frac, numbers) as s:
        s.selective = flags
        s.write(path)
    atoms = ase.io.read(str(path), format="vasp")
    fixed_atoms = [c for c in atoms.constraints if isinstance(c, FixAtoms)]
    assert len(fixed_atoms) == 1
    assert sorted(fixed_atoms[0].get_indices()) == [2, 7, 11]
    scaled = {_index(c): [bool(x) for x in c.mask]
              for c in atoms.constraints if isinstance(c, FixScaled)}
    assert scaled == {4: [False, True, True], 9: [True, False, False]}
    with migbar.Structure.from_ase(atoms) as back:
        np.testing.assert_array_equal(back.selective, flags)


def test_from_ase_fix_cartesian():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.set_constraint([FixCartesian(1, mask=[True, False, False]),
                          FixCartesian(6, mask=[False, True, True])])
    with migbar.Structure.from_ase(atoms) as s:
        expected = np.ones((8, 3), dtype=bool)
        expected[1] = [False, True, True]
        expected[6] = [True, False, False]
        np.testing.assert_array_equal(s.selective, expected)


def test_from_ase_unknown_constraint_warns():
    from ase.constraints import FixBondLength
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.set_constraint(FixBondLength(0, 1))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with migbar.Structure.from_ase(atoms) as s:
            assert s.selective is None
    assert any("FixBondLength" in str(x.message) for x in w)


def test_to_ase_from_ase_round_trip(em_structure):
    flags = np.ones((em_structure.natoms, 3), dtype=bool)
    flags[5:9] = False
    flags[10] = [True, True, False]
    em_structure.selective = flags
    atoms = em_structure.to_ase()
    assert isinstance(atoms, ase.Atoms) and atoms.pbc.all()
    np.testing.assert_array_equal(atoms.cell[:], em_structure.lattice)
    np.testing.assert_allclose(atoms.positions, em_structure.positions, atol=1e-12)
    np.testing.assert_array_equal(atoms.numbers, em_structure.numbers)
    assert atoms.get_chemical_symbols() == em_structure.symbols
    assert atoms.get_volume() == pytest.approx(em_structure.volume, rel=1e-12)
    fixed = [c for c in atoms.constraints if isinstance(c, FixAtoms)]
    assert sorted(fixed[0].get_indices()) == [5, 6, 7, 8]
    with migbar.Structure.from_ase(atoms) as back:
        np.testing.assert_array_equal(back.lattice, em_structure.lattice)
        np.testing.assert_allclose(back.frac, em_structure.frac, atol=1e-12)
        np.testing.assert_array_equal(back.numbers, em_structure.numbers)
        np.testing.assert_array_equal(back.selective, flags)
        assert back.formula() == em_structure.formula()


def test_from_ase_matches_reference_values():
    # ASE 3.22.1 on the same Atoms: volume, density, composition.
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    with migbar.Structure.from_ase(atoms) as s:
        assert s.volume == pytest.approx(atoms.get_volume(), rel=1e-12)
        dens = atoms.get_masses().sum() / atoms.get_volume() * 1.66053906660
        assert s.density == pytest.approx(dens, rel=1e-6)
        assert s.formula() == atoms.get_chemical_formula(mode="hill")
        assert s.selective is None
        assert s.to_ase().constraints == []


def test_from_ase_rejects_non_periodic():
    mol = ase.Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    with pytest.raises(ValueError, match="periodic"):
        migbar.Structure.from_ase(mol)
    slab = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    slab.pbc = [True, True, False]
    with pytest.raises(ValueError, match="periodic"):
        migbar.Structure.from_ase(slab)
    nocell = ase.Atoms("H", positions=[[0, 0, 0]], pbc=True)
    with pytest.raises(ValueError):
        migbar.Structure.from_ase(nocell)
