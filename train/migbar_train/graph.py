"""The crystal graph of docs/model.md section 1, built from libmigbar's own
k-nearest-neighbour list (bindings/python, the same mb_neighbors_knn the C runtime
uses), so that training and inference see exactly the same graph.

A graph is a dict of numpy arrays:
  z [N] int64 atomic numbers, nband (int),
  src, dst [M] int64 directed edges (source -> destination atom),
  shift [M, 3] int32 image of the source relative to the destination,
  r [M, 3] float64 edge vectors (from the source to the destination),
  ta, tb [T] int64 line-graph edges (triplets) a -> b with dst(a) == src(b),
  cos [T] float64 bond-angle cosines at the shared atom.
"""

import ctypes
import ctypes.util
import os

import numpy as np

_migbar = None
_direct = None


def _lib():
    """The migbar package (bindings/python), imported lazily; None when it cannot be
    imported (e.g. the package and the library are of different versions), in which
    case knn_pairs calls the few C functions it needs through ctypes directly."""
    global _migbar
    if _migbar is None:
        try:
            import migbar  # noqa: PLC0415
            _migbar = migbar
        except ImportError:
            _migbar = False
    return _migbar or None


def _direct_lib():
    """libmigbar through ctypes: MIGBAR_LIBRARY, else the system's libmigbar."""
    global _direct
    if _direct is None:
        path = os.environ.get("MIGBAR_LIBRARY") or ctypes.util.find_library("migbar")
        if not path:
            raise ImportError("libmigbar not found: set MIGBAR_LIBRARY")
        lib = ctypes.CDLL(path)
        vp, dp, ip = ctypes.c_void_p, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int)
        sig = {"mb_structure_create_symbols": [dp, ctypes.c_int, dp, ctypes.c_int,
                                               ctypes.POINTER(ctypes.c_char_p),
                                               ctypes.POINTER(vp)],
               "mb_structure_numbers": [vp, ip], "mb_structure_free": [vp],
               "mb_neighbors_knn": [vp, ctypes.c_int, ctypes.POINTER(vp)],
               "mb_neighbors_count": [vp, ctypes.POINTER(ctypes.c_size_t)],
               "mb_neighbors_pairs": [vp, ip, ip, ip, dp, dp], "mb_neighbors_free": [vp],
               "mb_last_error": []}
        for name, args in sig.items():
            fn = getattr(lib, name)
            fn.argtypes = args
            fn.restype = ctypes.c_char_p if name == "mb_last_error" else (
                None if name.endswith("_free") else ctypes.c_int)
        _direct = lib
    return _direct


def _knn_direct(lattice, positions, symbols, cartesian, k):
    lib = _direct_lib()
    dp, ip = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int)

    def check(rc):
        if rc != 0:
            raise RuntimeError("libmigbar: %s" % lib.mb_last_error().decode())

    lat = np.ascontiguousarray(lattice, dtype=np.float64).reshape(3, 3)
    pos = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 3)
    n = len(pos)
    syms = (ctypes.c_char_p * n)(*[str(x).encode() for x in symbols])
    s, nl = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib.mb_structure_create_symbols(lat.ctypes.data_as(dp), n, pos.ctypes.data_as(dp),
                                          1 if cartesian else 0, syms, ctypes.byref(s)))
    try:
        numbers = np.empty(n, dtype=np.intc)
        check(lib.mb_structure_numbers(s, numbers.ctypes.data_as(ip)))
        check(lib.mb_neighbors_knn(s, int(k), ctypes.byref(nl)))
        cnt = ctypes.c_size_t()
        check(lib.mb_neighbors_count(nl, ctypes.byref(cnt)))
        m = cnt.value
        i, j = np.empty(m, dtype=np.intc), np.empty(m, dtype=np.intc)
        sh = np.empty((m, 3), dtype=np.intc)
        dist, vec = np.empty(m), np.empty((m, 3))
        check(lib.mb_neighbors_pairs(nl, i.ctypes.data_as(ip), j.ctypes.data_as(ip),
                                     sh.ctypes.data_as(ip), dist.ctypes.data_as(dp),
                                     vec.ctypes.data_as(dp)))
    finally:
        if nl:
            lib.mb_neighbors_free(nl)
        lib.mb_structure_free(s)
    return (numbers.astype(np.int64), i.astype(np.int64), j.astype(np.int64),
            sh.astype(np.int64), vec)


