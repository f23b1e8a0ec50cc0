"""migbar.Graph and migbar.Model (docs/model.md).

Graph: the arrays agree with the sizes, every edge vector is the displacement
from the source atom (in some periodic image) to the destination, the edge set is
exactly the two directions of the k-nearest-neighbour pairs (checked against
migbar.NeighborList, itself tested against brute force), triplets join edges
that meet at an atom and carry the bond-angle cosine computed here with numpy.

Model: predictions equal the PyTorch pipeline's stored outputs
(tests/data/gnn/reference.json, written by train/migbar_train/make_reference.py from the
same safetensors files) within 1e-4 in target units; predict_band on an initial and a final
structure made from an em entry equals predict(entry, nband=5); batches agree
with single predictions for any number of threads; errors raise MigbarError.
"""

import json
import os

import numpy as np
import pytest

import migbar
from migbar import _lib

from conftest import SRCDIR, em_entries, structure_from_entry

TEST_DATA = os.environ.get("MB_TEST_DATA") or os.path.join(SRCDIR, "tests", "data")
GNN_DATA = os.path.join(TEST_DATA, "gnn")
BAND_MODEL = os.path.join(GNN_DATA, "tiny_band.safetensors")
MPT_MODEL = os.path.join(GNN_DATA, "tiny_mpt.safetensors")
REFERENCE = os.path.join(GNN_DATA, "reference.json")
TOL = 1e-4  # target units (eV for em), docs/model.md


# ---- Graph -------------------------------------------------------------------

def _edge_set(src, dst, vector):
    return {(int(s), int(d)) + tuple(np.round(v, 6) + 0.0) for s, d, v in zip(src, dst, vector)}


@pytest.mark.parametrize("k", [1, 4, 12])
def test_graph_matches_neighbor_list(triclinic, k):
    with migbar.Graph(triclinic, k=k) as g:
        n = triclinic.natoms
        assert g.natoms == n
        assert g.src.shape == g.dst.shape == (g.nedges,)
        assert g.vector.shape == (g.nedges, 3)
        assert g.triplet_a.shape == g.triplet_b.shape == g.cosine.shape == (g.ntriplets,)
        assert g.src.min() >= 0 and g.src.max() < n and g.dst.min() >= 0 and g.dst.max() < n

        # Edge vectors point src -> dst: r_dst - r_src + S.L with S integer.
        pos, lat = triclinic.positions, triclinic.lattice
        shift = (g.vector - (pos[g.dst] - pos[g.src])) @ np.linalg.inv(lat)
        assert np.abs(shift - np.round(shift)).max() < 1e-8

        # The edges are the pairs of the kNN list, both ways, each once.
        nl = triclinic.neighbors(k=k)
        expect = _edge_set(nl.j, nl.i, -nl.vector) | _edge_set(nl.i, nl.j, nl.vector)
        got = _edge_set(g.src, g.dst, g.vector)
        assert len(got) == g.nedges, "an edge appears twice"
        assert got == expect
        # Every atom receives at least its k nearest neighbours.
        assert np.bincount(g.dst, minlength=n).min() >= k


def test_graph_triplets(nacl):
    with migbar.Graph(nacl, k=12, nband=2) as g:
        assert g.nband == 2
        a, b = g.triplet_a, g.triplet_b
        assert a.min() >= 0 and a.max() < g.nedges and b.min() >= 0 and b.max() < g.nedges
        assert np.array_equal(g.dst[a], g.src[b])
        ra, rb = g.vector[a], g.vector[b]
        cos = -(ra * rb).sum(1) / np.linalg.norm(ra, axis=1) / np.linalg.norm(rb, axis=1)
        assert np.allclose(g.cosine, cos, atol=1e-12)
        # Every pair (a -> v -> b) is there, backtracking included: T = sum_v in(v) out(v).
        indeg = np.bincount(g.dst, minlength=g.natoms)
        outdeg = np.bincount(g.src, minlength=g.natoms)
        assert g.ntriplets == int((indeg * outdeg).sum())
        assert len({(int(x), int(y)) for x, y in zip(a, b)}) == g.ntriplets
        # Rock salt, a = 5.64 A: 6 neighbours at a/2 and 12 tied at a/sqrt(2), so
        # k = 12 keeps all 18 (ties are kept) and edges are 2.82 or 3.988 A long.
        d = g.distance
        assert np.allclose(np.sort(np.unique(np.round(d, 6))), [2.82, round(5.64 / 2**0.5, 6)])
        assert np.bincount(g.dst).min() == 18


