"""Graph, Model and Ensemble: the ALIGNN-style crystal graph (mb_graph), a loaded graph
network (mb_model) and an ensemble of them (mb_ensemble) of docs/model.md.

    >>> with migbar.Model.load("tiny_band.safetensors") as m:
    ...     m.outputs, m.units, m.is_band_model
    ...     m.predict_band(initial, final)          # E_m (eV) first
    ...     m.predict(entry_structure, nband=5)     # a band already built (em data set)
    >>> em, std = migbar.predict_barrier("POSCAR_initial", "POSCAR_final")  # shipped model
    >>> with migbar.Ensemble.load("models/em/ensemble.json") as e:
    ...     mean, std = e.predict_band(initial, final)
"""

import ctypes
import json
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from ctypes import POINTER, byref, c_char_p, c_double, c_int, c_size_t, c_void_p

import numpy as np

from ._lib import Handle, c_int_array, c_integer, check, fspath, lib, library_path

_dp = POINTER(c_double)
_ip = POINTER(c_int)


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False


def _describe(ptr):
    """(output names, is a band model) of a loaded mb_model."""
    p = c_int()
    check(lib.mb_model_noutputs(ptr, byref(p)))
    names = []
    for k in range(p.value):
        name = c_char_p()
        check(lib.mb_model_output_name(ptr, k, byref(name)))
        names.append(name.value.decode("utf-8", "replace"))
    band = c_int()
    check(lib.mb_model_is_band_model(ptr, byref(band)))
    return tuple(names), bool(band.value)


def _model_metadata(ptr):
    """The metadata JSON of a loaded mb_model as a dict."""
    buf = c_void_p()
    check(lib.mb_model_metadata(ptr, byref(buf)))
    try:
        return json.loads(ctypes.string_at(buf).decode("utf-8"))
    finally:
        lib.mb_free(buf)


def _units(ptr, noutputs):
    """Units of the outputs of the model at ptr (mb_model_output_units), '' where the
    model file gives none."""
    out = []
    for p in range(noutputs):
        u = c_char_p()
        check(lib.mb_model_output_units(ptr, p, byref(u)))
        out.append(u.value.decode("utf-8"))
    return tuple(out)


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
        k, nband = c_integer(k, "k"), c_integer(nband, "nband")
        out = c_void_p()
        check(lib.mb_graph_create(structure._h, k, nband, byref(out)))
        self._adopt(out)
        self.k = k
        self.nband = nband
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


