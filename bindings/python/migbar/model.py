"""Graph and Model: the ALIGNN-style crystal graph (mb_graph) and a loaded graph
network (mb_model) of docs/model.md.

    >>> with migbar.Model.load("tiny_band.safetensors") as m:
    ...     m.outputs, m.units, m.is_band_model
    ...     m.predict_band(initial, final)          # E_m (eV) first
    ...     m.predict(entry_structure, nband=5)     # a band already built (em data set)
"""

import ctypes
import json
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_void_p

import numpy as np

from ._lib import Handle, check, fspath, lib

_dp = POINTER(c_double)
_ip = POINTER(c_int)


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False


class Graph(Handle):
    """The graph of a structure (docs/model.md, section 1), copied out as numpy arrays.

    Edge e goes from atom src[e] to atom dst[e]; vector[e] points from the source
    (in its periodic image) to the destination, Angstrom. Triplet t joins edge
    triplet_a[t] = (u -> v) to edge triplet_b[t] = (v -> w), with cosine[t] the
    bond-angle cosine at v. The first nband atoms are band atoms.

    The arrays stay valid after close(), which only frees the C handle.
    """

    _free = "mb_graph_free"
    _what = "migbar.Graph"

    def __init__(self, structure, k=12, nband=0):
        self._ptr = None
        if int(k) != k or int(nband) != nband:
            raise ValueError("Graph: k and nband must be integers")
        out = c_void_p()
        check(lib.mb_graph_create(structure._h, int(k), int(nband), byref(out)))
        self._ptr = out
        self.k = int(k)
        self.nband = int(nband)
        natoms, nedges, ntriplets = c_int(), c_size_t(), c_size_t()
        check(lib.mb_graph_sizes(out, byref(natoms), byref(nedges), byref(ntriplets)))
        self.natoms, self.nedges, self.ntriplets = natoms.value, nedges.value, ntriplets.value
        m, t = self.nedges, self.ntriplets
        self.src = np.empty(m, dtype=np.intc)
        self.dst = np.empty(m, dtype=np.intc)
        self.vector = np.empty((m, 3), dtype=np.float64)
        check(lib.mb_graph_edges(out, self.src.ctypes.data_as(_ip),
                                 self.dst.ctypes.data_as(_ip),
                                 self.vector.ctypes.data_as(_dp)))
        self.triplet_a = np.empty(t, dtype=np.intc)
        self.triplet_b = np.empty(t, dtype=np.intc)
        self.cosine = np.empty(t, dtype=np.float64)
        check(lib.mb_graph_triplets(out, self.triplet_a.ctypes.data_as(_ip),
                                    self.triplet_b.ctypes.data_as(_ip),
                                    self.cosine.ctypes.data_as(_dp)))
        _readonly(self.src, self.dst, self.vector, self.triplet_a, self.triplet_b, self.cosine)

    @property
    def distance(self):
        """Edge lengths |vector|, Angstrom."""
        return np.linalg.norm(self.vector, axis=1)


    def __repr__(self):
        return "<migbar.Graph %d atoms, %d edges, %d triplets>" % (self.natoms, self.nedges,
                                                                    self.ntriplets)


def _find_key(obj, key):
    """The value of key in a JSON tree, looking into nested objects and into string
    values that hold JSON objects (safetensors metadata values are strings)."""
    if isinstance(obj, str) and obj.lstrip().startswith("{"):
        try:
            obj = json.loads(obj)
        except ValueError:
            return None
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


