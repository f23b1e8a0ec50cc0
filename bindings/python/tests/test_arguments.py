"""Arguments checked before they reach ctypes (issue 12): ctypes truncates a Python int
to a C int silently (2**40 becomes 0, 2**32 + 26 becomes 26) and passes a str only up
to its first NUL ('Cu\\x00xx' becomes 'Cu'). Every such argument is refused now, with
an error that names it: ArgumentRangeError (both OverflowError and ValueError) for an
integer out of range, ValueError for a non-integral number or an embedded NUL,
TypeError for a bool or a non-number where an integer is expected."""

import os

import numpy as np
import pytest

import migbar
from migbar import _lib
from migbar._lib import ArgumentRangeError, c_int_array, c_integer, c_string

from conftest import NACL_A, NACL_FRAC, NACL_SYMBOLS, SRCDIR

GNN_DATA = os.path.join(SRCDIR, "tests", "data", "gnn")
BAND_MODEL = os.path.join(GNN_DATA, "tiny_band.safetensors")
ENSEMBLE = os.path.join(GNN_DATA, "ensemble", "ensemble.json")
OLIVINE = os.path.join(SRCDIR, "tests", "data", "hops", "LiFePO4_olivine.vasp")
INT_MAX = 2**31 - 1


def out_of_range(name):
    """pytest.raises for an integer argument out of range, naming it."""
    return pytest.raises(ArgumentRangeError, match=r"\b%s\b.*out of range" % name)


# ---- the helpers -------------------------------------------------------------------

def test_c_integer():
    assert c_integer(7, "k") == 7 and c_integer(np.int64(-3), "k") == -3
    assert c_integer(29.0, "Z") == 29 and type(c_integer(np.float32(2), "k")) is int
    assert c_integer(INT_MAX, "k") == INT_MAX and c_integer(-INT_MAX - 1, "k") == -INT_MAX - 1
    for bad in (INT_MAX + 1, -INT_MAX - 2, 2**40, 2**63, 2**200):
        with out_of_range("k"):
            c_integer(bad, "k")
    e = pytest.raises(OverflowError, c_integer, 2**40, "nimages").value
    assert isinstance(e, ValueError)  # both, so that either except clause catches it
    assert "nimages=1099511627776" in str(e) and "[-2147483648, 2147483647]" in str(e)
    for bad in (29.7, float("nan"), float("inf"), np.float64(0.5)):
        with pytest.raises(ValueError, match="Z must be an integer"):
            c_integer(bad, "Z")
    for bad in (True, np.bool_(False), "3", None, 3j):
        with pytest.raises(TypeError, match="k must be an integer"):
            c_integer(bad, "k")
    assert c_integer(2**40, "size", ctypes_size_t()) == 2**40
    with out_of_range("size"):
        c_integer(-1, "size", ctypes_size_t())
    with pytest.raises(ArgumentRangeError, match=r"in \[0, 2147483647\]"):
        c_integer(-1, "threads", lo=0)


def ctypes_size_t():
    import ctypes
    return ctypes.c_size_t


def test_c_int_array():
    a = c_int_array([1, 2.0, np.int16(3)], (3,), "numbers")
    assert a.dtype == np.intc and a.flags.c_contiguous and list(a) == [1, 2, 3]
    for bad in ([2**40], np.array([2**31]), [1, 2**70], np.array([-2**31 - 1]),
                np.array([2**63], dtype=np.uint64)):
        with out_of_range("numbers"):
            c_int_array(bad, None, "numbers")
    for bad in ([29.7], [1.0, np.nan], np.array([np.inf])):
        with pytest.raises(ValueError, match="numbers must be integers"):
            c_int_array(bad, None, "numbers")
    for bad in ([True, False], ["Cu", 29], [1, None]):
        with pytest.raises(TypeError, match="numbers"):
            c_int_array(bad, None, "numbers")
    with pytest.raises(ValueError, match="expected shape"):
        c_int_array([1, 2], (3,), "numbers")
    assert c_int_array([], (0,), "numbers").shape == (0,)


def test_c_string_and_paths():
    assert c_string("Cu", "symbol") == b"Cu" and c_string(b"Li", "ion") == b"Li"
    assert c_string(np.str_("Fe"), "symbol") == b"Fe"
    for bad in ("Cu\x00xx", b"Li\x00"):
        with pytest.raises(ValueError, match="symbol: embedded null byte"):
            c_string(bad, "symbol")
    with pytest.raises(TypeError):
        c_string(29, "symbol")
    with pytest.raises(ValueError, match="null byte"):
        _lib.fspath("POSCAR\x00.cif")


