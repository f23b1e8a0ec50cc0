"""NeighborList: a periodic neighbour list (mb_neighbors) as numpy arrays."""

from ctypes import POINTER, byref, c_double, c_int, c_size_t, c_void_p

import numpy as np

from ._lib import Handle, c_integer, check, lib

_dp = POINTER(c_double)
_ip = POINTER(c_int)


class NeighborList(Handle):
    """A full periodic neighbour list: pair p goes from atom i[p] to atom j[p] in the
    image shifted by the integer lattice vector shift[p], with
    vector[p] = r[j] + shift[p] @ lattice - r[i] and distance[p] = |vector[p]|.
    Each pair appears both ways; pairs are grouped by i, and the pairs of atom a are
    first[a]:first[a+1].

    The arrays are copied out of the library once, when the list is built; they
    stay valid after close(), which only frees the C handle.
    """

    _free = "mb_neighbors_free"
    _what = "migbar.NeighborList"

    def __init__(self, structure, cutoff=None, k=None):
        if (cutoff is None) == (k is None):
            raise ValueError("NeighborList: give exactly one of cutoff= and k=")
        out = c_void_p()
        if cutoff is not None:
            check(lib.mb_neighbors_cutoff(structure._h, float(cutoff), byref(out)))
        else:
            check(lib.mb_neighbors_knn(structure._h, c_integer(k, "k"), byref(out)))
        self._adopt(out)
        self.natoms = structure.natoms
        count = c_size_t()
        check(lib.mb_neighbors_count(out, byref(count)))
        n = count.value
        self.count = n
        self.i = np.empty(n, dtype=np.intc)
        self.j = np.empty(n, dtype=np.intc)
        self.shift = np.empty((n, 3), dtype=np.intc)
        self.distance = np.empty(n, dtype=np.float64)
        self.vector = np.empty((n, 3), dtype=np.float64)
        check(lib.mb_neighbors_pairs(out, self.i.ctypes.data_as(_ip),
                                     self.j.ctypes.data_as(_ip),
                                     self.shift.ctypes.data_as(_ip),
                                     self.distance.ctypes.data_as(_dp),
                                     self.vector.ctypes.data_as(_dp)))
        first = np.empty(self.natoms + 1, dtype=np.uintp)
        check(lib.mb_neighbors_first(out, first.ctypes.data_as(POINTER(c_size_t))))
        self.first = first.astype(np.int64)
        for a in (self.i, self.j, self.shift, self.distance, self.vector, self.first):
            a.flags.writeable = False

    def __len__(self):
        return self.count

    def of(self, atom):
        """Slice of the pairs of one atom."""
        return slice(int(self.first[atom]), int(self.first[atom + 1]))


    def __repr__(self):
        return "<migbar.NeighborList %d pairs, %d atoms>" % (self.count, self.natoms)


__all__ = ["NeighborList"]