def test_graph_arrays_outlive_close(nacl):
    g = migbar.Graph(nacl, k=2)
    g.close()
    g.close()
    assert len(g.src) == g.nedges > 0
    assert not g.src.flags.writeable
    assert "edges" in repr(g)


def test_graph_errors(nacl):
    with pytest.raises(migbar.MigbarError) as e:
        migbar.Graph(nacl, k=0)
    assert e.value.status == _lib.MB_ERR_INVALID_ARG
    with pytest.raises(migbar.MigbarError):
        migbar.Graph(nacl, k=4, nband=9)  # NaCl has 8 atoms
    with pytest.raises(migbar.MigbarError):
        migbar.Graph(nacl, k=4, nband=-1)


# ---- Model -------------------------------------------------------------------

def _need(path):
    if not os.path.exists(path):
        pytest.skip("%s is not there yet (written by the PyTorch pipeline, train/)" % path)
    return path


@pytest.fixture(scope="module")
def band_model():
    with migbar.Model.load(_need(BAND_MODEL)) as m:
        yield m


@pytest.fixture(scope="module")
def mpt_model():
    with migbar.Model.load(_need(MPT_MODEL)) as m:
        yield m


@pytest.fixture(scope="module")
def reference():
    with open(_need(REFERENCE)) as f:
        return json.load(f)


def _reference_inputs(reference, model_file=None):
    """The inputs of reference.json (all, or those of one model file), each with
    its structure as a migbar.Structure under "structure"."""
    out = []
    for c in reference["inputs"]:
        if model_file is not None and c["model"] != model_file:
            continue
        a = c["atoms"]
        s = migbar.Structure(a["lattice_mat"], a["coords"], a["elements"],
                             cartesian=a["cartesian"])
        out.append(dict(c, structure=s))
    assert out, "reference.json has no inputs for %s" % model_file
    return out


def test_graph_sizes_equal_pytorch_pipeline(reference):
    # train/migbar_train/graph.py builds the same graph independently (k = 12).
    assert reference["k"] == 12
    for c in _reference_inputs(reference):
        with c["structure"] as s, migbar.Graph(s, k=12, nband=c["nband"]) as g:
            assert (g.natoms, g.nedges, g.ntriplets) == \
                (c["natoms"], c["nedges"], c["ntriplets"]), c["source"]


def test_band_model_description(band_model):
    assert band_model.is_band_model
    assert band_model.outputs[0] == "em"
    assert band_model.noutputs == len(band_model.outputs) >= 1
    md = band_model.metadata
    assert isinstance(md, dict)
    assert band_model.config.get("pooling") == "mean+attention"
    assert band_model.units[0] == "eV"
    assert "band" in repr(band_model)


def test_mpt_model_description(mpt_model):
    assert not mpt_model.is_band_model
    assert len(mpt_model.units) == mpt_model.noutputs >= 1
    assert mpt_model.config.get("pooling") == "mean"


@pytest.mark.parametrize("model_file", ["tiny_band.safetensors", "tiny_mpt.safetensors"])
def test_outputs_equal_pytorch_reference(reference, model_file):
    assert reference["tolerance"] == TOL
    with migbar.Model.load(_need(os.path.join(GNN_DATA, model_file))) as m:
        for c in _reference_inputs(reference, model_file):
            with c["structure"] as s:
                got = m.predict(s, nband=c["nband"])
            expected = np.asarray(c["output"], dtype=float)
            assert got.shape == (m.noutputs,) == expected.shape
            assert np.abs(got - expected).max() <= TOL, (c["source"], got, expected)