class Model(Handle):
    """A loaded graph-network model (safetensors weights, docs/model.md).

    Model.load(path) (or Model(path)) reads and checks the file. A model is
    read-only once loaded: predictions from several threads may share it.
    close() (or a with block, or garbage collection) frees it; close() while a
    prediction runs on it (in another thread) raises RuntimeError. The structures of
    a prediction are kept alive until it returns.
    """

    _free = "mb_model_free"
    _what = "migbar.Model"

    def __init__(self, path):
        out = c_void_p()
        check(lib.mb_model_load(fspath(path), byref(out)))
        self._adopt(out)
        self.path = path
        self._metadata = None
        self.outputs, self.is_band_model = _describe(out)

    @classmethod
    def load(cls, path):
        """Load a model from a safetensors file."""
        return cls(path)

    # ---- lifetime ------------------------------------------------------

    def __enter__(self):
        self._h
        return self


    def __repr__(self):
        if self.closed:
            return "<migbar.Model (closed)>"
        return "<migbar.Model %s, %s model, outputs %s>" % (
            self.path, "band" if self.is_band_model else "crystal", ", ".join(self.outputs))

    # ---- description -----------------------------------------------------

    @property
    def metadata(self):
        """The model's metadata (architecture, targets, provenance) as a dict,
        parsed from mb_model_metadata's JSON."""
        if self._metadata is None:
            self._metadata = _model_metadata(self._h)
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
        """Units of the outputs ('' where the model file gives none)."""
        return _units(self._h, len(self.outputs))

    @property
    def noutputs(self):
        return len(self.outputs)

    # ---- predictions -----------------------------------------------------

    def predict(self, structure, nband=0):
        """The outputs (target units) for a structure whose first nband atoms are
        band atoms (0 for a plain crystal; 5 for a band of the em data set)."""
        out = np.empty(len(self.outputs), dtype=np.float64)
        nband = c_integer(nband, "nband")
        with self._running("predict()", structure, exclusive=False) as ptr:
            check(lib.mb_model_predict_structure(ptr, structure._h, nband,
                                                 out.ctypes.data_as(_dp)))
        return out

    def predict_band(self, initial, final, ion=None):
        """The outputs (E_m first for a barrier model) for the hop of one ion between
        two structures; ion is its index, or None to find the one atom that moves."""
        out = np.empty(len(self.outputs), dtype=np.float64)
        ion = -1 if ion is None else c_integer(ion, "ion")
        with self._running("predict_band()", initial, final, exclusive=False) as ptr:
            check(lib.mb_model_predict_band(ptr, initial._h, final._h, ion,
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
        nb = _nband_array(nband, n)
        threads = c_integer(threads, "threads", lo=0)
        with self._running("predict_batch()", *structures, exclusive=False) as ptr:
            check(lib.mb_model_predict_batch(ptr, c_integer(n, "number of structures"),
                                             handles,
                                             None if nb is None else nb.ctypes.data_as(_ip),
                                             threads, out.ctypes.data_as(_dp)))
        return out


# ---- ensembles -------------------------------------------------------------------------

def _nband_array(nband, n):
    """nband of predict_batch (None, one int, or n ints) as None or n C ints."""
    if nband is None:
        return None
    try:
        nb = np.broadcast_to(np.asarray(nband), (n,))
    except ValueError:
        raise ValueError("predict_batch: nband must be one int or %d ints" % n) from None
    return c_int_array(nb, (n,), "nband")


class ExtrapolationWarning(UserWarning):
    """A hop outside what the training data covers (mb_ensemble_check_hop): an element
    the data never saw, or a hop longer than any in it. The prediction is still made."""




class Ensemble(Handle):
    """Several models of the same outputs, loaded from a manifest (docs/model.md,
    section 7) or from one safetensors file (an ensemble of one). A prediction is the
    members' mean; its uncertainty their sample standard deviation times the
    manifest's std_scale. Read-only once loaded: threads may share it. close() frees
    it (RuntimeError while a prediction runs on it in another thread)."""

    _free = "mb_ensemble_free"
    _what = "migbar.Ensemble"

    def __init__(self, path):
        out = c_void_p()
        check(lib.mb_ensemble_load(fspath(path), byref(out)))
        self._adopt(out)
        self.path = path
        self._manifest = None
        n = c_int()
        check(lib.mb_ensemble_size(out, byref(n)))
        self.nmembers = n.value
        m0 = c_void_p()
        check(lib.mb_ensemble_member(out, 0, byref(m0)))
        self.outputs, self.is_band_model = _describe(m0)
        self.units = _units(m0, len(self.outputs))

    @classmethod
    def load(cls, path):
        """Load an ensemble manifest (.json) or a single model (.safetensors)."""
        return cls(path)

    def __enter__(self):
        self._h
        return self

    def __len__(self):
        return self.nmembers

    def __repr__(self):
        if self.closed:
            return "<migbar.Ensemble (closed)>"
        return "<migbar.Ensemble %s, %d members, outputs %s>" % (
            self.path, self.nmembers, ", ".join(self.outputs))

    @property
    def manifest(self):
        """The manifest as a dict (for a single safetensors file, its metadata)."""
        if self._manifest is None:
            buf = c_void_p()
            check(lib.mb_ensemble_manifest(self._h, byref(buf)))
            try:
                self._manifest = json.loads(ctypes.string_at(buf).decode("utf-8"))
            finally:
                lib.mb_free(buf)
        return self._manifest

    def predict_band(self, initial, final, ion=None):
        """(mean, std), arrays of the P outputs (E_m in eV first for a barrier model), for
        the hop of one ion from initial to final; ion is its index, or None to find the
        one atom that moves."""
        mean = np.empty(len(self.outputs), dtype=np.float64)
        std = np.empty_like(mean)
        ion = -1 if ion is None else c_integer(ion, "ion")
        with self._running("predict_band()", initial, final, exclusive=False) as ptr:
            check(lib.mb_ensemble_predict_band(ptr, initial._h, final._h, ion,
                                               mean.ctypes.data_as(_dp),
                                               std.ctypes.data_as(_dp)))
        return mean, std

    def predict_batch(self, structures, nband=None, threads=0):
        """(mean, std), two (n, P) arrays, for structures whose first nband atoms are
        band atoms (None: 0; one int for all, or one per structure; 5 for the entries of
        the em data set), with up to threads threads (0: one per core). The result does
        not depend on threads."""
        structures = list(structures)
        n = len(structures)
        mean = np.empty((n, len(self.outputs)), dtype=np.float64)
        std = np.empty_like(mean)
        if n == 0:
            return mean, std
        handles = (c_void_p * n)(*[s._h for s in structures])
        nb = _nband_array(nband, n)
        threads = c_integer(threads, "threads", lo=0)
        with self._running("predict_batch()", *structures, exclusive=False) as ptr:
            check(lib.mb_ensemble_predict_batch(ptr, c_integer(n, "number of structures"),
                                                handles,
                                                None if nb is None else nb.ctypes.data_as(_ip),
                                                threads, mean.ctypes.data_as(_dp),
                                                std.ctypes.data_as(_dp)))
        return mean, std

    def check_hop(self, initial, final, ion=None):
        """What the training data does not cover in this hop, as a list of messages
        (empty when nothing): elements it never saw, a hop longer than any in it.
        Raises MigbarError for a hop that is not valid."""
        buf = c_void_p()
        ion = -1 if ion is None else c_integer(ion, "ion")
        with self._running("check_hop()", initial, final, exclusive=False) as ptr:
            check(lib.mb_ensemble_check_hop(ptr, initial._h, final._h, ion, byref(buf)))
        if not buf.value:
            return []
        try:
            text = ctypes.string_at(buf).decode("utf-8", "replace")
        finally:
            lib.mb_free(buf)
        return [line for line in text.splitlines() if line]


def default_model_path():
    """The shipped E_m model: $MIGBAR_MODEL, else models/em/ensemble.json installed
    beside the library (PREFIX/share/migbar/...) or in the source tree of this package.
    Raises FileNotFoundError, saying where it looked, when there is none."""
    env = os.environ.get("MIGBAR_MODEL")
    if env:
        return env
    rel = os.path.join("models", "em", "ensemble.json")
    libdir = os.path.dirname(library_path())
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(libdir, "..", "share", "migbar", rel),
                  os.path.join(libdir, "..", "..", "share", "migbar", rel),
                  os.path.join(here, "..", "..", "..", rel),
                  os.path.join(libdir, "..", "..", rel)]
    for c in candidates:
        if os.path.exists(c):
            return os.path.normpath(c)
    raise FileNotFoundError(
        "migbar: the shipped E_m model is not available (looked at $MIGBAR_MODEL and %s); "
        "pass model=PATH (an ensemble manifest or a .safetensors file) or set MIGBAR_MODEL"
        % ", ".join(os.path.normpath(c) for c in candidates))


_ensembles = {}
_ensembles_lock = threading.Lock()


def _ensemble(model):
    """An Ensemble (or a Model) from model: None (the shipped model), a path (loaded once
    and kept), an Ensemble or a Model."""
    if isinstance(model, (Ensemble, Model)):
        return model
    path = os.path.abspath(os.fspath(default_model_path() if model is None else model))
    with _ensembles_lock:
        e = _ensembles.get(path)
        if e is None or e.closed:
            e = _ensembles[path] = Ensemble(path)
        return e


def _structure(x):
    """A migbar.Structure from a Structure, an ase.Atoms or a file path, and whether it
    was made here (then the caller closes it)."""
    from .structure import Structure
    if isinstance(x, Structure):
        return x, False
    if isinstance(x, (str, bytes, os.PathLike)):
        return Structure.read(x), True
    if hasattr(x, "get_cell") and hasattr(x, "get_positions"):
        return Structure.from_ase(x), True
    raise TypeError("expected a migbar.Structure, an ase.Atoms or a file path, not %s"
                    % type(x).__name__)


def _hop(model, initial, final, ion):
    a, own_a = _structure(initial)
    try:
        b, own_b = _structure(final)
        try:
            if ion is not None:
                ion = c_integer(ion, "ion")
                ion = None if ion < 0 else ion
            if isinstance(model, Model):
                return model.predict_band(a, b, ion), np.zeros(model.noutputs), []
            notes = model.check_hop(a, b, ion)
            mean, std = model.predict_band(a, b, ion)
            return mean, std, notes
        finally:
            if own_b:
                b.close()
    finally:
        if own_a:
            a.close()


def predict_barrier(initial, final, model=None, ion=-1):
    """(E_m, std) in eV for the hop of one ion between two structures (migbar.Structure,
    ase.Atoms or file paths) of the same atoms and cell. model: None for the shipped
    model, a path (ensemble manifest or .safetensors), an Ensemble or a Model; ion: the
    index of the moving ion, or -1 to find the one atom that moves. A hop outside what
    the training data covers gives an ExtrapolationWarning."""
    m = _ensemble(model)
    mean, std, notes = _hop(m, initial, final, ion)
    for note in notes:
        warnings.warn(note, ExtrapolationWarning, stacklevel=2)
    return float(mean[0]), float(std[0])


def predict_barriers(items, model=None, nthreads=0, nband=5):
    """(E_m, std): two arrays (eV), one value per item. items are either (initial, final)
    pairs (each as in predict_barrier), or bands already built as in the em data set
    (structures whose first nband atoms are the images of the ion). nthreads threads
    (0: one per core); the result does not depend on it. Hops outside what the training
    data covers give an ExtrapolationWarning naming the pair."""
    m = _ensemble(model)
    items = list(items)
    if not items:
        return np.empty(0), np.empty(0)
    pairs = all(isinstance(x, (tuple, list)) and len(x) == 2 for x in items)
    workers = c_integer(nthreads, "nthreads", lo=0) or os.cpu_count() or 1
    if pairs:
        # ctypes releases the GIL during each call, so hops run in parallel threads.
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            results = list(pool.map(lambda p: _hop(m, p[0], p[1], -1), items))
        for k, (_, _, notes) in enumerate(results):
            for note in notes:
                warnings.warn("pair %d: %s" % (k, note), ExtrapolationWarning, stacklevel=2)
        return (np.array([r[0][0] for r in results]), np.array([r[1][0] for r in results]))
    made = [_structure(x) for x in items]
    try:
        structures = [s for s, _ in made]
        if isinstance(m, Model):
            y = m.predict_batch(structures, nband=nband, threads=workers)
            return y[:, 0].copy(), np.zeros(len(items))
        mean, std = m.predict_batch(structures, nband=nband, threads=workers)
        return mean[:, 0].copy(), std[:, 0].copy()
    finally:
        for s, own in made:
            if own:
                s.close()


__all__ = ["Graph", "Model", "Ensemble", "ExtrapolationWarning", "predict_barrier",
           "predict_barriers", "default_model_path"]
