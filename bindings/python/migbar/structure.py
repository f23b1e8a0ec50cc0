"""The Structure class: a periodic crystal held by libmigbar (mb_structure)."""

import ctypes
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_void_p

import numpy as np

from ._lib import (Handle, MB_COORDS_CARTESIAN, MB_COORDS_FRACTIONAL, MB_ERR_BUFFER_TOO_SMALL,
                   MB_FORMAT_AUTO, MigbarError, c_int_array, c_integer, c_string, check, fspath,
                   lib)

_dp = POINTER(c_double)
_ip = POINTER(c_int)


def _doubles(a, shape, what):
    """a as a float64 C-contiguous array of the given shape (no copy when it already is)."""
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if arr.shape != shape:
        try:
            arr = arr.reshape(shape)
        except ValueError:
            raise ValueError("%s: expected shape %s, got %s" % (what, shape, arr.shape)) from None
    return arr


def format_code(format):
    """mb_format for None (auto), a name ('poscar', 'xyz', 'cif', 'json', ...) or an int."""
    if format is None:
        return MB_FORMAT_AUTO
    if isinstance(format, (int, np.integer)):
        return c_integer(format, "format")
    code = c_int()
    check(lib.mb_format_from_name(c_string(str(format), "format"), byref(code)))
    return code.value


def element_number(symbol):
    """Atomic number of a chemical symbol ('Fe' -> 26)."""
    z = c_int()
    check(lib.mb_element_number(c_string(str(symbol), "symbol"), byref(z)))
    return z.value


def element_symbol(number):
    """Chemical symbol of an atomic number (26 -> 'Fe')."""
    sym = c_char_p()
    check(lib.mb_element_symbol(c_integer(number, "number"), byref(sym)))
    return sym.value.decode()


def element_mass(number):
    """Standard atomic weight (u) of an atomic number."""
    m = c_double()
    check(lib.mb_element_mass(c_integer(number, "number"), byref(m)))
    return m.value


