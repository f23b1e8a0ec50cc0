"""safetensors writer/reader: layout of the format (8-byte little-endian header length,
JSON header, F32 little-endian data), round trip, and refusal of broken files."""

import json
import struct

import numpy as np
import pytest

from migbar_train import safetensors
from migbar_train.model import MigbarNet, expected_shapes, folded_state, make_config


def test_round_trip_and_layout(tmp_path):
    p = tmp_path / "a.safetensors"
    t = {"b.weight": np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
         "a.bias": np.array([1.5, -2.25], dtype=np.float32)}
    safetensors.save(p, t, {"migbar.config": "{}", "x": "y"})
    raw = p.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"migbar.config": "{}", "x": "y"}
    assert header["a.bias"] == {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    assert header["b.weight"]["data_offsets"] == [8, 32]
    assert len(raw) == 8 + n + 32
    # row-major float32 little-endian
    assert np.frombuffer(raw[8 + n + 8:8 + n + 32], "<f4").tolist() == \
        (np.arange(6) / 7).astype(np.float32).tolist()
    back, meta = safetensors.load(p)
    assert meta["x"] == "y"
    np.testing.assert_array_equal(back["b.weight"], t["b.weight"].astype(np.float32))
    assert back["b.weight"].shape == (2, 3) and back["a.bias"].dtype == np.float32


def _write_raw(path, header, body):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


def test_refuses_broken_files(tmp_path):
    p = tmp_path / "bad.safetensors"
    _write_raw(p, {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                   "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12))
    with pytest.raises(ValueError, match="overlap"):
        safetensors.load(p)
    _write_raw(p, {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8))
    with pytest.raises(ValueError, match="tensor a"):
        safetensors.load(p)
    with pytest.raises(TypeError):
        safetensors.save(p, {"a": np.zeros(1)}, {"k": 1})


@pytest.mark.parametrize("over", [{}, {"norm": "layernorm", "band_flags": False,
                                       "pooling": "mean", "targets": ["a", "b"],
                                       "target_mean": [0, 0], "target_std": [1, 1],
                                       "target_units": ["x", "y"]}])
def test_exported_names_and_shapes_follow_the_contract(over):
    cfg = make_config(embedding=8, hidden=12, alignn_layers=2, gcn_layers=1, **over)
    st = folded_state(MigbarNet(cfg))
    want = expected_shapes(cfg)
    assert set(st) == set(want)
    for name, shape in want.items():
        assert tuple(st[name].shape) == tuple(shape), name
    assert ("attention.weight" in want) == (cfg["pooling"] == "mean+attention")
    assert want["atom_mlp.linear.weight"] == (12, 8 + (1 if cfg["band_flags"] else 0))
    assert want["head.weight"][1] == (24 if cfg["pooling"] == "mean+attention" else 12)