def _hop_from_entry(entry):
    """Initial and final structures of an em entry: the host plus the ion at image 0
    (initial) or image 4 (final), as docs/model.md, section 4 describes the band."""
    a = entry["atoms"]
    lat = np.asarray(a["lattice_mat"], dtype=float)
    pos = np.asarray(a["coords"], dtype=float)
    if not a["cartesian"]:
        pos = pos @ lat
    el = list(a["elements"])
    assert len(set(el[:5])) == 1, "the first five atoms of an em entry are the images"
    host_pos, host_el = pos[5:], el[5:]
    initial = migbar.Structure(lat, np.vstack([pos[:1], host_pos]), el[:1] + host_el,
                               cartesian=True)
    final = migbar.Structure(lat, np.vstack([pos[4:5], host_pos]), el[:1] + host_el,
                             cartesian=True)
    return initial, final


def test_predict_band_equals_prebuilt_band(band_model, tmp_path):
    data = em_entries()
    for k in (0, 7, 42):
        with structure_from_entry(data[k]) as s:
            ref = band_model.predict(s, nband=5)
        initial, final = _hop_from_entry(data[k])
        with initial, final:
            got = band_model.predict_band(initial, final)
            got_ion = band_model.predict_band(initial, final, ion=0)
            # The same hop through POSCAR files (written and read back by libmigbar).
            initial.write(str(tmp_path / "POSCAR_initial"), "poscar")
            final.write(str(tmp_path / "POSCAR_final"), "poscar")
        with migbar.Structure.read(str(tmp_path / "POSCAR_initial")) as pi, \
                migbar.Structure.read(str(tmp_path / "POSCAR_final")) as pf:
            got_files = band_model.predict_band(pi, pf)
        assert np.abs(got - ref).max() <= TOL, (k, got, ref)
        assert np.array_equal(got, got_ion)
        assert np.abs(got_files - ref).max() <= TOL, (k, got_files, ref)


def test_batch_equals_single(band_model):
    data = em_entries()
    structures = [structure_from_entry(data[k]) for k in range(6)]
    single = np.array([band_model.predict(s, nband=5) for s in structures])
    for threads in (1, 2, 0):
        batch = band_model.predict_batch(structures, nband=5, threads=threads)
        assert batch.shape == (6, band_model.noutputs)
        assert np.array_equal(batch, single), threads
    per = band_model.predict_batch(structures, nband=[5] * 6, threads=2)
    assert np.array_equal(per, single)
    assert band_model.predict_batch([], nband=5).shape == (0, band_model.noutputs)
    with pytest.raises(ValueError):
        band_model.predict_batch(structures, nband=[5, 5])
    for s in structures:
        s.close()


def test_crystal_batch(mpt_model, nacl, triclinic):
    single = np.array([mpt_model.predict(nacl), mpt_model.predict(triclinic)])
    assert np.array_equal(mpt_model.predict_batch([nacl, triclinic], threads=2), single)
    assert np.isfinite(single).all()


def test_model_errors(tmp_path, band_model, nacl):
    with pytest.raises(migbar.MigbarError) as e:
        migbar.Model.load(str(tmp_path / "missing.safetensors"))
    assert e.value.status == _lib.MB_ERR_IO
    assert "missing.safetensors" in e.value.message
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(migbar.MigbarError) as e:
        migbar.Model.load(str(bad))
    assert "bad.safetensors" in e.value.message
    with pytest.raises(migbar.MigbarError):
        band_model.predict(nacl, nband=9)  # more band atoms than atoms
    with pytest.raises(migbar.MigbarError):
        band_model.predict_band(nacl, nacl)  # no atom moves
    m = migbar.Model.load(BAND_MODEL)
    m.close()
    with pytest.raises(ValueError):
        m.predict(nacl, nband=0)