class Structure(Handle):
    """A 3D-periodic crystal: lattice (Angstrom, rows are lattice vectors), atoms with
    atomic numbers and positions, optional selective-dynamics flags.

    Structure(lattice, positions, numbers_or_symbols, cartesian=False) builds one from
    arrays; Structure.read(path) and Structure.from_string(text, format) parse files.
    Atomic numbers must be integers (29 or 29.0, not 29.7 or True) and symbols strings
    without NUL bytes; anything else raises before the library sees it.

    close() (or a with block, or garbage collection) frees the C structure. Nothing
    borrows a Structure beyond a call: bands, DFT calculations and hop networks copy
    it, so it may be closed right after it was passed to one.
    """

    __slots__ = ("_res", "__weakref__")

    def __init__(self, lattice, positions, numbers_or_symbols, cartesian=False):
        lat = _doubles(lattice, (3, 3), "lattice")
        species = list(numbers_or_symbols) if not isinstance(numbers_or_symbols, np.ndarray) \
            else numbers_or_symbols
        n = len(species)
        pos = _doubles(positions, (n, 3), "positions")
        coords = MB_COORDS_CARTESIAN if cartesian else MB_COORDS_FRACTIONAL
        out = c_void_p()
        if n and all(isinstance(x, (str, bytes, np.str_, np.bytes_)) for x in species):
            syms = (c_char_p * n)(*[c_string(x, "symbols[%d]" % k)
                                    for k, x in enumerate(species)])
            check(lib.mb_structure_create_symbols(lat.ctypes.data_as(_dp), n,
                                                  pos.ctypes.data_as(_dp), coords, syms,
                                                  byref(out)))
        else:
            nums = c_int_array(species, (n,), "numbers")
            check(lib.mb_structure_create(lat.ctypes.data_as(_dp), n, pos.ctypes.data_as(_dp),
                                          coords, nums.ctypes.data_as(_ip), byref(out)))
        self._adopt(out)

    @classmethod
    def _wrap(cls, ptr):
        """Take ownership of an mb_structure handle."""
        self = cls.__new__(cls)
        self._adopt(ptr)
        return self

    # ---- files ---------------------------------------------------------

    @classmethod
    def read(cls, path, format=None, index=0):
        """Read structure number index (0-based) of a file; format None guesses
        from the name (and content)."""
        out = c_void_p()
        check(lib.mb_structure_read_frame(fspath(path), format_code(format),
                                          c_integer(index, "index"), byref(out)))
        return cls._wrap(out)

    @classmethod
    def from_string(cls, text, format, index=0, name=None):
        """Parse a structure from text (str or bytes); name is used in messages."""
        data = text.encode() if isinstance(text, str) else bytes(text)
        out = c_void_p()
        check(lib.mb_structure_read_buffer(data, len(data), format_code(format),
                                           None if name is None else c_string(str(name), "name"),
                                           c_integer(index, "index"), byref(out)))
        return cls._wrap(out)

    @staticmethod
    def count_frames(path, format=None):
        """Number of structures in a file (XYZ frames, JSON entries, CIF blocks)."""
        n = c_int()
        check(lib.mb_structure_count_frames(fspath(path), format_code(format), byref(n)))
        return n.value

    def write(self, path, format=None):
        """Write to a file; format None takes it from the name."""
        check(lib.mb_structure_write(self._h, fspath(path), format_code(format)))

    def to_string(self, format):
        """The file text in the given format ('poscar', 'xyz', 'cif', 'json')."""
        data = c_void_p()
        size = c_size_t()
        check(lib.mb_structure_write_buffer(self._h, format_code(format), byref(data),
                                            byref(size)))
        try:
            return ctypes.string_at(data, size.value).decode("utf-8")
        finally:
            lib.mb_free(data)

    # ---- lifetime (close, closed, __del__, __exit__: Handle) -----------

    _free = "mb_structure_free"
    _what = "migbar.Structure"

    def __enter__(self):
        self._h
        return self


    def copy(self):
        out = c_void_p()
        check(lib.mb_structure_copy(self._h, byref(out)))
        return Structure._wrap(out)

    __copy__ = copy

    def __deepcopy__(self, memo):
        return self.copy()

    def __repr__(self):
        if self.closed:
            return "<migbar.Structure (closed)>"
        return "<migbar.Structure %s, %d atoms>" % (self.formula(), self.natoms)

    # ---- getters -------------------------------------------------------

    @property
    def natoms(self):
        n = c_int()
        check(lib.mb_structure_natoms(self._h, byref(n)))
        return n.value

    def __len__(self):
        return self.natoms

    @property
    def lattice(self):
        """3x3 array, rows are the lattice vectors (Angstrom); a copy."""
        lat = np.empty((3, 3))
        check(lib.mb_structure_lattice(self._h, lat.ctypes.data_as(_dp)))
        return lat

    @lattice.setter
    def lattice(self, value):
        self.set_lattice(value, scale_atoms=True)

    def _positions(self, coords):
        pos = np.empty((self.natoms, 3))
        check(lib.mb_structure_positions(self._h, coords, pos.ctypes.data_as(_dp)))
        return pos

    @property
    def positions(self):
        """Cartesian positions (natoms x 3, Angstrom); a copy."""
        return self._positions(MB_COORDS_CARTESIAN)

    @positions.setter
    def positions(self, value):
        self.set_positions(value, cartesian=True)

    @property
    def frac(self):
        """Fractional positions (natoms x 3); a copy."""
        return self._positions(MB_COORDS_FRACTIONAL)

    @frac.setter
    def frac(self, value):
        self.set_positions(value, cartesian=False)

    @property
    def numbers(self):
        nums = np.empty(self.natoms, dtype=np.intc)
        check(lib.mb_structure_numbers(self._h, nums.ctypes.data_as(_ip)))
        return nums.astype(int)

    @property
    def symbols(self):
        out = []
        sym = c_char_p()
        for i in range(self.natoms):
            check(lib.mb_structure_symbol(self._h, i, byref(sym)))
            out.append(sym.value.decode())
        return out

    # ---- setters -------------------------------------------------------

    def set_positions(self, positions, cartesian=True):
        pos = _doubles(positions, (self.natoms, 3), "positions")
        coords = MB_COORDS_CARTESIAN if cartesian else MB_COORDS_FRACTIONAL
        check(lib.mb_structure_set_positions(self._h, pos.ctypes.data_as(_dp), coords))

    def set_lattice(self, lattice, scale_atoms=True):
        """Replace the lattice; scale_atoms keeps the fractional positions, otherwise
        the Cartesian ones are kept."""
        lat = _doubles(lattice, (3, 3), "lattice")
        check(lib.mb_structure_set_lattice(self._h, lat.ctypes.data_as(_dp),
                                           1 if scale_atoms else 0))

    @property
    def selective(self):
        """Selective-dynamics flags: None, or a bool array natoms x 3 (True = free)."""
        flags = np.empty((self.natoms, 3), dtype=np.intc)
        has = c_int()
        check(lib.mb_structure_selective(self._h, flags.ctypes.data_as(_ip), byref(has)))
        return flags.astype(bool) if has.value else None

    @selective.setter
    def selective(self, flags):
        if flags is None:
            check(lib.mb_structure_set_selective(self._h, None))
            return
        arr = np.asarray(flags)
        if arr.shape != (self.natoms, 3):
            raise ValueError("selective: expected shape (%d, 3), got %s"
                             % (self.natoms, arr.shape))
        arr = np.ascontiguousarray(arr != 0, dtype=np.intc)
        check(lib.mb_structure_set_selective(self._h, arr.ctypes.data_as(_ip)))

    # ---- geometry ------------------------------------------------------

    def wrap(self):
        """Map every atom into the cell (fractional coordinates in [0, 1)); returns self."""
        check(lib.mb_structure_wrap(self._h))
        return self

    def supercell(self, matrix):
        """A new supercell: matrix is an int (n x n x n), three ints (a, b, c) or a 3x3
        integer matrix P (new lattice = P @ lattice). Atoms are ordered as by ASE's
        Atoms.repeat for diagonal P."""
        m = np.asarray(matrix)
        if m.ndim == 0:
            m = np.diag([c_integer(m.item(), "supercell matrix")] * 3)
        elif m.shape == (3,):
            m = np.diag(c_int_array(m, (3,), "supercell matrix"))
        if m.shape != (3, 3):
            raise ValueError("supercell: give an int, 3 ints or a 3x3 matrix, got shape %s"
                             % (m.shape,))
        mi = c_int_array(m, (3, 3), "supercell matrix")
        out = c_void_p()
        check(lib.mb_structure_supercell(self._h, mi.ctypes.data_as(_ip), byref(out)))
        return Structure._wrap(out)

    def displacement(self, i, j):
        """Minimum-image vector from atom i to atom j (Angstrom)."""
        v = np.empty(3)
        check(lib.mb_structure_displacement(self._h, c_integer(i, "i"), c_integer(j, "j"),
                                            v.ctypes.data_as(_dp)))
        return v

    def distance(self, i, j):
        """Minimum-image distance between atoms i and j (Angstrom)."""
        d = c_double()
        check(lib.mb_structure_distance(self._h, c_integer(i, "i"), c_integer(j, "j"),
                                        byref(d)))
        return d.value

    def formula(self, reduced=False):
        """Chemical formula in Hill order, e.g. 'FeLiO4P'."""
        size = 256
        while True:
            buf = ctypes.create_string_buffer(size)
            st = lib.mb_structure_formula(self._h, 1 if reduced else 0, buf, size)
            if st == MB_ERR_BUFFER_TOO_SMALL and size < (1 << 24):
                size *= 4
                continue
            check(st)
            return buf.value.decode()

    @property
    def volume(self):
        """Cell volume (Angstrom^3)."""
        v = c_double()
        check(lib.mb_structure_volume(self._h, byref(v)))
        return v.value

    @property
    def density(self):
        """Mass density (g/cm^3) from standard atomic weights."""
        d = c_double()
        check(lib.mb_structure_density(self._h, byref(d)))
        return d.value

    def spacegroup(self, symprec=1e-3):
        """(number, Hermann-Mauguin symbol) found by spglib, e.g. (225, 'Fm-3m')."""
        number = c_int()
        buf = ctypes.create_string_buffer(64)
        with self._running("spacegroup()", exclusive=False) as ptr:
            check(lib.mb_structure_spacegroup(ptr, float(symprec), byref(number), buf, 64))
        return number.value, buf.value.decode()

    def neighbors(self, cutoff=None, k=None):
        """Periodic neighbour list: all pairs within cutoff (Angstrom), or the k
        nearest neighbours of each atom. Give exactly one of the two."""
        from .neighbors import NeighborList
        return NeighborList(self, cutoff=cutoff, k=k)

    # ---- ASE -----------------------------------------------------------

    def to_ase(self):
        """An ase.Atoms (pbc=True); selective flags become FixAtoms / FixScaled."""
        from .ase_io import to_ase
        return to_ase(self)

    @classmethod
    def from_ase(cls, atoms):
        """A Structure from a periodic ase.Atoms (FixAtoms, FixScaled and
        FixCartesian become selective flags)."""
        from .ase_io import from_ase
        return from_ase(atoms, cls)


__all__ = ["Structure", "MigbarError", "element_number", "element_symbol", "element_mass",
           "format_code"]
