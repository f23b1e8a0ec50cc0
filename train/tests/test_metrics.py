"""metrics.py against hand-computed values, scikit-learn and scipy (Debian's 1.2 / 1.10)."""

import math

import numpy as np
import pytest

from migbar_train import metrics as M


def test_regression_matches_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 3, 50)
    p = t + rng.normal(0, 0.3, 50)
    r = M.regression(t, p)
    assert r["n"] == 50
    assert r["mae"] == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-12)
    assert r["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(t, p)), rel=1e-12)
    assert r["r2"] == pytest.approx(skm.r2_score(t, p), rel=1e-12)


def test_regression_by_hand():
    # errors 0.5, -1, 0.5: MAE 2/3, RMSE sqrt(0.5), SS_tot about mean 2 = 2, SS_res 1.5
    r = M.regression([1, 2, 3], [1.5, 1, 3.5])
    assert r["mae"] == pytest.approx(2 / 3)
    assert r["rmse"] == pytest.approx(math.sqrt(0.5))
    assert r["r2"] == pytest.approx(1 - 1.5 / 2)
    with pytest.raises(ValueError):
        M.mae([1, 2], [1])


def test_good_conductor_class():
    # true good: 0.1 0.5 0.64 ; predicted good: 0.2 (idx 0), 0.6 (idx 2)
    true = [0.1, 0.5, 0.7, 1.0, 0.64]
    pred = [0.2, 0.9, 0.6, 1.2, 0.66]
    c = M.classification(true, pred)
    assert c["threshold"] == 0.65
    assert c["accuracy"] == pytest.approx(2 / 5)   # idx 0 and 3 right
    assert c["precision"] == pytest.approx(1 / 2)  # idx 0 of {0, 2}
    assert c["recall"] == pytest.approx(1 / 3)
    assert (c["predicted_good"], c["true_good"]) == (2, 3)
    # 0.65 itself is not good (strict <)
    assert M.classification([0.65], [0.65])["true_good"] == 0
    assert math.isnan(M.classification([1.0], [2.0])["precision"])


def test_spearman_matches_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, 40).astype(float)  # many ties
    y = x + rng.normal(0, 2, 40)
    y[:5] = y[5]                                # ties in y too
    assert M.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).correlation, abs=1e-12)
    assert M.spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert M.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(M.spearman([1, 1, 1], [1, 2, 3]))
    assert M.ranks([3, 1, 3, 2]).tolist() == [3.5, 1, 3.5, 2]


def test_coverage_and_std_scale_by_hand():
    true = np.zeros(3)
    pred = np.array([0.1, -0.5, 1.0])
    std = np.array([0.1, 0.2, 0.3])
    # |e| <= 2 std: 0.1 <= 0.2 yes, 0.5 <= 0.4 no, 1.0 <= 0.6 no
    assert M.coverage(true, pred, std) == pytest.approx(1 / 3)
    # ratios |e|/(2 std) = 0.5, 1.25, 1.667: 95 % of 3 -> the 3rd, 60 % -> the 2nd
    assert M.fit_std_scale(true, pred, std) == pytest.approx(1.0 / 0.6)
    assert M.fit_std_scale(true, pred, std, target=0.6) == pytest.approx(1.25)
    assert M.coverage(true, pred, std, scale=1.25) == pytest.approx(2 / 3)


def test_std_scale_on_gaussian_errors():
    # errors drawn with the stated std: 95 % coverage needs 1.96 std, i.e. s = 0.98
    rng = np.random.default_rng(2)
    n = 5000
    std = rng.uniform(0.1, 1.0, n)
    pred = rng.normal(0.0, std)
    true = np.zeros(n)
    folds = np.arange(n) % 5
    u = M.uncertainty(true, pred, std, folds)
    assert 0.93 < u["std_scale"] < 1.03
    assert u["coverage_2std_scaled"] >= 0.95
    # just below the fitted scale the coverage drops under the target
    assert M.coverage(true, pred, std, scale=u["std_scale"] * 0.999) < 0.95
    assert abs(u["coverage_2std_scaled_cross_fitted"] - 0.95) < 0.01
    assert abs(u["coverage_2std"] - 0.954) < 0.01
    assert u["spearman_std_abs_error"] > 0.2  # larger std, larger |error|
    # a spread that says nothing: rho ~ 0
    u2 = M.uncertainty(true, pred, rng.permutation(std))
    assert abs(u2["spearman_std_abs_error"]) < 0.05


def test_report_and_table():
    true = [0.2, 0.5, 1.0, 1.5, 0.3, 0.9]
    pred = [0.3, 0.4, 1.2, 1.1, 0.6, 0.7]
    std = [0.1, 0.1, 0.2, 0.3, 0.2, 0.1]
    r = M.report(true, pred, std, folds=[0, 0, 1, 1, 2, 2])
    assert r["fold_mae"] == pytest.approx([0.1, 0.3, 0.25])
    assert r["mae_fold_mean"] == pytest.approx(0.65 / 3)
    assert r["good_accuracy"] == pytest.approx(1.0)
    for key in ("spearman_std_abs_error", "coverage_2std", "std_scale",
                "coverage_2std_scaled_cross_fitted"):
        assert key in r
    md = M.markdown_table([("a", r), ("b", {"mae": 0.5})])
    lines = md.strip().splitlines()
    assert lines[0].startswith("| model | MAE (eV)")
    assert lines[2].startswith("| a | %.3f |" % r["mae"])
    assert lines[3].startswith("| b | 0.500 |  |")
    assert len(lines) == 4
