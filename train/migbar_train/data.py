"""Datasets (the JSON atoms layout of ../shared/data, see its README), graphs built
once and cached as one npz per dataset, and batches.

A dataset is a list of entries {"atoms", "nband", "y" (float array, NaN = missing),
"class" (em only), "source"}; `graphs(entries, k, cache_dir)` returns the graph of each
entry (dicts of numpy arrays, see graph.py), from the cache when its key (sha256 of the
entries' structures + k + nband) matches.
"""

import hashlib
import json
import os
import time

import numpy as np

from .graph import graph_from_atoms

PRETRAIN_PROPERTIES = ["bg", "fe", "gv", "ebg", "ph", "dc", "pz"]
BAND_IMAGES = 5


def _read(path):
    with open(path) as f:
        return json.load(f)


def load_em(data_dir, path="em/train.json"):
    """Migration bands: the first 5 atoms are the band images (nband = 5)."""
    out = []
    for i, e in enumerate(_read(os.path.join(data_dir, path))):
        out.append({"atoms": e["atoms"], "nband": BAND_IMAGES,
                    "y": np.array([float(e["target"])]), "class": e.get("class", ""),
                    "source": "%s#%d" % (path, i)})
    return out


def load_single(data_dir, path, nband=0):
    """A plain crystal property set (one target per entry), e.g. jarvis2d/train.json."""
    return [{"atoms": e["atoms"], "nband": nband, "y": np.array([float(e["target"])]),
             "class": "", "source": "%s#%d" % (path, i)}
            for i, e in enumerate(_read(os.path.join(data_dir, path)))]


def _structure_key(e):
    a = e["atoms"]
    lat = np.round(np.asarray(a["lattice_mat"], dtype=float), 5).tolist()
    xyz = np.round(np.asarray(a["coords"], dtype=float), 5).tolist()
    return json.dumps([str(e.get("jid")), lat, xyz, a["elements"]])


def load_pretrain(data_dir, properties=None, max_per_property=None, seed=0):
    """The multi-property pre-training set: one entry per crystal, y[p] = NaN where the
    crystal has no value for property p. A crystal that appears in several property
    files (same jid and same structure to 1e-5) is merged into one entry.
    max_per_property takes a random subset of each file (smoke runs)."""
    props = list(properties or PRETRAIN_PROPERTIES)
    rng = np.random.default_rng(seed)
    merged = {}
    order = []
    for p_idx, prop in enumerate(props):
        rows = _read(os.path.join(data_dir, "pretrain", prop + ".json"))
        idx = np.arange(len(rows))
        if max_per_property is not None and max_per_property < len(rows):
            idx = np.sort(rng.choice(len(rows), size=max_per_property, replace=False))
        for i in idx:
            e = rows[int(i)]
            key = _structure_key(e)
            if key not in merged:
                merged[key] = {"atoms": e["atoms"], "nband": 0,
                               "y": np.full(len(props), np.nan), "class": "",
                               "source": "pretrain/%s.json#%d" % (prop, i)}
                order.append(key)
            merged[key]["y"][p_idx] = float(e["target"])
    return [merged[k] for k in order], props


# --- graph cache ---------------------------------------------------------------------

_ARRAYS = ("z", "src", "dst", "dist", "ta", "tb", "cos")


def cache_key(entries, k, line="full"):
    h = hashlib.sha256()
    h.update(b"migbar-graph-v1 k=%d\n" % int(k))
    if line != "full":  # (full-line-graph caches keep their earlier names)
        h.update(b"line=%s\n" % line.encode())
    for e in entries:
        a = e["atoms"]
        h.update(json.dumps([a["lattice_mat"], a["coords"], a["elements"],
                             bool(a.get("cartesian", False)), int(e["nband"])]).encode())
    return h.hexdigest()[:20]


def _pack(gs):
    out = {"nband": np.array([g["nband"] for g in gs], dtype=np.int64)}
    for name in ("natoms", "nedges", "ntriplets"):
        out[name] = np.array([len(g[{"natoms": "z", "nedges": "src", "ntriplets": "ta"}[name]])
                              for g in gs], dtype=np.int64)
    for name in _ARRAYS:
        parts = [g[name] if name != "dist" else np.linalg.norm(g["r"], axis=1) for g in gs]
        arr = np.concatenate(parts) if parts else np.zeros(0)
        if name in ("dist", "cos"):
            arr = arr.astype(np.float64)
        else:
            arr = arr.astype(np.int32)
        out[name] = arr
    return out


def _unpack(p):
    gs = []
    oa = oe = ot = 0
    for b in range(len(p["nband"])):
        na, ne, nt = (int(p[n][b]) for n in ("natoms", "nedges", "ntriplets"))
        gs.append({"z": p["z"][oa:oa + na], "nband": int(p["nband"][b]),
                   "src": p["src"][oe:oe + ne], "dst": p["dst"][oe:oe + ne],
                   "dist": p["dist"][oe:oe + ne], "ta": p["ta"][ot:ot + nt],
                   "tb": p["tb"][ot:ot + nt], "cos": p["cos"][ot:ot + nt]})
        oa, oe, ot = oa + na, oe + ne, ot + nt
    return gs


def cache_path(cache_dir, name, entries, k, line="full"):
    return os.path.join(cache_dir, "%s-k%d%s-%s.npz" % (name, k, "" if line == "full" else "-" + line,
                                                     cache_key(entries, k, line)))


def graphs(entries, k=12, cache_dir=None, name="data", log=None, line="full"):
    """The graphs of entries (line graph "full" or "band", docs/model.md section 1),
    built once and cached in cache_dir/<name>-k<k>[-band]-<key>.npz."""
    path = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        path = cache_path(cache_dir, name, entries, k, line)
        if os.path.exists(path):
            with np.load(path) as f:
                return _unpack({n: f[n] for n in f.files})
    t0 = time.time()
    gs = [graph_from_atoms(e["atoms"], k=k, nband=e["nband"], line=line) for e in entries]
    packed = _pack(gs)
    if log:
        log("built %d graphs (%s) in %.1f s: %d atoms, %d edges, %d triplets"
            % (len(gs), name, time.time() - t0, packed["z"].size, packed["src"].size,
               packed["ta"].size))
    if path:
        tmp = path + ".tmp.npz"
        np.savez(tmp, **packed)
        os.replace(tmp, path)
    return _unpack(packed)


def batches(n, batch_size, rng=None):
    """Index batches over n items, shuffled when rng is given."""
    idx = np.arange(n) if rng is None else rng.permutation(n)
    return [idx[i:i + batch_size] for i in range(0, n, batch_size)]


def stratified_folds(labels, nfolds, seed=0):
    """k folds stratified by label: each label's items, shuffled, are dealt in turn to
    the folds (starting where the previous label stopped, so fold sizes stay even)."""
    rng = np.random.default_rng(seed)
    folds = [[] for _ in range(nfolds)]
    pos = 0
    for lab in sorted(set(labels)):
        items = [i for i, x in enumerate(labels) if x == lab]
        for i in rng.permutation(items):
            folds[pos % nfolds].append(int(i))
            pos += 1
    return [sorted(f) for f in folds]
