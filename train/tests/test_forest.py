"""The forest file (migbar_train.forest): write_forest, read_forest and predict must give
sklearn's predictions exactly (float32 casts of the features, float64 thresholds, exp per
tree with a log target), with the metadata the C runtime (lib/desc/forest.c) reads."""

import json
import os

import numpy as np
import pytest

from conftest import DATA_DIR, HAVE_DATA, REPO
from migbar_train import descriptors as DS
from migbar_train import forest as FO
from migbar_train import safetensors as ST
from migbar_train.baseline_rf import forest_predict

sklearn = pytest.importorskip("sklearn")
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor  # noqa: E402

EM = os.path.join(DATA_DIR, "em", "train.json")
ELEMENTS = ["O"]  # "issue" with one element: 1 + 9 + 2 + 6 = 18 features
NF = 18


def synthetic(seed=3, n=300):
    """Features with ties and coarse steps (thresholds fall between close values) and a
    positive target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, NF))
    X[:, :4] = np.round(X[:, :4], 1)
    X[:, 4] = rng.integers(0, 3, n)
    X[:, 5] = 1 + rng.uniform(0, 1e-6, n)  # differences below float32 resolution
    y = np.exp(0.3 * X[:, 0] - 0.2 * X[:, 6] + 0.1 * X[:, 4]) + 0.05
    return X, y


def probes(rf, X):
    """Test rows: the training rows, and rows whose every feature sits on, or one float32
    step beside, a threshold of the first trees."""
    thr = np.concatenate([e.tree_.threshold[e.tree_.feature >= 0] for e in rf.estimators_[:3]])
    feats = np.concatenate([e.tree_.feature[e.tree_.feature >= 0] for e in rf.estimators_[:3]])
    rows = []
    for t, f in zip(thr[:60], feats[:60]):
        t32 = np.float32(t)
        for v in (t, float(t32), float(np.nextafter(t32, np.float32(np.inf))),
                  float(np.nextafter(t32, np.float32(-np.inf)))):
            r = X[len(rows) % len(X)].copy()
            r[f] = v
            rows.append(r)
    return np.vstack([X, np.array(rows)])


@pytest.mark.parametrize("log_target", [True, False])
def test_round_trip_equals_sklearn(tmp_path, log_target):
    X, y = synthetic()
    rf = RandomForestRegressor(n_estimators=7, max_features=0.5, random_state=1, n_jobs=1)
    rf.fit(X, np.log(y) if log_target else y)
    path = tmp_path / "forest.safetensors"
    FO.write_forest(path, rf, ELEMENTS, "issue", log_target,
                    {"migbar.training": {"data": "synthetic"}, "migbar.created": "now"})
    ff = FO.read_forest(path)
    Xp = probes(rf, X)
    mean, std = FO.predict(ff, Xp)
    ref_mean, ref_std = forest_predict(rf, Xp, log_target)
    assert np.array_equal(mean, ref_mean) and np.array_equal(std, ref_std)
    per_tree = np.stack([e.predict(Xp) for e in rf.estimators_])
    assert np.array_equal(FO.tree_predictions(ff, Xp), per_tree)
    if not log_target:  # sklearn's own forest average (sums in tree order, as here)
        assert np.allclose(rf.predict(Xp), mean, rtol=1e-15, atol=0)
    meta = ff["meta"]
    assert meta["ntrees"] == 7 and meta["log_target"] is log_target
    assert meta["features"] == DS.feature_names(ELEMENTS, "issue")
    assert meta["target"] == "em" and meta["units"] == "eV" and meta["kind"] == "random-forest"
    assert json.loads(ff["metadata"]["migbar.training"]) == {"data": "synthetic"}
    assert ff["metadata"]["migbar.created"] == "now"


@pytest.mark.parametrize("ntrees", [7, 6])
def test_extra_trees_median(tmp_path, ntrees):
    """Extremely randomized trees whose value is the median of the trees (the middle one
    for an odd count, the mean of the two middle ones for an even count): the file gives
    numpy's median of sklearn's own trees, exactly, and their sample std."""
    X, y = synthetic()
    et = ExtraTreesRegressor(n_estimators=ntrees, max_features=1.0, random_state=2, n_jobs=1)
    et.fit(X, np.log(y))
    path = tmp_path / "et.safetensors"
    FO.write_forest(path, et, ELEMENTS, "issue", True, aggregate="median")
    ff = FO.read_forest(path)
    assert ff["meta"]["kind"] == "extra-trees" and ff["meta"]["aggregate"] == "median"
    assert ff["meta"]["format_version"] == 2
    assert ff["meta"]["estimator"]["class"] == "ExtraTreesRegressor"
    Xp = probes(et, X)
    value, std = FO.predict(ff, Xp)
    per_tree = np.exp(np.stack([e.predict(Xp) for e in et.estimators_]))
    assert np.array_equal(value, np.median(per_tree, axis=0))
    assert np.array_equal(std, per_tree.std(0, ddof=1))
    srt = np.sort(per_tree, axis=0)
    mid = srt[ntrees // 2] if ntrees % 2 else (srt[ntrees // 2 - 1] + srt[ntrees // 2]) / 2
    assert np.array_equal(value, mid)
    assert not np.allclose(value, per_tree.mean(0))


def test_format_1_and_what_it_cannot_hold(tmp_path):
    """Format 1 (libmigbar 0.3's reader) holds random forests averaged over their trees:
    no aggregate key, read back as "mean"; extra trees or a median need format 2."""
    X, y = synthetic()
    rf = RandomForestRegressor(n_estimators=3, random_state=0, n_jobs=1).fit(X, y)
    et = ExtraTreesRegressor(n_estimators=3, random_state=0, n_jobs=1).fit(X, y)
    path = tmp_path / "f1.safetensors"
    FO.write_forest(path, rf, ELEMENTS, "issue", False, format_version=1)
    _, meta = ST.load(path)
    raw = json.loads(meta[FO.META_KEY])
    assert raw["format_version"] == 1 and "aggregate" not in raw
    assert "class" not in raw["estimator"]
    assert FO.read_forest(path)["meta"]["aggregate"] == "mean"
    with pytest.raises(ValueError, match="format 1 holds only random forests"):
        FO.write_forest(path, et, ELEMENTS, "issue", False, format_version=1)
    with pytest.raises(ValueError, match="format 1 holds only random forests"):
        FO.write_forest(path, rf, ELEMENTS, "issue", False, aggregate="median",
                        format_version=1)
    with pytest.raises(ValueError, match="aggregate 'mode'"):
        FO.write_forest(path, rf, ELEMENTS, "issue", False, aggregate="mode")
    from sklearn.ensemble import GradientBoostingRegressor  # noqa: PLC0415
    gb = GradientBoostingRegressor(n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="only RandomForestRegressor and ExtraTreesRegressor"):
        FO.write_forest(path, gb, ELEMENTS, "issue", False)


def test_file_layout(tmp_path):
    X, y = synthetic()
    rf = RandomForestRegressor(n_estimators=3, random_state=0, n_jobs=1).fit(X, y)
    path = tmp_path / "f.safetensors"
    FO.write_forest(path, rf, ELEMENTS, "issue", False)
    tensors, meta = ST.load(path)
    assert set(tensors) == set(FO.TENSORS) and list(meta) == [FO.META_KEY]
    assert {k: v.dtype.str for k, v in tensors.items()} == FO.TENSORS
    off = tensors["tree_offset"]
    assert off[0] == 0 and off[-1] == len(tensors["left"]) == len(tensors["value"])
    assert list(np.diff(off)) == [e.tree_.node_count for e in rf.estimators_]
    # children after their parent, -1 on both sides of a leaf
    for t in range(3):
        left = tensors["left"][off[t]:off[t + 1]]
        right = tensors["right"][off[t]:off[t + 1]]
        idx = np.arange(len(left))
        leaf = left == -1
        assert np.array_equal(leaf, right == -1)
        assert np.all(left[~leaf] > idx[~leaf]) and np.all(right[~leaf] > idx[~leaf])
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
    assert (8 + n) % 8 == 0
    with pytest.raises(ValueError, match="reads 18 features"):
        FO.write_forest(path, rf, ["O", "F"], "issue", False)


def test_constants_are_those_of_descriptors():
    """The fallbacks the file stores are the literals of descriptors.hop_descriptors: an
    ion outside IONS in a host without anions."""
    lat = np.diag([7.0, 7.0, 7.0])
    img = [[0.25 + 0.125 * k, 0.25, 0.25] for k in range(5)]
    host = [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5],
            [0, 0.5, 0.5]]
    atoms = {"lattice_mat": lat.tolist(), "coords": img + host,
             "elements": ["Cs"] * 5 + ["Fe"] * 7, "cartesian": False}
    x = dict(zip(DS.feature_names(["Fe"], "full"), DS.hop_descriptors(atoms, ["Fe"], "full")))
    c = FO.constants()
    assert x["mid_nearest_anion"] == c["missing_distance"]
    assert x["ion_charge"] == c["default_charge"] and x["ion_radius"] == c["default_radius"]
    assert c["ions"] == list(DS.IONS) and c["band_images"] == DS.BAND_IMAGES


def test_reference_fixture_is_consistent():
    """tests/data/desc: the stored forest, read back and evaluated by numpy, gives the
    stored sklearn predictions on the stored descriptors, bit for bit."""
    d = os.path.join(REPO, "tests", "data", "desc")
    ff = FO.read_forest(os.path.join(d, "forest20.safetensors"))
    with open(os.path.join(d, "reference.json")) as f:
        ref = json.load(f)
    X = np.array([r["descriptors"] for r in ref["inputs"]])
    mean, std = FO.predict(ff, X)
    assert np.array_equal(mean, [r["mean"] for r in ref["inputs"]])
    assert np.array_equal(std, [r["std"] for r in ref["inputs"]])
    assert np.array_equal(FO.descriptors(ff, [r["atoms"] for r in ref["inputs"]]), X)
    fe = FO.read_forest(os.path.join(d, "extra21.safetensors"))
    value, std = FO.predict(fe, X)
    assert np.array_equal(value, [r["et_value"] for r in ref["inputs"]])
    assert np.array_equal(std, [r["et_std"] for r in ref["inputs"]])
    P = np.array([r["x"] for r in ref["et_probes"]])
    value, std = FO.predict(fe, P)
    assert np.array_equal(value, [r["mean"] for r in ref["et_probes"]])


@pytest.mark.skipif(not HAVE_DATA, reason="needs /work/shared/data")
def test_em_subset(tmp_path):
    with open(EM) as f:
        rows = json.load(f)[:80]
    elements = DS.data_elements(rows)
    X, _ = DS.descriptor_matrix(rows[:60], elements, "full")
    y = np.array([r["target"] for r in rows[:60]])
    rf = RandomForestRegressor(n_estimators=10, max_features=1.0, random_state=0, n_jobs=1)
    rf.fit(X, np.log(y))
    path = tmp_path / "em.safetensors"
    FO.write_forest(path, rf, elements, "full", True)
    ff = FO.read_forest(path)
    Xt = FO.descriptors(ff, [r["atoms"] for r in rows[60:]])
    mean, std = FO.predict(ff, Xt)
    ref_mean, ref_std = forest_predict(rf, Xt, True)
    assert np.array_equal(mean, ref_mean) and np.array_equal(std, ref_std)
