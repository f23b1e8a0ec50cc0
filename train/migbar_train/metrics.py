"""Figures of the cross-validation report (numpy only).

Regression: MAE, RMSE, R^2 = 1 - SS_res / SS_tot (SS_tot about the mean of the true
values of the same set; pooled over all out-of-fold predictions unless said otherwise).

'Good conductor' class: E_m < 0.65 eV (GOOD_CONDUCTOR_EV), the threshold of the issue
(Devi et al., arXiv:2508.06436, use it for fast ionic conductors). accuracy = share of
entries whose predicted class equals the true class; precision = true good among the
entries predicted good (NaN when none is predicted good); recall likewise.

Uncertainty (an ensemble's spread, or a forest's tree spread; std is a sample standard
deviation, as mb_ensemble reports it):
  spearman   rank correlation of std and |pred - true| (average ranks for ties); > 0
             means larger spread goes with larger error.
  coverage   share of entries with |pred - true| <= k * std_scale * std (k = 2; a
             well calibrated Gaussian spread covers 95.4 %).
  std_scale  the calibration factor that mb_ensemble multiplies the spread by: the
             smallest s with coverage(k * s * std) >= target (0.95) on the folds, i.e.
             the ceil(target n)-th smallest of |e_i| / (k std_i). Fitted on the same
             predictions it is scored on, its coverage is >= target by construction, so
             the report also gives the cross-fitted coverage: s fitted on the other
             folds, applied to each held-out fold (an honest estimate for new data).
"""

import math

import numpy as np

GOOD_CONDUCTOR_EV = 0.65
COVERAGE_K = 2.0
COVERAGE_TARGET = 0.95


def _arrays(*xs):
    out = [np.asarray(x, dtype=np.float64).reshape(-1) for x in xs]
    n = len(out[0])
    if any(len(x) != n for x in out):
        raise ValueError("arrays of different lengths %s" % [len(x) for x in out])
    if n == 0:
        raise ValueError("no predictions")
    return out


def mae(true, pred):
    t, p = _arrays(true, pred)
    return float(np.abs(p - t).mean())


def rmse(true, pred):
    t, p = _arrays(true, pred)
    return float(np.sqrt(((p - t) ** 2).mean()))


def r2(true, pred):
    t, p = _arrays(true, pred)
    tss = float(((t - t.mean()) ** 2).sum())
    return 1.0 - float(((t - p) ** 2).sum()) / tss if tss > 0 else float("nan")


def regression(true, pred):
    return {"n": int(len(np.reshape(true, -1))), "mae": mae(true, pred),
            "rmse": rmse(true, pred), "r2": r2(true, pred)}


def classification(true, pred, threshold=GOOD_CONDUCTOR_EV):
    """Accuracy, precision and recall of the class true < threshold ('good')."""
    t, p = _arrays(true, pred)
    gt, gp = t < threshold, p < threshold
    tp = int((gt & gp).sum())
    npos = int(gp.sum())
    ntrue = int(gt.sum())
    return {"threshold": threshold, "accuracy": float((gt == gp).mean()),
            "precision": tp / npos if npos else float("nan"),
            "recall": tp / ntrue if ntrue else float("nan"),
            "predicted_good": npos, "true_good": ntrue}


def ranks(x):
    """Ranks 1..n, ties get their average rank."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    xs = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        r[order[i:j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return r


def spearman(x, y):
    """Spearman's rho: Pearson correlation of the average ranks (NaN if constant)."""
    x, y = _arrays(x, y)
    rx, ry = ranks(x), ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    den = math.sqrt(float((rx * rx).sum()) * float((ry * ry).sum()))
    return float((rx * ry).sum()) / den if den > 0 else float("nan")


def coverage(true, pred, std, k=COVERAGE_K, scale=1.0):
    t, p, s = _arrays(true, pred, std)
    return float((np.abs(p - t) <= k * scale * s).mean())


