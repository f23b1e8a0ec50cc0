"""HopNetwork: the migration network of a mobile ion (mb_hops, migbar.h section 7).

    >>> net = migbar.hops("LiFePO4.cif", "Li", max_length=5.0)   # shipped model or proxy
    >>> for hop in net.hops:
    ...     print(hop.index, hop.length, hop.multiplicity, hop.blocked, hop.barrier)
    >>> net.percolation.barrier          # (E_1D, E_2D, E_3D), inf when never
    >>> initial, final, ion = net.end_points(0)                  # migbar.Structure
    >>> initial.to_ase()

Definitions (sites, distinct hops, bottleneck, the proxy, percolation) are those of
docs/hops.md.
"""

import math
import os
from ctypes import POINTER, byref, c_double, c_int, c_void_p

import numpy as np

from . import describe
from ._lib import Handle, c_integer, c_string, check, lib

# mb_hops_option
_OPTIONS = {name: o.key for name, o in describe.options("hops").items()}  # migbar.h 11
# mb_hops_source
SOURCES = ("proxy", "user", "model")


def _dptr(a):
    return a.ctypes.data_as(POINTER(c_double))


def _iptr(a):
    return a.ctypes.data_as(POINTER(c_int))


class Hop:
    """One distinct hop: a class of hops equivalent under the space group.

    index: its number in the network; start, end: atom indices of the representative
    (from atom start to atom end in the cell shifted by image, a lattice translation);
    length (A); multiplicity: undirected hops of the class per unit cell; bottleneck:
    closest approach of the straight path to a framework atom (A, inf without one);
    window: the same for the widest of a family of bent paths (A); clearance: nearest framework atom of the end sites (A); blocked; barrier and spread
    (eV) and where the barrier comes from (source: "proxy", "user" or "model")."""

    __slots__ = ("index", "start", "end", "image", "length", "multiplicity", "bottleneck",
                 "window", "clearance", "blocked", "barrier", "spread", "source")

    def __init__(self, **fields):
        for k, v in fields.items():
            setattr(self, k, v)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return ("<migbar.Hop %d: atom %d -> %d %s, %.3f A, x%d, bottleneck %.3f A, window "
                "%.3f A%s, E_m %.3f eV (%s)>" % (self.index, self.start, self.end, self.image,
                                       self.length, self.multiplicity, self.bottleneck,
                                       self.window,
                                       ", blocked" if self.blocked else "", self.barrier,
                                       self.source))


class Percolation:
    """Percolation of the network: barrier[d-1] is the lowest barrier (eV) at which the
    hops connect into a network spanning d = 1, 2, 3 dimensions (inf when never);
    limiting[d-1] the index of the distinct hop whose addition reached d (None when
    never)."""

    __slots__ = ("barrier", "limiting")

    def __init__(self, barrier, limiting):
        self.barrier = tuple(barrier)
        self.limiting = tuple(limiting)

    def __repr__(self):
        return "<migbar.Percolation 1D %s, 2D %s, 3D %s eV>" % tuple(
            "%.3f" % b if math.isfinite(b) else "never" for b in self.barrier)


