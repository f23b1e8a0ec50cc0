"""Files through libmigbar alone: round trips in every format, format guessing,
frames, the JSON layout of the shared training data, parse and I/O errors."""

import json

import numpy as np
import pytest

import migbar
from migbar import MigbarError

from conftest import EM_TRAIN, cellpar, em_entries, frac_close

FORMATS = ["poscar", "xyz", "cif", "json"]
FILENAMES = {"poscar": "POSCAR", "xyz": "s.xyz", "cif": "s.cif", "json": "s.json"}


def assert_same_structure(got, ref, fmt, atol=1e-8):
    """CIF keeps lengths, angles and fractional positions (the lattice is re-oriented
    to the standard setting); the other formats keep the lattice and Cartesian
    positions as they are."""
    assert got.natoms == ref.natoms
    np.testing.assert_array_equal(got.numbers, ref.numbers)
    if fmt == "cif":
        np.testing.assert_allclose(cellpar(got.lattice), cellpar(ref.lattice), atol=atol)
        assert frac_close(got.frac, ref.frac, atol)
        assert got.volume == pytest.approx(ref.volume, rel=1e-10)
    else:
        np.testing.assert_allclose(got.lattice, ref.lattice, atol=atol)
        np.testing.assert_allclose(got.positions, ref.positions, atol=atol)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_string(fmt, nacl, triclinic):
    for s in (nacl, triclinic):
        text = s.to_string(fmt)
        assert isinstance(text, str) and text.strip()
        with migbar.Structure.from_string(text, fmt) as back:
            assert_same_structure(back, s, fmt)
        # bytes are accepted too
        with migbar.Structure.from_string(text.encode(), fmt) as back:
            assert back.natoms == s.natoms


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_file_format_from_name(fmt, triclinic, tmp_path):
    path = tmp_path / FILENAMES[fmt]
    triclinic.write(path)  # format from the name; os.PathLike accepted
    assert path.read_text() == triclinic.to_string(fmt)
    with migbar.Structure.read(str(path)) as back:
        assert_same_structure(back, triclinic, fmt)
    with migbar.Structure.read(path, format=fmt) as back:
        assert_same_structure(back, triclinic, fmt)
    assert migbar.Structure.count_frames(path) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_em_structure(fmt, em_structure):
    text = em_structure.to_string(fmt)
    with migbar.Structure.from_string(text, fmt, name="em." + fmt) as back:
        assert_same_structure(back, em_structure, fmt)
        assert back.formula() == em_structure.formula()


def test_poscar_keeps_selective_dynamics(nacl):
    flags = np.ones((8, 3), dtype=bool)
    flags[1] = False
    flags[4, :2] = False
    nacl.selective = flags
    text = nacl.to_string("poscar")
    assert "Selective dynamics" in text
    with migbar.Structure.from_string(text, "poscar") as back:
        np.testing.assert_array_equal(back.selective, flags)
    nacl.selective = None
    assert "Selective" not in nacl.to_string("poscar")


def test_write_unknown_extension_fails(nacl, tmp_path):
    with pytest.raises(MigbarError) as e:
        nacl.write(tmp_path / "structure.pdb")
    assert e.value.status_name == "MB_ERR_UNSUPPORTED"
    assert "structure.pdb" in e.value.message


def test_xyz_frames(nacl, triclinic, tmp_path):
    path = tmp_path / "frames.xyz"
    path.write_text(nacl.to_string("xyz") + triclinic.to_string("xyz"))
    assert migbar.Structure.count_frames(path) == 2
    with migbar.Structure.read(path, index=1) as s:
        assert_same_structure(s, triclinic, "xyz")
    with migbar.Structure.read(path) as s:
        assert_same_structure(s, nacl, "xyz")
    with pytest.raises(MigbarError) as e:
        migbar.Structure.read(path, index=2)
    assert e.value.status_name in ("MB_ERR_RANGE", "MB_ERR_PARSE")
    assert "frames.xyz" in e.value.message


def test_missing_file_is_io_error(tmp_path):
    path = tmp_path / "absent.vasp"
    with pytest.raises(MigbarError) as e:
        migbar.Structure.read(path)
    assert e.value.status_name == "MB_ERR_IO"
    assert "absent.vasp" in e.value.message


def test_parse_error_names_file_and_line(tmp_path):
    path = tmp_path / "bad.vasp"
    path.write_text("NaCl\n1.0\n5.64 0 0\n0 5.64 0\n0 0 5.64\nNa Cl\n1 1\nDirect\n"
                    "0.0 0.0 0.0\n0.5 abc 0.5\n")
    with pytest.raises(MigbarError) as e:
        migbar.Structure.read(path)
    assert e.value.status_name == "MB_ERR_PARSE"
    assert "bad.vasp:10" in e.value.message
    with pytest.raises(MigbarError) as e:
        migbar.Structure.from_string(path.read_text(), "poscar", name="mine")
    assert "mine:10" in e.value.message


def _atoms_dict(text):
    """The atoms object of libmigbar's JSON output (bare, wrapped in "atoms", or
    the first entry of an array)."""
    doc = json.loads(text)
    if isinstance(doc, list):
        doc = doc[0]
    return doc.get("atoms", doc)


def test_json_layout_written(triclinic):
    a = _atoms_dict(triclinic.to_string("json"))
    assert set(a) >= {"lattice_mat", "coords", "elements", "cartesian"}
    np.testing.assert_allclose(a["lattice_mat"], triclinic.lattice, atol=1e-12)
    coords = np.array(a["coords"])
    if a["cartesian"]:
        np.testing.assert_allclose(coords, triclinic.positions, atol=1e-10)
    else:
        np.testing.assert_allclose(coords, triclinic.frac, atol=1e-12)
    assert a["elements"] == triclinic.symbols


def test_json_training_data_entries():
    """Entries of ../shared/data/em/train.json read by libmigbar equal the JSON values
    (lattice_mat rows, fractional coords, elements)."""
    data = em_entries()
    assert migbar.Structure.count_frames(EM_TRAIN) == len(data) == 559
    for k in (0, 1, 7, 245, len(data) - 1):
        a = data[k]["atoms"]
        with migbar.Structure.read(EM_TRAIN, index=k) as s:
            assert s.natoms == len(a["elements"])
            np.testing.assert_array_equal(s.lattice, np.array(a["lattice_mat"]))
            assert not a["cartesian"]
            np.testing.assert_array_equal(s.frac, np.array(a["coords"]))
            assert s.symbols == a["elements"]
    with pytest.raises(MigbarError) as e:
        migbar.Structure.read(EM_TRAIN, index=len(data))
    assert e.value.status_name in ("MB_ERR_RANGE", "MB_ERR_PARSE")


def test_json_cartesian_entry():
    text = json.dumps([{"atoms": {"lattice_mat": [[4, 0, 0], [0, 4, 0], [1, 0, 4]],
                                  "coords": [[0, 0, 0], [2.5, 2, 2]],
                                  "elements": ["Li", "O"], "cartesian": True}}])
    with migbar.Structure.from_string(text, "json") as s:
        np.testing.assert_allclose(s.positions, [[0, 0, 0], [2.5, 2, 2]], atol=1e-14)
        np.testing.assert_allclose(s.frac[1], [0.5, 0.5, 0.5], atol=1e-15)
        assert s.symbols == ["Li", "O"]