class Model(Handle):
    """A loaded graph-network model (safetensors weights, docs/model.md).

    Model.load(path) (or Model(path)) reads and checks the file. A model is
    read-only once loaded: predictions from several threads may share it.
    close() (or a with block, or garbage collection) frees it.
    """

    _free = "mb_model_free"
    _what = "migbar.Model"

    def __init__(self, path):
        self._ptr = None
        out = c_void_p()
        check(lib.mb_model_load(fspath(path), byref(out)))
        self._ptr = out
        self.path = path
        self._metadata = None
        p = c_int()
        check(lib.mb_model_noutputs(out, byref(p)))
        names = []
        for k in range(p.value):
            name = c_char_p()
            check(lib.mb_model_output_name(out, k, byref(name)))
            names.append(name.value.decode("utf-8", "replace"))
        self.outputs = tuple(names)
        band = c_int()
        check(lib.mb_model_is_band_model(out, byref(band)))
        self.is_band_model = bool(band.value)

    @classmethod
    def load(cls, path):
        """Load a model from a safetensors file."""
        return cls(path)

    # ---- lifetime ------------------------------------------------------

    def __enter__(self):
        self._h
        return self


    def __repr__(self):
        if self._ptr is None:
            return "<migbar.Model (closed)>"
        return "<migbar.Model %s, %s model, outputs %s>" % (
            self.path, "band" if self.is_band_model else "crystal", ", ".join(self.outputs))

    # ---- description -----------------------------------------------------

    @property
    def metadata(self):
        """The model's metadata (architecture, targets, provenance) as a dict,
        parsed from mb_model_metadata's JSON."""
        if self._metadata is None:
            buf = c_void_p()
            check(lib.mb_model_metadata(self._h, byref(buf)))
            try:
                text = ctypes.string_at(buf).decode("utf-8")
            finally:
                lib.mb_free(buf)
            self._metadata = json.loads(text)
        return self._metadata

    @property
    def config(self):
        """The architecture (the migbar.config object of docs/model.md, section 5)."""
        md = self.metadata
        if "targets" in md:
            return md
        cfg = md.get("migbar.config", md.get("config"))
        if isinstance(cfg, str):
            cfg = json.loads(cfg)
        return cfg if isinstance(cfg, dict) else {}

    @property
    def units(self):
        """Units of the outputs (target_units), '' where the metadata has none."""
        units = _find_key(self.metadata, "target_units")
        if not isinstance(units, list) or len(units) != len(self.outputs):
            return ("",) * len(self.outputs)
        return tuple(str(u) for u in units)

    @property
    def noutputs(self):
        return len(self.outputs)

    # ---- predictions -----------------------------------------------------

    def predict(self, structure, nband=0):
        """The outputs (target units) for a structure whose first nband atoms are
        band atoms (0 for a plain crystal; 5 for a band of the em data set)."""
        out = np.empty(len(self.outputs), dtype=np.float64)
        check(lib.mb_model_predict_structure(self._h, structure._h, int(nband),
                                             out.ctypes.data_as(_dp)))
        return out

    def predict_band(self, initial, final, ion=None):
        """The outputs (E_m first for a barrier model) for the hop of one ion between
        two structures; ion is its index, or None to find the one atom that moves."""
        out = np.empty(len(self.outputs), dtype=np.float64)
        check(lib.mb_model_predict_band(self._h, initial._h, final._h,
                                        -1 if ion is None else int(ion),
                                        out.ctypes.data_as(_dp)))
        return out

    def predict_batch(self, structures, nband=None, threads=0):
        """Outputs of many structures as an (n, P) array, with up to threads threads
        (0: one per core). nband is None (all 0), one int for all, or one per
        structure. The result does not depend on threads."""
        structures = list(structures)
        n = len(structures)
        out = np.empty((n, len(self.outputs)), dtype=np.float64)
        if n == 0:
            return out
        handles = (c_void_p * n)(*[s._h for s in structures])
        if nband is None:
            nb = None
        else:
            try:
                nb = np.ascontiguousarray(np.broadcast_to(np.asarray(nband), (n,)),
                                          dtype=np.intc)
            except ValueError:
                raise ValueError("predict_batch: nband must be one int or %d ints" % n) \
                    from None
        check(lib.mb_model_predict_batch(self._h, n, handles,
                                         None if nb is None else nb.ctypes.data_as(_ip),
                                         int(threads), out.ctypes.data_as(_dp)))
        return out


__all__ = ["Graph", "Model"]
