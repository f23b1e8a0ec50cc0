"""The CPU recipe's building blocks: the band line graph (docs/model.md 1.4), resuming an
interrupted run to the same weights, the blend's weighted spread (section 7)."""

import os

import numpy as np
import pytest
import torch

from conftest import DATA_DIR, HAVE_DATA, HAVE_LIB, REF_DIR
from migbar_train import graph as G
from migbar_train.model import MigbarNet, collate, make_config
from migbar_train.ship import weighted_spread
from migbar_train.train import load_config, run

needs_lib = pytest.mark.skipif(not HAVE_LIB, reason="needs libmigbar")
needs_all = pytest.mark.skipif(not (HAVE_LIB and HAVE_DATA),
                               reason="needs libmigbar and ../shared/data")


def _ref_band():
    import json  # noqa: PLC0415
    with open(os.path.join(REF_DIR, "reference.json")) as f:
        ref = json.load(f)
    return next(r for r in ref["inputs"] if r["nband"] == 5 and 100 < r["natoms"] < 200)


@needs_lib
def test_band_line_graph_is_the_band_centred_subset():
    r = _ref_band()
    full = G.graph_from_atoms(r["atoms"], k=12, nband=5)
    band = G.graph_from_atoms(r["atoms"], k=12, nband=5, line="band")
    # brute force: every pair of edges a = (u -> v), b = (v -> w) with v a band atom
    want = set()
    for b in range(len(full["src"])):
        v = full["src"][b]
        if v < 5:
            for a in np.nonzero(full["dst"] == v)[0]:
                want.add((int(a), int(b)))
    got = set(zip(band["ta"].tolist(), band["tb"].tolist()))
    assert got == want
    assert 0 < len(got) < len(full["ta"]) / 5
    # restrict_line_graph of the full graph gives the same triplets and cosines
    sub = G.restrict_line_graph(full, "band")
    key = lambda g: sorted(zip(g["ta"].tolist(), g["tb"].tolist(), np.round(g["cos"], 12)))  # noqa: E731
    assert key(sub) == key(band)
    # a crystal (no band atoms) has no triplets in the band line graph
    assert len(G.graph_from_atoms(r["atoms"], k=12, nband=0, line="band")["ta"]) == 0


@needs_lib
def test_band_model_filters_a_full_graph_itself():
    r = _ref_band()
    torch.manual_seed(3)
    model = MigbarNet(make_config(embedding=8, hidden=16, alignn_layers=2, gcn_layers=1,
                                  line_graph="band")).eval()
    full = G.graph_from_atoms(r["atoms"], k=12, nband=5)
    band = G.graph_from_atoms(r["atoms"], k=12, nband=5, line="band")
    with torch.no_grad():
        a = model(collate([full]))
        b = model(collate([band]))
    assert torch.allclose(a, b, rtol=0, atol=1e-6)
    full_model = MigbarNet(make_config(embedding=8, hidden=16, alignn_layers=2, gcn_layers=1))
    full_model.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert not torch.allclose(full_model.eval()(collate([full])), a, atol=1e-6)


@needs_all
def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    def cfg(name):
        c = load_config()
        c.update({"data_dir": DATA_DIR, "cache_dir": str(tmp_path / "cache"),
                  "run_dir": str(tmp_path / name), "device": "cpu", "num_threads": 1,
                  "seed": 5, "task": "finetune", "max_entries": 16, "epochs": 3,
                  "batch_size": 4, "lr": 3e-3, "val_fraction": 0.25,
                  "model": {"embedding": 8, "hidden": 16, "alignn_layers": 1,
                            "gcn_layers": 1, "line_graph": "band"}})
        return c

    whole = run(cfg("whole"))

    class Killed(Exception):
        pass

    def kill_after_two(rec):
        if rec["epoch"] == 2:
            raise Killed()

    with pytest.raises(Killed):
        run(cfg("cut"), progress=kill_after_two)
    assert not os.path.exists(tmp_path / "cut" / "result.json")
    resumed = run(cfg("cut"))
    assert resumed["epochs_done"] == 3 and not resumed["stopped_early"]
    assert [h["train_loss"] for h in resumed["history"]] == \
        [h["train_loss"] for h in whole["history"]]
    s1 = torch.load(whole["checkpoint"])["state_dict"]
    s2 = torch.load(resumed["checkpoint"])["state_dict"]
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    log = open(tmp_path / "cut" / "train.log").read()
    assert "resumed after epoch 2" in log
    # a finished run is returned as it is, not trained again
    again = run(cfg("cut"))
    assert again["val_pred"] == resumed["val_pred"]
    # a deadline in the past stops a run after no epoch, and says so
    stopped = run(cfg("late"), deadline=0.0)
    assert stopped["stopped_early"] and stopped["epochs_done"] == 0


def test_weighted_spread():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(7, 4))
    m, s = weighted_spread(y, [0.25] * 4)
    assert np.allclose(m, y.mean(1), atol=1e-15)
    assert np.allclose(s, y.std(1, ddof=1), atol=1e-15)
    m, s = weighted_spread(y, [0.1, 0.2, 0.3, 0.4])
    want = (y * [0.1, 0.2, 0.3, 0.4]).sum(1)
    assert np.allclose(m, want)
    var = ((y - want[:, None]) ** 2 * [0.1, 0.2, 0.3, 0.4]).sum(1) * 4 / 3
    assert np.allclose(s, np.sqrt(var))


def test_plan_counts_every_invocation(tmp_path):
    import json  # noqa: PLC0415
    import time  # noqa: PLC0415

    from migbar_train.em_cpu import Plan  # noqa: PLC0415
    opts = {"budget": 150.0, "seeds": 2, "smoke": False}
    p = Plan(str(tmp_path), opts)
    p.mark("graphs", seconds=1.0)
    p.close()
    # a killed invocation: its last heartbeat says how long it ran
    d = json.load(open(tmp_path / "plan.json"))
    d["invocations"][-1] = [time.time() - 600.0, time.time() - 300.0]
    json.dump(d, open(tmp_path / "plan.json", "w"))
    q = Plan(str(tmp_path), dict(opts, budget=200.0))  # the budget may change
    assert q.done("graphs") and not q.done("plan")
    assert 299.0 < q.spent() < 310.0
    q.close()
    with pytest.raises(SystemExit):
        Plan(str(tmp_path), dict(opts, seeds=3))  # other options may not