class HopNetwork(Handle):
    """The hops of the species ion ("Li") in a structure, grouped by symmetry, with
    their geometry, barriers and percolation (docs/hops.md). Options: max_length (A,
    default 5), symprec (A, 1e-3), block_fraction (0.6), min_separation (A, 8) and
    max_atoms (2000) of the end-point supercells.

    The structure is copied (it may be closed at once), and so are the end points
    returned. close() frees the network; it raises RuntimeError while predict() runs
    on it in another thread."""

    _free = "mb_hops_free"
    _what = "migbar.HopNetwork"

    def __init__(self, structure, ion, **options):
        from .model import _structure
        name = c_string(str(ion), "ion")
        s, own = _structure(structure)
        try:
            out = c_void_p()
            check(lib.mb_hops_create(s._h, name, byref(out)))
            self._adopt(out)
        finally:
            if own:
                s.close()
        self.ion = str(ion)
        for name, value in options.items():
            if name not in _OPTIONS:
                raise TypeError("HopNetwork: unknown option %r (known: %s)"
                                % (name, ", ".join(_OPTIONS)))
            if value is not None:
                check(lib.mb_hops_set_option(self._h, _OPTIONS[name], float(value)))
        with self._running("find()") as ptr:
            check(lib.mb_hops_find(ptr))

    def option(self, name):
        v = c_double()
        check(lib.mb_hops_get_option(self._h, _OPTIONS[name], byref(v)))
        return int(v.value) if name == "max_atoms" else v.value

    def __len__(self):
        return self.count()[0]

    def __repr__(self):
        if self.closed:
            return "<migbar.HopNetwork (closed)>"
        nd, nh = self.count()
        return "<migbar.HopNetwork %s: %d sites, %d distinct hops, %d hops per cell>" % (
            self.ion, len(self.sites), nd, nh)

    def count(self):
        """(number of distinct hops, number of undirected hops per unit cell)."""
        nd, nh = c_int(), c_int()
        check(lib.mb_hops_count(self._h, byref(nd), byref(nh)))
        return nd.value, nh.value

    @property
    def sites(self):
        """Atom indices of the sites of the mobile ion."""
        n = c_int()
        check(lib.mb_hops_sites(self._h, byref(n), None))
        atoms = np.zeros(n.value, dtype=np.intc)
        check(lib.mb_hops_sites(self._h, byref(n), _iptr(atoms)))
        return atoms

    @property
    def hops(self):
        """The distinct hops (list of Hop), shortest first."""
        nd, _ = self.count()
        start, end = np.zeros(nd, np.intc), np.zeros(nd, np.intc)
        image, mult = np.zeros((nd, 3), np.intc), np.zeros(nd, np.intc)
        length, bott, clear, win = np.zeros(nd), np.zeros(nd), np.zeros(nd), np.zeros(nd)
        blocked = np.zeros(nd, np.intc)
        check(lib.mb_hops_distinct(self._h, _iptr(start), _iptr(end), _iptr(image),
                                   _dptr(length), _iptr(mult)))
        check(lib.mb_hops_geometry(self._h, _dptr(bott), _dptr(win), _dptr(clear),
                                   _iptr(blocked)))
        barrier, spread, source = self.barriers()
        return [Hop(index=k, start=int(start[k]), end=int(end[k]),
                    image=tuple(int(x) for x in image[k]), length=float(length[k]),
                    multiplicity=int(mult[k]), bottleneck=float(bott[k]), window=float(win[k]),
                    clearance=float(clear[k]), blocked=bool(blocked[k]),
                    barrier=float(barrier[k]), spread=float(spread[k]), source=source)
                for k in range(nd)]

    def all_hops(self):
        """Every undirected hop of the unit cell: (start, end, image, distinct) arrays."""
        _, nh = self.count()
        start, end = np.zeros(nh, np.intc), np.zeros(nh, np.intc)
        image, distinct = np.zeros((nh, 3), np.intc), np.zeros(nh, np.intc)
        check(lib.mb_hops_all(self._h, _iptr(start), _iptr(end), _iptr(image),
                              _iptr(distinct)))
        return start, end, image, distinct

    def end_points(self, k):
        """(initial, final, ion) of distinct hop k: migbar.Structure end points of a
        vacancy hop in a supercell (docs/hops.md), ion the index of the moving atom;
        ready for Ensemble.predict_band or migbar.Band."""
        from .structure import Structure
        a, b, ion = c_void_p(), c_void_p(), c_int()
        reps = np.zeros(3, np.intc)
        check(lib.mb_hops_end_points(self._h, c_integer(k, "k"), byref(a), byref(b), byref(ion),
                                     _iptr(reps)))
        return Structure._wrap(a), Structure._wrap(b), ion.value

    def set_barriers(self, barrier, spread=None):
        """Barriers (eV) of the distinct hops, one each (and optionally their spread)."""
        nd, _ = self.count()
        b = np.ascontiguousarray(barrier, dtype=float)
        if b.shape != (nd,):
            raise ValueError("set_barriers: expected %d barriers, got shape %s" % (nd, b.shape))
        s = None
        if spread is not None:
            s = np.ascontiguousarray(spread, dtype=float)
            if s.shape != (nd,):
                raise ValueError("set_barriers: expected %d spreads, got shape %s"
                                 % (nd, s.shape))
        check(lib.mb_hops_set_barriers(self._h, _dptr(b), None if s is None else _dptr(s)))

    def predict(self, model=None, nthreads=0):
        """Barriers from a model: None (the shipped model), a path, an Ensemble or a
        Model."""
        from .model import Ensemble, Model, _ensemble
        nthreads = c_integer(nthreads, "nthreads", lo=0)
        e = _ensemble(model)
        own = isinstance(e, Model)
        if own:
            e = Ensemble(e.path)
        try:
            with self._running("predict()", e) as ptr:
                check(lib.mb_hops_predict(ptr, e._h, nthreads))
        finally:
            if own:
                e.close()

    def barriers(self):
        """(barrier, spread, source): arrays over the distinct hops (eV) and "proxy",
        "user" or "model"."""
        nd, _ = self.count()
        b, s, src = np.zeros(nd), np.zeros(nd), c_int()
        check(lib.mb_hops_barriers(self._h, _dptr(b), _dptr(s), byref(src)))
        return b, s, SOURCES[src.value]

    @property
    def percolation(self):
        """Percolation barriers for 1D, 2D, 3D and the limiting distinct hops."""
        b, lim = np.zeros(3), np.zeros(3, np.intc)
        check(lib.mb_hops_percolation(self._h, _dptr(b), _iptr(lim)))
        return Percolation([float(x) for x in b], [int(x) if x >= 0 else None for x in lim])

    def dimensionality(self, threshold):
        """Dimensionality (0..3) of the network of hops with barriers <= threshold (eV)."""
        d = c_int()
        check(lib.mb_hops_dimensionality(self._h, float(threshold), byref(d)))
        return d.value


def hops(structure, ion, max_length=5.0, model=None, nthreads=0, **options):
    """The migration network of ion in structure (a migbar.Structure, an ase.Atoms or a
    file path): a HopNetwork with its distinct hops and percolation. model: None uses
    the shipped E_m model when it is installed and the geometric proxy otherwise;
    "proxy" (or False) always the proxy; a path, an Ensemble or a Model predicts the
    barriers with it. Other options as HopNetwork."""
    net = HopNetwork(structure, ion, max_length=max_length, **options)
    if model is None:
        from .model import default_model_path
        try:
            model = default_model_path()
        except FileNotFoundError:
            model = False
        if model and not os.path.exists(model):
            model = False
    if model is not False and model != "proxy":
        try:
            net.predict(model, nthreads)
        except BaseException:
            net.close()
            raise
    return net


__all__ = ["HopNetwork", "Hop", "Percolation", "hops", "SOURCES"]
