"""The network: BatchNorm folding, batching, atom-order invariance, export round trip,
masked loss, and agreement with the stored parity reference."""

import json
import os

import numpy as np
import pytest
import torch

from conftest import HAVE_LIB, REF_DIR, brute_graph, random_crystal
from migbar_train.export import load_model, save_model
from migbar_train.model import MigbarNet, collate, folded_state, make_config
from migbar_train.train import masked_l1

BAND = dict(embedding=8, hidden=16, alignn_layers=2, gcn_layers=1, norm="affine",
            band_flags=True, pooling="mean+attention", target_mean=[0.9], target_std=[0.7])
CRYSTAL = dict(embedding=8, hidden=12, alignn_layers=1, gcn_layers=1, norm="layernorm",
               band_flags=False, pooling="mean", targets=["a", "b"], target_mean=[1.0, -2.0],
               target_std=[0.5, 3.0], target_units=["x", "y"])


def graphs(n=3, nband=0, natoms=6):
    out = []
    for s in range(n):
        lat, frac, z = random_crystal(s, natoms + s, nband)
        out.append(brute_graph(lat, frac, z, k=6, nband=nband))
    return out


def trained_bn_model():
    torch.manual_seed(0)
    m = MigbarNet(make_config(**BAND)).double()
    m.train()
    with torch.no_grad():
        for _ in range(3):
            m(collate(graphs(3, nband=2)))
    m.eval()
    return m


def test_batchnorm_folding_gives_the_same_eval_outputs():
    m = trained_bn_model()
    assert float(m.atom_mlp.norm.running_var.std()) > 0  # non-trivial statistics
    f = MigbarNet(m.config, folded=True).double()
    f.load_state_dict({k: torch.from_numpy(v) for k, v in folded_state(m).items()})
    f.eval()
    b = collate(graphs(2, nband=2))
    with torch.no_grad():
        np.testing.assert_allclose(f.predict(b).numpy(), m.predict(b).numpy(), rtol=0,
                                   atol=1e-12)


def test_batch_equals_single_graphs():
    m = trained_bn_model()
    gs = graphs(3, nband=2)
    with torch.no_grad():
        together = m.predict(collate(gs)).numpy()
        alone = np.concatenate([m.predict(collate([g])).numpy() for g in gs])
    np.testing.assert_allclose(together, alone, atol=1e-12)


def test_atom_order_is_not_significant():
    torch.manual_seed(1)
    m = MigbarNet(make_config(**BAND)).double().eval()
    lat, frac, z = random_crystal(5, 7, nband=2)
    perm = np.array([1, 0, 5, 2, 6, 4, 3])     # band atoms 0, 1 stay band atoms
    g1 = brute_graph(lat, frac, z, k=6, nband=2)
    g2 = brute_graph(lat, frac[perm], z[perm], k=6, nband=2)
    with torch.no_grad():
        assert abs(float(m.predict(collate([g1]))) - float(m.predict(collate([g2])))) < 1e-12


def test_band_flag_and_attention_matter():
    torch.manual_seed(2)
    m = MigbarNet(make_config(**BAND)).double().eval()
    lat, frac, z = random_crystal(3, 7, nband=2)
    with torch.no_grad():
        y2 = float(m.predict(collate([brute_graph(lat, frac, z, k=6, nband=2)])))
        y3 = float(m.predict(collate([brute_graph(lat, frac, z, k=6, nband=3)])))
    assert abs(y2 - y3) > 1e-6


def test_export_loads_back_identically(tmp_path):
    for cfg in (BAND, CRYSTAL):
        torch.manual_seed(3)
        m = MigbarNet(make_config(**cfg))
        if cfg["norm"] == "affine":
            m.train()
            with torch.no_grad():
                m(collate(graphs(2, nband=2)))
        m.eval()
        p = str(tmp_path / "m.safetensors")
        save_model(m, p, training={"cv": {"mae": float("nan")}})
        back, meta = load_model(p)
        conf = json.loads(meta["migbar.config"])
        assert list(conf) == list(make_config())    # the keys of docs/model.md, in order
        assert conf == m.config
        assert json.loads(meta["migbar.training"]) == {"cv": {"mae": None}}
        assert "migbar.code_revision" in meta and "migbar.created" in meta
        b = collate(graphs(2, nband=2 if cfg["band_flags"] else 0))
        with torch.no_grad():
            np.testing.assert_allclose(back.predict(b).numpy(), m.predict(b).numpy(),
                                       atol=2e-6)
        # a second export of the loaded (folded) model gives the same tensors
        save_model(back, p + "2")
        from migbar_train import safetensors
        t1, _ = safetensors.load(p)
        t2, _ = safetensors.load(p + "2")
        assert all(np.array_equal(t1[k], t2[k]) for k in t1)


def test_masked_loss_ignores_missing_targets():
    pred = torch.tensor([[1.0, 5.0], [2.0, -1.0], [0.0, 0.0]], requires_grad=True)
    target = torch.tensor([[0.0, float("nan")], [0.0, 1.0], [float("nan"), float("nan")]])
    loss = masked_l1(pred, target)
    # property 0: (|1| + |2|) / 2 = 1.5 ; property 1: |-1 - 1| / 1 = 2 ; mean 1.75
    assert abs(float(loss) - 1.75) < 1e-7
    loss.backward()
    g = pred.grad.numpy()
    assert g[0, 1] == 0 and g[2, 0] == 0 and g[2, 1] == 0
    assert g[0, 0] == pytest.approx(0.25) and g[1, 1] == pytest.approx(-0.5)
    pred2 = pred.detach().clone()
    pred2[0, 1] = 1e6
    pred2[2] = -7.0
    assert float(masked_l1(pred2, target)) == pytest.approx(1.75)


@pytest.mark.skipif(not HAVE_LIB, reason="libmigbar not found (MIGBAR_LIBRARY)")
def test_parity_reference_still_reproduced():
    """The stored reference (tests/data/gnn) is what this code computes today."""
    from migbar_train.graph import graph_from_atoms

    path = os.path.join(REF_DIR, "reference.json")
    if not os.path.exists(path):
        pytest.skip("no reference.json")
    with open(path) as f:
        ref = json.load(f)
    assert len(ref["inputs"]) >= 50
    models = {}
    checked = 0
    for rec in ref["inputs"]:
        if rec["natoms"] > 120:
            continue
        if rec["model"] not in models:
            models[rec["model"]] = load_model(os.path.join(REF_DIR, rec["model"]))[0].double()
        g = graph_from_atoms(rec["atoms"], k=ref["k"], nband=rec["nband"])
        assert (len(g["src"]), len(g["ta"])) == (rec["nedges"], rec["ntriplets"])
        with torch.no_grad():
            y = models[rec["model"]].predict(collate([g]))[0].numpy()
        np.testing.assert_allclose(y, rec["output"], atol=1e-9)
        assert np.max(np.abs(np.array(rec["output"]) - rec["output_f32"])) < 1e-5
        checked += 1
    assert checked >= 20
