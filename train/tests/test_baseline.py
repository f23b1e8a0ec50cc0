"""Hop descriptors (against ASE 3.22's minimum-image distances and a numpy brute force),
the random-forest baseline on a small subset (same folds as cv.py), the epoch budget,
the parallel graph cache, the ensemble directory, and run_device.sh --smoke."""

import csv
import itertools
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import DATA_DIR, HAVE_DATA, HAVE_LIB, REPO
from migbar_train import descriptors as DS
from migbar_train.data import load_em, stratified_folds

EM = os.path.join(DATA_DIR, "em", "train.json")
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="needs ../shared/data")
needs_lib = pytest.mark.skipif(not (HAVE_LIB and HAVE_DATA),
                               reason="needs libmigbar and ../shared/data")

# A skewed cell; the Li ion hops along a, across the cell boundary: images at
# fractional x = 0.9, 0.95, 0.0, 0.05, 0.1 (stored wrapped), so the hop is 0.2 a.
LAT = np.array([[6.0, 0.0, 0.0], [1.5, 5.5, 0.0], [0.8, -0.6, 5.2]])
IMAGES = np.array([[0.90, 0.4, 0.3], [0.95, 0.4, 0.3], [0.0, 0.4, 0.3], [0.05, 0.4, 0.3],
                   [0.10, 0.4, 0.3]])
HOST = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.05, 0.62, 0.31], [0.97, 0.4, 0.55],
                 [0.3, 0.1, 0.8], [0.7, 0.9, 0.2], [0.2, 0.4, 0.3], [0.85, 0.15, 0.35]])
HOST_EL = ["O", "O", "O", "Fe", "P", "O", "Li", "Fe"]


def entry():
    return {"lattice_mat": LAT.tolist(), "coords": np.vstack([IMAGES, HOST]).tolist(),
            "elements": ["Li"] * 5 + HOST_EL, "cartesian": False}


def brute_mic(lat, p, q):
    """Smallest |q - p + S| over all lattice shifts S in a +-3 box."""
    best = np.inf
    for s in itertools.product(range(-3, 4), repeat=3):
        best = min(best, np.linalg.norm((np.asarray(q) - np.asarray(p) + s) @ lat))
    return best


def test_hop_length_and_midpoint_distances():
    from ase.geometry import get_distances  # ASE 3.22 (Debian)

    a = entry()
    hop = DS.hop_vector(a)
    assert np.allclose(hop, 0.2 * LAT[0])
    assert DS.hop_length(a) == pytest.approx(0.2 * 6.0)
    assert DS.hop_length(a) == pytest.approx(brute_mic(LAT, IMAGES[0], IMAGES[4]))
    mid = np.array([0.0, 0.4, 0.3])
    d_ours = DS.mic_distances(LAT, mid[None], HOST)[0]
    _, d_ase = get_distances((mid @ LAT)[None], HOST @ LAT, cell=LAT, pbc=True)
    assert np.allclose(d_ours, d_ase[0], atol=1e-10)
    assert np.allclose(d_ours, [brute_mic(LAT, mid, h) for h in HOST], atol=1e-10)

    els = ["Fe", "Li", "O", "P"]
    x = DS.hop_descriptors(a, els, "full")
    f = dict(zip(DS.feature_names(els, "full"), x))
    assert f["frac_O"] == pytest.approx(4 / 8) and f["frac_Fe"] == pytest.approx(2 / 8)
    assert f["frac_Li"] == pytest.approx(1 / 8) and f["frac_P"] == pytest.approx(1 / 8)
    assert f["ion_Li"] == 1.0 and f["ion_Na"] == 0.0
    assert f["hop_length"] == pytest.approx(1.2)
    assert f["volume_per_atom"] == pytest.approx(abs(np.linalg.det(LAT)) / 9)
    six = np.sort(d_ase[0])[:6]
    assert [f["mid_d%d" % i] for i in range(1, 7)] == pytest.approx(six.tolist())
    # nearest host distance at each image, and the bottleneck on the path
    for i in range(5):
        want = min(brute_mic(LAT, IMAGES[i], h) for h in HOST)
        assert f["image%d_nn" % i] == pytest.approx(want)
    path = [IMAGES[0] + t * np.array([0.2, 0, 0]) for t in np.linspace(0, 1, DS.PATH_SAMPLES)]
    want = min(brute_mic(LAT, p, h) for p in path for h in HOST)
    assert f["bottleneck"] == pytest.approx(want)
    anion = [brute_mic(LAT, mid, h) for h, e in zip(HOST, HOST_EL) if e in DS.ANIONS]
    cation = [brute_mic(LAT, mid, h) for h, e in zip(HOST, HOST_EL) if e not in DS.ANIONS]
    assert f["mid_nearest_anion"] == pytest.approx(min(anion))
    assert f["mid_nearest_cation"] == pytest.approx(min(cation))
    assert f["mid_anions_3A"] == sum(d <= 3.0 for d in anion)
    assert f["ion_charge"] == 1 and f["ion_radius"] == pytest.approx(0.76)
    assert f["ion_fraction"] == pytest.approx(1 / 8)
    # the set is a prefix of the others
    xi = DS.hop_descriptors(a, els, "issue")
    assert np.array_equal(xi, x[:len(xi)])
    with pytest.raises(ValueError):
        DS.hop_descriptors(dict(a, elements=["Li", "Na"] + a["elements"][2:]), els)


