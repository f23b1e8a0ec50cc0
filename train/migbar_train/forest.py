"""A forest of regression trees on hop descriptors as one file, the "descriptor member"
of an E_m ensemble (docs/descriptors.md): export a fitted sklearn RandomForestRegressor
or ExtraTreesRegressor together with everything needed to recompute its descriptors
(descriptors.py), read it back, and evaluate it with numpy exactly as sklearn evaluates
its trees. lib/desc/forest.c evaluates the same file.

    write_forest(path, forest, elements, feature_set="full", log_target=True,
                 aggregate="median", metadata={"migbar.training": json.dumps({...})})
    ff = read_forest(path)
    value, std = predict(ff, X)                  # X [n, d] of descriptors.hop_descriptors
    value, std = predict(ff, descriptors(ff, [entry["atoms"], ...]))

The forest's value is the mean (sklearn's own predict) or the median of its trees'
predictions (eV, after exp with a log target): the median is the better estimate under
an absolute-error loss (docs/descriptors.md).

The file is a safetensors container (docs/model.md section 5): tensors tree_offset
(I32 [ntrees + 1]: tree t owns nodes tree_offset[t] .. tree_offset[t+1]-1), and per node
left, right (I32: child index within the tree, -1 at a leaf), feature (I32, negative at a
leaf), threshold (F64) and value (F64: the mean target of the node's training samples);
__metadata__["migbar.forest"] is the JSON description (meta_of). Format 2 adds
"aggregate" and the kind "extra-trees"; format 1 files (random forests, mean) still read.
"""

import json
import struct

import numpy as np

from . import descriptors as DS
from . import safetensors as ST

FORMAT_VERSION = 2
READS = (1, 2)
# the sklearn estimator classes a file can hold, by the file's "kind" (the trees are
# evaluated the same way; the kind says how they were grown)
KINDS = {"RandomForestRegressor": "random-forest", "ExtraTreesRegressor": "extra-trees"}
AGGREGATES = ("mean", "median")
META_KEY = "migbar.forest"
TENSORS = {"tree_offset": "<i4", "left": "<i4", "right": "<i4", "feature": "<i4",
           "threshold": "<f8", "value": "<f8"}
_DTYPE_NAME = {"<i4": "I32", "<f8": "F64"}
# The fallbacks written as literals in descriptors.hop_descriptors: the distance given
# when the host has no anion (or no cation), and the charge and radius of an ion that is
# not in IONS.
MISSING_DISTANCE = 10.0
DEFAULT_CHARGE = 0.0
DEFAULT_RADIUS = 1.0


def constants():
    """The constants of descriptors.py that define the features, as stored in a file."""
    return {"band_images": DS.BAND_IMAGES, "ions": list(DS.IONS),
            "ion_charge": [float(DS.ION_CHARGE[i]) for i in DS.IONS],
            "ion_radius": [float(DS.ION_RADIUS[i]) for i in DS.IONS],
            "anions": sorted(DS.ANIONS), "anion_cutoff": float(DS.ANION_CUTOFF),
            "cation_cutoff": float(DS.CATION_CUTOFF), "n_nearest": DS.N_NEAREST,
            "path_samples": DS.PATH_SAMPLES, "missing_distance": MISSING_DISTANCE,
            "default_charge": DEFAULT_CHARGE, "default_radius": DEFAULT_RADIUS}


def kind_of(forest):
    """The file kind of a fitted sklearn forest (ValueError for other estimators)."""
    name = type(forest).__name__
    if name not in KINDS:
        raise ValueError("%s: only %s can be written" % (name, " and ".join(KINDS)))
    return KINDS[name]


def meta_of(forest, elements, feature_set, log_target, aggregate="mean",
            format_version=FORMAT_VERSION):
    """The migbar.forest description of a fitted forest. format_version 1 (for readers
    of libmigbar 0.3) holds only random forests averaged over their trees."""
    import sklearn  # noqa: PLC0415

    if aggregate not in AGGREGATES:
        raise ValueError("aggregate %r: one of %s" % (aggregate, AGGREGATES))
    if format_version not in READS:
        raise ValueError("format_version %r: one of %s" % (format_version, READS))
    if format_version == 1 and (kind_of(forest) != "random-forest" or aggregate != "mean"):
        raise ValueError("format 1 holds only random forests averaged over their trees")
    p = forest.get_params()
    seed = p["random_state"]
    estimator = {"sklearn": sklearn.__version__, "max_features": p["max_features"],
                 "min_samples_leaf": p["min_samples_leaf"],
                 "random_state": seed if seed is None or isinstance(seed, int) else repr(seed)}
    meta = {"format_version": format_version, "kind": kind_of(forest), "target": "em",
            "units": "eV", "log_target": bool(log_target)}
    if format_version >= 2:
        meta["aggregate"] = aggregate
        estimator = dict(estimator, **{"class": type(forest).__name__})
    meta.update(ntrees=len(forest.estimators_), feature_set=feature_set,
                features=DS.feature_names(elements, feature_set), elements=list(elements),
                constants=constants(), estimator=estimator)
    return meta