def knn_pairs(lattice, positions, symbols, cartesian, k):
    """(numbers, i, j, shift, vector) from mb_neighbors_knn."""
    mb = _lib()
    if mb is None:
        return _knn_direct(lattice, positions, symbols, cartesian, k)
    with mb.Structure(np.asarray(lattice, float), np.asarray(positions, float),
                      list(symbols), cartesian=bool(cartesian)) as s:
        numbers = np.asarray(s.numbers, dtype=np.int64)
        nl = s.neighbors(k=int(k))
        try:
            out = (numbers, nl.i.astype(np.int64), nl.j.astype(np.int64),
                   nl.shift.astype(np.int64), nl.vector.astype(np.float64))
        finally:
            nl.close()
    return out


def edges_from_pairs(i, j, shift, vector):
    """Section 1.2: each pair (i, j, S, v) gives src=j (image S) -> dst=i with r=-v and
    src=i (image -S) -> dst=j with r=+v; identical (src, dst, shift) edges kept once."""
    src = np.concatenate([j, i])
    dst = np.concatenate([i, j])
    sh = np.concatenate([shift, -shift])
    r = np.concatenate([-vector, vector])
    key = np.concatenate([src[:, None], dst[:, None], sh], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)  # keep the order of first appearance (deterministic)
    return src[first], dst[first], sh[first].astype(np.int32), r[first]


def line_graph(src, dst, r, natoms, centres=None):
    """Section 1.3: triplets a -> b for every pair of edges with dst(a) == src(b)
    (backtracking allowed), with cos = (-r_a) . r_b / (|r_a| |r_b|). With centres
    (an int n), only the triplets whose shared atom is < n (section 1.4, "band")."""
    m = len(src)
    order = np.argsort(src, kind="stable")
    outdeg = np.bincount(src, minlength=natoms)
    start = np.concatenate([[0], np.cumsum(outdeg)])
    first = np.arange(m, dtype=np.int64)
    if centres is not None:
        first = first[dst < int(centres)]
    counts = outdeg[dst[first]]                # edges leaving the head of each edge
    ta = np.repeat(first, counts)
    base = np.concatenate([[0], np.cumsum(counts)])[:-1]
    within = np.arange(len(ta), dtype=np.int64) - np.repeat(base, counts)
    tb = order[start[dst[ta]] + within].astype(np.int64)
    ra, rb = r[ta], r[tb]
    norm = np.linalg.norm(r, axis=1)
    # Clamped to [-1, 1] against rounding, as the C runtime does.
    cos = np.clip(-np.einsum("ij,ij->i", ra, rb) / (norm[ta] * norm[tb]), -1.0, 1.0)
    return ta, tb, cos


def restrict_line_graph(g, mode):
    """docs/model.md section 1.4: with mode "band" only the triplets whose shared atom
    (dst(a) == src(b)) is a band atom (index < nband) are kept, in their order; "full"
    keeps them all. Returns a new dict (arrays shared where unchanged)."""
    if mode == "full":
        return g
    if mode != "band":
        raise ValueError("line graph %r: 'full' or 'band'" % mode)
    keep = g["dst"][g["ta"]] < int(g["nband"])
    return dict(g, ta=g["ta"][keep], tb=g["tb"][keep], cos=g["cos"][keep])


def build_graph(lattice, positions, symbols, cartesian=False, k=12, nband=0, line="full"):
    numbers, i, j, shift, vector = knn_pairs(lattice, positions, symbols, cartesian, k)
    src, dst, sh, r = edges_from_pairs(i, j, shift, vector)
    if line not in ("full", "band"):
        raise ValueError("line graph %r: 'full' or 'band'" % line)
    ta, tb, cos = line_graph(src, dst, r, len(numbers),
                             centres=int(nband) if line == "band" else None)
    return {"z": numbers, "nband": int(nband), "src": src, "dst": dst, "shift": sh, "r": r,
            "ta": ta, "tb": tb, "cos": cos}


def graph_from_atoms(atoms, k=12, nband=0, line="full"):
    """A graph from the JSON atoms layout (lattice_mat, coords, elements, cartesian)."""
    return build_graph(atoms["lattice_mat"], atoms["coords"], atoms["elements"],
                       atoms.get("cartesian", False), k=k, nband=nband, line=line)


def default_library():
    """Where MIGBAR_LIBRARY points (for messages)."""
    return os.environ.get("MIGBAR_LIBRARY", "(default search)")