@needs_data
def test_descriptors_of_the_data():
    rows = json.load(open(EM))[:40]
    X, names = DS.descriptor_matrix(rows, feature_set="path")
    assert X.shape == (40, len(names)) and np.isfinite(X).all()
    hop = X[:, names.index("hop_length")]
    assert (hop > 1.4).all() and (hop < 9.1).all()  # data README: 1.5 to 9.0 A


@needs_data
def test_rf_pipeline_on_a_subset(tmp_path):
    from migbar_train import baseline_rf

    out = tmp_path / "rf"
    baseline_rf.main(["--data", EM, "--max-entries", "60", "--folds", "3", "--seed", "123",
                      "--trees", "30", "--out", str(out), "--jobs", "1", "--features", "path"])
    rows = list(csv.DictReader(open(out / "predictions.csv")))
    assert len(rows) == 60
    # the folds are cv.py's: data.stratified_folds over the classes, same seed
    classes = [e["class"] for e in load_em(DATA_DIR)[:60]]
    folds = stratified_folds(classes, 3, seed=123)
    for i, f in enumerate(folds):
        assert sorted(int(r["index"]) for r in rows if int(r["fold"]) == i) == f
    m = json.load(open(out / "metrics.json"))
    t = np.array([float(r["true"]) for r in rows])
    p = np.array([float(r["pred"]) for r in rows])
    s = np.array([float(r["std"]) for r in rows])
    assert m["mae"] == pytest.approx(np.abs(t - p).mean(), rel=1e-4)
    assert (s > 0).all() and m["n"] == 60 and m["fold_seed"] == 123
    assert 0 <= m["coverage_2std"] <= 1 and "spearman_std_abs_error" in m
    assert "| ET path" in open(out / "results.md").read()  # the defaults: extra trees


def test_choose_epochs():
    from migbar_train.ensemble import choose_epochs

    # 2-epoch probe, 10 s per epoch (11.5 with the validation margin), 5 jobs at once,
    # 40 s wall -> overhead 40 - 23 = 17 s; budget 200 s: (180 - 17) / 11.5 = 14
    probe = {"processes": 5, "wall_seconds": 40.0,
             "members": [{"epochs": 2, "epoch_seconds": [12.0, s]} for s in (8, 9, 10, 7, 6)]}
    assert choose_epochs([probe], 200, 150) == 14
    assert choose_epochs([probe], 200, 10) == 10
    assert choose_epochs([probe], 10, 150) == 1
    # 10 jobs on 5 processes: two rounds -> about half the epochs
    p2 = dict(probe, members=probe["members"] * 2, wall_seconds=63.0)
    assert choose_epochs([p2], 200, 150) == 7
    assert choose_epochs([probe, p2], 200, 150) == 7


@needs_lib
def test_parallel_cache_is_the_cache_of_data_graphs(tmp_path):
    from migbar_train import data as D
    from migbar_train.ensemble import prebuild_cache
    from migbar_train.graph import graph_from_atoms
    from migbar_train.train import load_config

    cfg = load_config(None, ["data_dir=" + DATA_DIR, "cache_dir=" + str(tmp_path),
                             "max_entries=7"])
    path = prebuild_cache(cfg, processes=2)
    assert os.path.exists(path) and len(os.listdir(tmp_path)) == 1
    entries = load_em(DATA_DIR)[:7]
    gs = D.graphs(entries, k=12, cache_dir=str(tmp_path), name="em")  # loads the file
    assert len(os.listdir(tmp_path)) == 1
    for e, g in zip(entries, gs):
        h = graph_from_atoms(e["atoms"], k=12, nband=5)
        for key in ("z", "src", "dst", "ta", "tb"):
            assert np.array_equal(g[key], h[key])
        assert np.allclose(g["cos"], h["cos"])