# ---- the calls of the issue, and the other int and string arguments -------------------

def test_structure_numbers_and_symbols():
    lat, pos = np.eye(3) * 3.0, [[0, 0, 0]]
    for bad in ([2**40], [2**32 + 29], np.array([2**40])):  # were atomic number 0 / 29
        with out_of_range("numbers"):
            migbar.Structure(lat, pos, bad)
    with pytest.raises(ValueError, match="numbers must be integers, got 29.7"):
        migbar.Structure(lat, pos, [29.7])  # was copper
    with pytest.raises(TypeError, match="booleans"):
        migbar.Structure(lat, pos, [True])  # was hydrogen
    for bad in (["Cu\x00xx"], [b"Cu\x00"]):  # were copper
        with pytest.raises(ValueError, match=r"symbols\[0\]: embedded null byte"):
            migbar.Structure(lat, pos, bad)
    # what is right still works, integral floats included
    with migbar.Structure(lat, pos, [29.0]) as s:
        assert s.symbols == ["Cu"]
    with migbar.Structure(lat, pos, np.array([29], dtype=np.int64)) as s:
        assert list(s.numbers) == [29]


def test_element_functions():
    with out_of_range("number"):
        migbar.element_symbol(2**32 + 26)  # was 'Fe'
    with out_of_range("number"):
        migbar.element_mass(2**32 + 26)
    with pytest.raises(ValueError, match="integer"):
        migbar.element_symbol(26.5)
    with pytest.raises(ValueError, match="null byte"):
        migbar.element_number("Fe\x00xx")  # was 26
    assert migbar.element_symbol(26.0) == "Fe" and migbar.element_number("Fe") == 26


def test_structure_read_index_and_paths(tmp_path, nacl):
    path = tmp_path / "NaCl.vasp"
    nacl.write(path)
    for index in (2**63, 2**32):  # were frame 0
        with out_of_range("index"):
            migbar.Structure.read(path, index=index)
        with out_of_range("index"):
            migbar.Structure.from_string(path.read_text(), "poscar", index=index)
    with pytest.raises(ValueError, match="null byte"):
        migbar.Structure.read(str(path) + "\x00.cif")  # was read as NaCl.vasp
    with pytest.raises(ValueError, match="null byte"):
        migbar.Structure.from_string(path.read_text(), "poscar", name="a\x00b")
    with pytest.raises(ValueError, match="format: embedded null byte"):
        migbar.Structure.read(path, format="poscar\x00json")
    with out_of_range("format"):
        migbar.Structure.read(path, format=2**32)  # was MB_FORMAT_AUTO
    with pytest.raises(ValueError, match="null byte"):
        nacl.write(str(tmp_path / "out.vasp") + "\x00x")
    assert migbar.Structure.read(path, index=0).formula() == nacl.formula()


def test_structure_methods(nacl):
    with out_of_range("j"):
        nacl.distance(0, 2**32 + 1)  # was the distance to atom 1
    with out_of_range("i"):
        nacl.displacement(-2**32, 1)
    with pytest.raises(ValueError, match="integer"):
        nacl.distance(0, 1.5)
    with out_of_range("supercell matrix"):
        nacl.supercell(2**32 + 1)  # was a 1x1x1 supercell
    with out_of_range("supercell matrix"):
        nacl.supercell([1, 1, 2**32 + 2])
    with pytest.raises(ValueError, match="supercell matrix must be integers"):
        nacl.supercell(np.diag([1, 1, 1.5]))
    with out_of_range("k"):
        nacl.neighbors(k=2**32 + 1)  # was k = 1
    with pytest.raises(ValueError, match="integer"):
        nacl.neighbors(k=2.5)
    with out_of_range("k"):
        migbar.Graph(nacl, k=2**32 + 12)
    with out_of_range("nband"):
        migbar.Graph(nacl, nband=2**32)
    with nacl.supercell(2.0) as big:
        assert big.natoms == 64


