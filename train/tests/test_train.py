"""Short training runs on the real data (CPU, tiny model): the loss goes down, the same
config and seed give the same model, pre-training feeds fine-tuning, the run
directory has its log."""

import json
import os

import numpy as np
import pytest
import torch

from conftest import DATA_DIR, HAVE_DATA, HAVE_LIB
from migbar_train.data import stratified_folds
from migbar_train.train import load_config, run

pytestmark = pytest.mark.skipif(not (HAVE_LIB and HAVE_DATA),
                                reason="needs libmigbar and ../shared/data")

TINY = {"embedding": 8, "hidden": 16, "alignn_layers": 1, "gcn_layers": 1}


def cfg_for(tmp_path, name, **over):
    cfg = load_config()
    cfg.update({"data_dir": DATA_DIR, "cache_dir": str(tmp_path / "cache"),
                "run_dir": str(tmp_path / name), "model": dict(TINY), "device": "cpu",
                "num_threads": 1, "seed": 7})
    cfg.update(over)
    return cfg


def test_finetune_loss_decreases_and_is_reproducible(tmp_path):
    over = dict(task="finetune", max_entries=20, epochs=2, batch_size=4, lr=3e-3,
                val_fraction=0.2)
    r1 = run(cfg_for(tmp_path, "a", **over))
    r2 = run(cfg_for(tmp_path, "b", **over))
    losses = [h["train_loss"] for h in r1["history"]]
    assert losses[-1] < losses[0]
    assert [h["train_loss"] for h in r2["history"]] == losses
    s1 = torch.load(r1["checkpoint"])["state_dict"]
    s2 = torch.load(r2["checkpoint"])["state_dict"]
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    lines = [json.loads(x) for x in open(os.path.join(tmp_path, "a", "train.log"))]
    assert lines[0]["event"] == "config" and lines[-1]["event"] == "done"
    assert sum(x.get("event") == "epoch" for x in lines) == 2
    assert all("seconds" in x for x in lines if x.get("event") == "epoch")
    # the graph cache was written once and reused
    assert len(os.listdir(tmp_path / "cache")) == 1
    r3 = run(cfg_for(tmp_path, "c", **dict(over, seed=8)))
    assert [h["train_loss"] for h in r3["history"]] != losses


def test_pretrain_then_finetune(tmp_path):
    pre = run(cfg_for(tmp_path, "pre", task="pretrain", max_entries=3, epochs=2,
                      batch_size=7, val_fraction=0.0))
    ck = torch.load(pre["checkpoint"])
    assert ck["config"]["targets"] == ["bg", "fe", "gv", "ebg", "ph", "dc", "pz"]
    assert ck["config"]["band_flags"] is False and ck["config"]["pooling"] == "mean"
    ft = run(cfg_for(tmp_path, "ft", task="finetune", max_entries=12, epochs=1, batch_size=4,
                     val_fraction=0.25, init_checkpoint=pre["checkpoint"]))
    ck2 = torch.load(ft["checkpoint"])
    # pre-trained layers were copied (then trained); the band column started at zero
    assert ck2["config"]["band_flags"] is True
    assert ck2["training"]["pretrained"]["task"] == "pretrain"
    assert np.isfinite(ft["val_mae"][0])


def test_stratified_folds():
    labels = ["A"] * 10 + ["B"] * 5 + ["C"] * 3
    folds = stratified_folds(labels, 5, seed=0)
    assert sorted(i for f in folds for i in f) == list(range(18))
    for f in folds:
        assert sum(labels[i] == "A" for i in f) == 2
        assert sum(labels[i] == "B" for i in f) == 1
    assert stratified_folds(labels, 5, seed=0) == folds