@needs_lib
def test_fold_runs_and_ensemble_directory(tmp_path):
    from migbar_train import ensemble as E
    from migbar_train.export import load_model
    from migbar_train.train import load_config

    tiny = ["model.embedding=8", "model.hidden=16", "model.alignn_layers=1",
            "model.gcn_layers=1"]
    cfg = load_config(None, ["data_dir=" + DATA_DIR, "cache_dir=" + str(tmp_path / "c"),
                             "max_entries=12", "epochs=1", "batch_size=4", "num_threads=1",
                             "run_dir=" + str(tmp_path / "em")] + tiny)
    s = E.fold_runs(cfg, nfolds=2, seeds=2, fold_seed=123, processes=1)
    assert len(s["members"]) == 4 and s["n"] == 12
    assert {m["seed"] for m in s["members"]} == {cfg["seed"], cfg["seed"] + 1}
    for e in s["entries"]:
        assert len(e["preds"]) == 2 and e["std"] == pytest.approx(np.std(e["preds"], ddof=1))
        assert e["mean"] == pytest.approx(np.mean(e["preds"]))
    assert s["metrics"]["std_scale"] > 0 and "good_accuracy" in s["metrics"]
    out = tmp_path / "models" / "em"
    rf = tmp_path / "rf.json"
    rf.write_text(json.dumps({"mae": 0.3, "r2": 0.55}))
    man = E.build(str(tmp_path / "em"), str(out), {"random forest": str(rf)},
                  members="first-seed", data_dir=DATA_DIR)
    disk = json.load(open(out / "ensemble.json"))
    assert disk == json.loads(json.dumps(man))
    assert disk["format"] == "migbar-ensemble" and disk["version"] == 1
    assert disk["members"] == ["fold0-seed0.safetensors", "fold1-seed0.safetensors"]
    assert disk["std_scale"] == pytest.approx(s["metrics"]["std_scale"])
    dom = disk["domain"]
    assert "Li" in dom["elements"] and "O" in dom["elements"]
    assert 8.9 < dom["max_hop_length"] <= 9.0  # data README: hops up to 9.0 A
    card = disk["model_card"]
    assert card["baselines"]["random forest"]["mae"] == 0.3
    assert any("arXiv:2508.06459" in c for c in card["data"]["citations"])
    for name in disk["members"]:
        model, meta = load_model(str(out / name))
        tr = json.loads(meta["migbar.training"])
        assert tr["ensemble_member"]["fold_seed"] == 123 and "cv" in tr
    text = (out / "MODEL_CARD.md").read_text()
    assert "std_scale" in text and "random forest" in text and "MIT" in text
    assert "$" not in text.replace("$$", "")  # every template field filled


@needs_lib
@pytest.mark.skipif(not os.environ.get("MIGBAR_SLOW"), reason="set MIGBAR_SLOW=1 (~1-2 min)")
def test_run_device_smoke(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, MIGBAR_DATA=DATA_DIR)
    env.pop("MIGBAR_LIBRARY", None)  # the script compiles the kNN code itself
    t0 = time.time()
    r = subprocess.run(["bash", os.path.join(REPO, "train", "run_device.sh"), "--smoke",
                        "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work"),
                        "all"], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = tmp_path / "out"
    names = sorted(os.listdir(out))
    assert "report.md" in names and "results.tar.gz" in names and "pretrain-checkpoint.pt" in names
    assert len(names) <= 8  # what the device tool brings back
    report = (out / "report.md").read_text()
    for row in ("fine-tuned", "from scratch", "random forest", "fine-tuned from pre-training"):
        assert "| %s" % row in report
    man = json.load(open(tmp_path / "work" / "models" / "em" / "ensemble.json"))
    assert len(man["members"]) == 3  # 3 smoke folds, first seed each
    print("run_device.sh --smoke all: %.0f s" % (time.time() - t0))