def test_band_arguments():
    lat = np.eye(3) * NACL_A
    a = migbar.Structure(lat, NACL_FRAC, NACL_SYMBOLS)
    moved = NACL_FRAC.copy()
    moved[0] += 0.05
    b = migbar.Structure(lat, moved, NACL_SYMBOLS)
    with out_of_range("nimages"):
        migbar.Band(a, b, nimages=2**40)  # was "got 0"
    with out_of_range("nimages"):
        migbar.Band(a, b, nimages=2**32 + 3)  # was 3 images
    with pytest.raises(TypeError, match="nimages must be an integer, not a bool"):
        migbar.Band(a, b, nimages=True)
    band = migbar.Band(a, b, nimages=3)
    with out_of_range("i"):
        band.image(2**32 + 1)  # was image 1
    with out_of_range("i"):
        band.forces(2**32)
    with out_of_range("npoints"):
        band.profile(1)
    # fixed flags: any non-zero value is "free" (2**32 was 0, "fixed")
    band.set_fixed(np.full((8, 3), 2**32))
    assert band.set(max_steps=5).get("max_steps") == 5


def _model_or_skip(path):
    if not os.path.exists(path):
        pytest.skip("%s is absent" % path)
    return path


def _hop():
    lat = np.eye(3) * 12
    frac = np.array([[0.1, 0.2, 0.2], [0.5, 0.5, 0.5], [0.6, 0.9, 0.1], [0.3, 0.7, 0.8]])
    moved = frac.copy()
    moved[0, 0] += 0.2
    el = ["Li", "O", "Fe", "O"]
    return migbar.Structure(lat, frac, el), migbar.Structure(lat, moved, el)


def test_model_arguments(nacl):
    initial, final = _hop()
    with migbar.Model.load(_model_or_skip(BAND_MODEL)) as m:
        with out_of_range("ion"):
            m.predict_band(initial, final, ion=2**40)  # was a prediction for ion 0
        with pytest.raises(TypeError, match="ion"):
            m.predict_band(initial, final, ion=False)
        with out_of_range("nband"):
            m.predict(nacl, nband=2**32)
        with out_of_range("nband"):
            m.predict_batch([nacl, nacl], nband=[0, 2**32])
        with out_of_range("threads"):
            m.predict_batch([nacl], threads=2**32)
        with out_of_range("threads"):
            m.predict_batch([nacl], threads=-1)
        assert np.array_equal(m.predict_band(initial, final, ion=0.0),
                              m.predict_band(initial, final, ion=0))
    with migbar.Ensemble.load(_model_or_skip(ENSEMBLE)) as e:
        with out_of_range("ion"):
            e.predict_band(initial, final, ion=2**40)
        with out_of_range("ion"):
            e.check_hop(initial, final, ion=2**32)
        with out_of_range("nband"):
            e.predict_batch([nacl], nband=2**40)
        with out_of_range("ion"):
            migbar.predict_barrier(initial, final, model=e, ion=2**40)
        with out_of_range("nthreads"):
            migbar.predict_barriers([(initial, final)], model=e, nthreads=2**40)


def test_hops_and_dft_arguments():
    with pytest.raises(ValueError, match="ion: embedded null byte"):
        migbar.HopNetwork(OLIVINE, "Li\x00xx")  # was the Li network
    with migbar.HopNetwork(OLIVINE, "Li") as net:
        with out_of_range("k"):
            net.end_points(2**32)  # was hop 0
        with out_of_range("nthreads"):
            net.predict(ENSEMBLE, nthreads=2**32)
    s = migbar.Structure(np.eye(3) * 5.43, [[0, 0, 0], [0.25, 0.25, 0.25]], ["Si", "Si"])
    with migbar.Dft(s) as dft:
        with out_of_range("kpts"):
            dft.set(kpts=(2**32 + 2, 1, 1))  # was a 2x1x1 grid
        with out_of_range("kpts"):
            dft.set(kpts=2**40)
        with pytest.raises(ValueError, match="kpts must be integers"):
            dft.set(kpts=2.5)
        with pytest.raises(ValueError, match="element: embedded null byte"):
            dft.set(pseudo={"Si\x00": "Si.psp8"})
        with pytest.raises(ValueError, match="pseudo path: embedded null byte"):
            dft.set(pseudo={"Si": "Si.psp8\x00"})
        with pytest.raises(ValueError, match="null byte"):
            dft.set(pseudo_dir="/usr/share\x00/x")