def fit_std_scale(true, pred, std, k=COVERAGE_K, target=COVERAGE_TARGET):
    """Smallest s with coverage(k s std) >= target; inf when that needs a zero spread
    to cover a non-zero error."""
    t, p, s = _arrays(true, pred, std)
    err = np.abs(p - t)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(err == 0, 0.0, err / (k * s))
    ratio = np.sort(ratio)
    m = int(math.ceil(target * len(ratio) - 1e-9))
    return float(ratio[max(m, 1) - 1])


def cross_fitted_coverage(true, pred, std, folds, k=COVERAGE_K, target=COVERAGE_TARGET):
    """Coverage when each fold's entries get the std_scale fitted on the other folds."""
    t, p, s = _arrays(true, pred, std)
    folds = np.asarray(folds).reshape(-1)
    covered = np.zeros(len(t), dtype=bool)
    for f in np.unique(folds):
        out = folds == f
        if out.all():
            return float("nan")
        sc = fit_std_scale(t[~out], p[~out], s[~out], k, target)
        covered[out] = np.abs(p[out] - t[out]) <= k * sc * s[out]
    return float(covered.mean())


def uncertainty(true, pred, std, folds=None, k=COVERAGE_K, target=COVERAGE_TARGET):
    t, p, s = _arrays(true, pred, std)
    scale = fit_std_scale(t, p, s, k, target)
    out = {"spearman_std_abs_error": spearman(s, np.abs(p - t)),
           "coverage_2std": coverage(t, p, s, k), "std_scale": scale,
           "coverage_2std_scaled": coverage(t, p, s, k, scale),
           "mean_std": float(s.mean()), "median_std": float(np.median(s)),
           "k": k, "target": target}
    if folds is not None:
        out["coverage_2std_scaled_cross_fitted"] = cross_fitted_coverage(t, p, s, folds, k,
                                                                         target)
    return out


def report(true, pred, std=None, folds=None, threshold=GOOD_CONDUCTOR_EV):
    """All figures of one set of out-of-fold predictions; per-fold MAE / R^2 (mean and
    std over folds) when folds is given; uncertainty figures when std is given."""
    out = regression(true, pred)
    if threshold is not None:
        out.update({"good_" + k if k != "threshold" else "good_threshold": v
                    for k, v in classification(true, pred, threshold).items()})
    if folds is not None:
        t, p = _arrays(true, pred)
        f = np.asarray(folds).reshape(-1)
        fm = [mae(t[f == i], p[f == i]) for i in np.unique(f)]
        fr = [r2(t[f == i], p[f == i]) for i in np.unique(f)]
        out.update(fold_mae=fm, fold_r2=fr, mae_fold_mean=float(np.mean(fm)),
                   mae_fold_std=float(np.std(fm)), r2_fold_mean=float(np.mean(fr)),
                   r2_fold_std=float(np.std(fr)))
    if std is not None:
        out.update(uncertainty(true, pred, std, folds))
    return out


COLUMNS = [("mae", "MAE (eV)", "%.3f"), ("rmse", "RMSE (eV)", "%.3f"), ("r2", "R^2", "%.3f"),
           ("good_accuracy", "acc. <0.65", "%.3f"), ("good_precision", "prec. <0.65", "%.3f"),
           ("spearman_std_abs_error", "rho(std, abs err)", "%.3f"),
           ("coverage_2std", "cov. +-2std", "%.3f"), ("std_scale", "std_scale", "%.2f"),
           ("coverage_2std_scaled_cross_fitted", "cov. +-2s*std (cross-fit)", "%.3f")]


def markdown_table(rows, columns=None):
    """rows: list of (name, report dict); missing figures are left blank."""
    columns = columns or COLUMNS
    lines = ["| model | " + " | ".join(c[1] for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for name, rep in rows:
        cells = []
        for key, _, fmt in columns:
            v = rep.get(key)
            cells.append("" if v is None or (isinstance(v, float) and math.isnan(v))
                         else fmt % v)
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    return "\n".join(lines) + "\n"
