"""Fixtures of the descriptor and forest tests (tests/desc/test_descriptors.c,
tests/desc/test_forest.c): a 20-tree random forest on the "full" hop descriptors (forest
file format 1, the mean of the trees) and 21 extremely randomized trees on the same
descriptors (format 2, the median of the trees), written by train/migbar_train/forest.py,
and the descriptors (descriptors.py, float64) and both forests' predictions (sklearn's
trees themselves) on 32 bands, with their atoms.

From the repository root:

    /usr/bin/python3 tests/data/desc/make_reference.py --data ../shared/data

Writes forest20.safetensors, extra21.safetensors and reference.json beside this script (layout in README.md
here). Deterministic: fixed entries, fixed random_state, fixed migbar.created.
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "train"))

from migbar_train import descriptors as DS  # noqa: E402
from migbar_train import forest as FO  # noqa: E402
from migbar_train.baseline_rf import forest_predict, make_forest  # noqa: E402

TREES = 20
ET_TREES = 21  # odd: the median is one tree's prediction
SEED = 0
CREATED = "2025-01-01T00:00:00Z"
TRAIN_EVERY = 3        # the forest trains on entries 0, 3, 6, ...
SMALL, NSMALL = 60, 24  # held-out bands of up to SMALL atoms
LARGE, NLARGE = (100, 220), 3
PROBE_TREES, PROBE_NODES = 4, 5  # 4 x 5 thresholds x 4 values = 80 probe rows


def held_out(rows):
    """Indices of the reference bands taken from the data (none trained on)."""
    out = [i for i in range(len(rows)) if i % TRAIN_EVERY
           and len(rows[i]["atoms"]["elements"]) <= SMALL][:NSMALL]
    out += [i for i in range(len(rows)) if i % TRAIN_EVERY
            and LARGE[0] <= len(rows[i]["atoms"]["elements"]) <= LARGE[1]][:NLARGE]
    return out


def band(lattice, images, host, ion, host_el):
    return {"lattice_mat": np.asarray(lattice, float).tolist(),
            "coords": np.vstack([images, host]).tolist(),
            "elements": [ion] * len(images) + list(host_el), "cartesian": False}


def synthetic():
    """Bands that reach the corners of the definitions: a hop across the cell boundary in
    a skewed cell; an ion outside IONS (charge and radius fall back) in a host without
    anions and with an element outside the composition block; a host without cations;
    fractional differences of exactly +-0.5 and 1.5 (np.round rounds half to even) with
    images outside [0, 1); a strongly skewed triclinic cell."""
    out = []
    lat = [[6.0, 0.0, 0.0], [1.5, 5.5, 0.0], [0.8, -0.6, 5.2]]
    img = [[0.90, 0.4, 0.3], [0.95, 0.4, 0.3], [0.0, 0.4, 0.3], [0.05, 0.4, 0.3],
           [0.10, 0.4, 0.3]]
    host = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.05, 0.62, 0.31], [0.97, 0.4, 0.55],
            [0.3, 0.1, 0.8], [0.7, 0.9, 0.2], [0.2, 0.4, 0.3], [0.85, 0.15, 0.35]]
    out.append(("synthetic: skewed cell, hop across the boundary",
                band(lat, img, host, "Li", ["O", "O", "O", "Fe", "P", "O", "Li", "Fe"])))
    cub = np.diag([7.0, 7.0, 7.0])
    img = np.array([[0.25 + 0.125 * k, 0.25, 0.25] for k in range(5)])
    host = [[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5],
            [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5], [0.5, 0.5, 0.5]]
    out.append(("synthetic: Cs (not an IONS ion), host without anions, Xe outside the "
                "elements", band(cub, img, host, "Cs", ["Fe", "Ni", "Xe", "Fe", "Ni", "Fe",
                                                       "Ni", "Cs"])))
    out.append(("synthetic: host without cations",
                band(cub, img, host, "Mg", ["O", "F", "S", "O", "O", "Se", "Cl", "O"])))
    orth = np.diag([5.0, 6.0, 8.0])
    img = np.array([[1.25, -0.75, 0.5], [1.375, -0.75, 0.5], [1.5, -0.75, 0.5],
                    [1.625, -0.75, 0.5], [1.75, -0.75, 0.5]])
    host = [[0.0, 0.25, 0.0], [1.0, 1.25, 1.0], [-0.5, 0.75, 0.5], [0.0, -0.75, 2.0],
            [0.5, 0.25, 0.0], [0.25, 0.5, 0.5], [0.75, 0.0, 0.25], [2.5, -0.25, 1.5],
            [0.0, 0.25, 0.5]]
    out.append(("synthetic: half-integer fractional differences, images outside [0, 1)",
                band(orth, img, host, "Na", ["O", "O", "S", "O", "Co", "Mn", "O", "P",
                                             "O"])))
    rng = np.random.default_rng(7)
    tri = [[4.0, 0.0, 0.0], [3.1, 3.0, 0.0], [-2.6, 1.9, 4.4]]
    start = np.array([0.2, 0.3, 0.4])
    img = start + np.linspace(0, 1, 5)[:, None] * np.array([0.45, -0.2, 0.1])
    host = rng.uniform(-0.3, 1.3, (14, 3))
    out.append(("synthetic: strongly skewed triclinic cell",
                band(tri, img, host, "Zn", ["O", "S", "Ti", "O", "V", "O", "N", "O", "Cr",
                                            "F", "O", "Zn", "O", "Br"])))
    return out


def probes(rf, X):
    """Descriptor rows with one feature on a split threshold of the forest, on its float32
    rounding, or one float32 step either side: where the float32 cast of sklearn decides
    the branch."""
    out = []
    for t, est in enumerate(rf.estimators_[:PROBE_TREES]):
        tree = est.tree_
        for node in np.flatnonzero(tree.feature >= 0)[:PROBE_NODES]:
            thr, f = tree.threshold[node], tree.feature[node]
            t32 = np.float32(thr)
            for v in (thr, float(t32), float(np.nextafter(t32, np.float32(np.inf))),
                      float(np.nextafter(t32, np.float32(-np.inf)))):
                row = X[len(out) % len(X)].copy()
                row[f] = v
                out.append(row)
    return np.array(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "..", "shared",
                                                   "data"))
    args = ap.parse_args(argv)
    from sklearn.ensemble import RandomForestRegressor  # noqa: PLC0415

    with open(os.path.join(args.data, "em", "train.json")) as f:
        rows = json.load(f)
    elements = DS.data_elements(rows)
    train = list(range(0, len(rows), TRAIN_EVERY))
    X, names = DS.descriptor_matrix([rows[i] for i in train], elements, "full")
    y = np.array([float(rows[i]["target"]) for i in train])
    rf = RandomForestRegressor(n_estimators=TREES, max_features=1.0, min_samples_leaf=1,
                               random_state=SEED, n_jobs=1)
    rf.fit(X, np.log(y))
    training = {"purpose": "test fixture of tests/desc (tests/data/desc/make_reference.py)",
                "data": "em/train.json", "entries": "every %dth from 0 (%d of %d)"
                % (TRAIN_EVERY, len(train), len(rows)), "target": "log(em)", "trees": TREES,
                "random_state": SEED}
    path = os.path.join(HERE, "forest20.safetensors")
    FO.write_forest(path, rf, elements, "full", True,
                    {"migbar.training": training, "migbar.created": CREATED},
                    format_version=1)
    et = make_forest("extra-trees", ET_TREES, 1.0, 1, SEED, 1).fit(X, np.log(y))
    et_path = os.path.join(HERE, "extra21.safetensors")
    FO.write_forest(et_path, et, elements, "full", True,
                    {"migbar.training": dict(training, trees=ET_TREES,
                                             estimator="ExtraTreesRegressor"),
                     "migbar.created": CREATED}, aggregate="median")
    cases = [("em/train.json#%d %s" % (i, rows[i].get("sys_name", "")), rows[i]["atoms"])
             for i in held_out(rows)] + synthetic()
    Xr = np.stack([DS.hop_descriptors(a, elements, "full") for _, a in cases])
    mean, std = forest_predict(rf, Xr, True)
    # the file, read back and evaluated by numpy, is sklearn exactly
    ff = FO.read_forest(path)
    m2, s2 = FO.predict(ff, Xr)
    assert np.array_equal(m2, mean) and np.array_equal(s2, std)
    P = probes(rf, Xr)
    pmean, pstd = forest_predict(rf, P, True)
    m2, s2 = FO.predict(ff, P)
    assert np.array_equal(m2, pmean) and np.array_equal(s2, pstd)
    # the extra trees: median of the trees' exp(log E_m), by sklearn's trees and by the file
    fe = FO.read_forest(et_path)
    et_value, et_std = forest_predict(et, Xr, True, "median")
    v2, s2 = FO.predict(fe, Xr)
    assert np.array_equal(v2, et_value) and np.array_equal(s2, et_std)
    EP = probes(et, Xr)
    ep_value, ep_std = forest_predict(et, EP, True, "median")
    v2, s2 = FO.predict(fe, EP)
    assert np.array_equal(v2, ep_value) and np.array_equal(s2, ep_std)
    inputs = [{"source": src, "atoms": atoms, "nband": DS.BAND_IMAGES,
               "descriptors": Xr[k].tolist(), "mean": float(mean[k]), "std": float(std[k]),
               "et_value": float(et_value[k]), "et_std": float(et_std[k])}
              for k, (src, atoms) in enumerate(cases)]
    ref = {"description": "Hop descriptors (train/migbar_train/descriptors.py, feature set "
           "full, float64) and the predictions of forest20.safetensors (sklearn %s: per "
           "tree exp(log E_m), mean and sample std over the trees, eV), and of "
           "extra21.safetensors (et_value and et_std: median and sample std over its trees; "
           "et_probes: its own probe rows)" % __import__("sklearn").__version__,
           "forest": "forest20.safetensors", "elements": elements, "features": names,
           "inputs": inputs,
           "probes": [{"x": P[k].tolist(), "mean": float(pmean[k]), "std": float(pstd[k])}
                      for k in range(len(P))],
           "extra_trees": "extra21.safetensors",
           "et_probes": [{"x": EP[k].tolist(), "mean": float(ep_value[k]),
                          "std": float(ep_std[k])} for k in range(len(EP))]}
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d bytes) and reference.json (%d inputs)"
          % (path, os.path.getsize(path), len(inputs)))


if __name__ == "__main__":
    main()