def _save(path, tensors, metadata):
    """Write tensors (numpy arrays, dtype kept) in name order, the header padded to 8."""
    header, blobs, at = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        raw = arr.tobytes(order="C")
        header[name] = {"dtype": _DTYPE_NAME[arr.dtype.str], "shape": list(arr.shape),
                        "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_forest(path, forest, elements, feature_set="full", log_target=True, metadata=None,
                 aggregate="mean", format_version=FORMAT_VERSION):
    """Write a fitted sklearn RandomForestRegressor or ExtraTreesRegressor (one output)
    trained on descriptors.hop_descriptors(atoms, elements, feature_set); with log_target
    its trees predict log(E_m); aggregate: how the file's readers combine the trees
    ("mean" as sklearn's predict, or "median"). metadata: more {key: str or JSON-able}
    provenance (e.g. migbar.training). format_version: see meta_of."""
    names = DS.feature_names(elements, feature_set)
    description = meta_of(forest, elements, feature_set, log_target, aggregate, format_version)
    if forest.n_features_in_ != len(names):
        raise ValueError("the forest reads %d features, %s of %d elements has %d"
                         % (forest.n_features_in_, feature_set, len(elements), len(names)))
    if getattr(forest, "n_outputs_", 1) != 1:
        raise ValueError("only single-output forests can be written")
    trees = [est.tree_ for est in forest.estimators_]
    counts = [t.node_count for t in trees]
    offset = np.concatenate([[0], np.cumsum(counts)])
    if offset[-1] >= 2 ** 31:
        raise ValueError("%d nodes: too many for I32 indices" % offset[-1])

    def cat(attr, dtype):
        return np.concatenate([np.asarray(getattr(t, attr)) for t in trees]).astype(dtype)

    tensors = {"tree_offset": offset.astype("<i4"), "left": cat("children_left", "<i4"),
               "right": cat("children_right", "<i4"), "feature": cat("feature", "<i4"),
               "threshold": cat("threshold", "<f8"),
               "value": np.concatenate([t.value[:, 0, 0] for t in trees]).astype("<f8")}
    meta = {META_KEY: json.dumps(description)}
    for k, v in (metadata or {}).items():
        if k == META_KEY:
            raise ValueError("metadata may not replace %s" % META_KEY)
        meta[k] = v if isinstance(v, str) else json.dumps(v)
    _save(path, tensors, meta)


def read_forest(path):
    """A dict: the tensors of TENSORS (numpy), "meta" (the parsed migbar.forest) and
    "metadata" (every __metadata__ string)."""
    tensors, metadata = ST.load(path)
    if META_KEY not in metadata:
        raise ValueError("%s: no %s metadata: not a forest file" % (path, META_KEY))
    meta = json.loads(metadata[META_KEY])
    version = meta.get("format_version")
    if version not in READS:
        raise ValueError("%s: forest format %r (this code reads %s)" % (path, version, READS))
    if meta.get("kind") not in (("random-forest",) if version == 1 else tuple(KINDS.values())):
        raise ValueError("%s: kind %r is not a forest of format %d" % (path, meta.get("kind"),
                                                                       version))
    meta.setdefault("aggregate", "mean")  # format 1
    if meta["aggregate"] not in AGGREGATES:
        raise ValueError("%s: aggregate %r: one of %s" % (path, meta["aggregate"], AGGREGATES))
    out = {"meta": meta, "metadata": metadata}
    for name, dtype in TENSORS.items():
        t = tensors.get(name)
        if t is None or t.dtype.str != dtype or t.ndim != 1:
            raise ValueError("%s: tensor %s missing or not %s [n]" % (path, name,
                                                                      _DTYPE_NAME[dtype]))
        out[name] = t
    if len(out["tree_offset"]) != meta["ntrees"] + 1:
        raise ValueError("%s: tree_offset has %d entries for %d trees"
                         % (path, len(out["tree_offset"]), meta["ntrees"]))
    return out


def descriptors(ff, atoms_list):
    """X [n, d] of the bands (em entry "atoms" dicts) as the file defines the features;
    the file's constants must be those of descriptors.py."""
    meta = ff["meta"]
    if meta["constants"] != constants():
        raise ValueError("the file's descriptor constants differ from descriptors.py")
    return np.stack([DS.hop_descriptors(a, meta["elements"], meta["feature_set"])
                     for a in atoms_list])


def tree_predictions(ff, X):
    """[ntrees, n] leaf values, as sklearn's DecisionTreeRegressor.predict: X is cast to
    float32 and a sample goes left where X[feature] <= threshold (float64)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(ff["meta"]["features"]):
        raise ValueError("X must be [n, %d]" % len(ff["meta"]["features"]))
    Xf = X.astype(np.float32).astype(np.float64)
    off, left, right = ff["tree_offset"], ff["left"], ff["right"]
    feat, thr, val = ff["feature"], ff["threshold"], ff["value"]
    rows = np.arange(len(X))
    out = np.empty((len(off) - 1, len(X)))
    for t in range(len(off) - 1):
        node = np.full(len(X), off[t], dtype=np.int64)
        while True:
            inner = left[node] >= 0
            if not inner.any():
                break
            n, r = node[inner], rows[inner]
            go_left = Xf[r, feat[n]] <= thr[n]
            node[inner] = off[t] + np.where(go_left, left[n], right[n])
        out[t] = val[node]
    return out


def aggregate(per_tree, how):
    """[n] value of [ntrees, n] tree predictions: their mean, or their median (the middle
    one for an odd count, the mean of the two middle ones for an even count, as
    numpy)."""
    if how == "median":
        return np.median(per_tree, axis=0)
    return per_tree.mean(0)


def predict(ff, X):
    """(value, std) over the trees (eV): with log_target each tree's log(E_m) is mapped
    back by exp first (as baseline_rf.forest_predict); value is the mean or the median
    (the file's aggregate), std the sample standard deviation (0 for one tree)."""
    per_tree = tree_predictions(ff, X)
    if ff["meta"]["log_target"]:
        per_tree = np.exp(per_tree)
    std = per_tree.std(0, ddof=1) if len(per_tree) > 1 else np.zeros(per_tree.shape[1])
    return aggregate(per_tree, ff["meta"]["aggregate"]), std
