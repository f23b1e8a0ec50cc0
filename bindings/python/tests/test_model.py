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
import warnings

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


# ---- Ensemble ----------------------------------------------------------------
# tests/data/gnn/ensemble/: ensemble.json joins ../tiny_band.safetensors, member1 and
# member2 (random weights) with std_scale 1.5 and a domain (11 elements, hops up to 5 A);
# reference.json holds the members' outputs on three em bands computed by PyTorch and
# their mean and std (ddof 1) times 1.5 by numpy (tests/data/gnn/ensemble/make_members.py).
# The other reference is the members themselves, loaded as migbar.Model, with numpy.

from migbar.model import (Ensemble, ExtrapolationWarning, default_model_path,  # noqa: E402
                          predict_barrier, predict_barriers)

ENSEMBLE = os.path.join(GNN_DATA, "ensemble", "ensemble.json")
ENSEMBLE_REF = os.path.join(GNN_DATA, "ensemble", "reference.json")
MEMBERS = [BAND_MODEL] + [os.path.join(GNN_DATA, "ensemble", "member%d.safetensors" % k)
                          for k in (1, 2)]


@pytest.fixture(scope="module")
def ensemble():
    with Ensemble.load(_need(ENSEMBLE)) as e:
        yield e


@pytest.fixture(scope="module")
def ensemble_ref():
    with open(_need(ENSEMBLE_REF)) as f:
        ref = json.load(f)
    for c in ref["inputs"]:
        a = c["atoms"]
        c["structure"] = migbar.Structure(a["lattice_mat"], a["coords"], a["elements"],
                                          cartesian=a["cartesian"])
    return ref


def _members_mean_std(fn):
    """numpy mean and sample std (ddof 1) times 1.5 of fn(model) over the members."""
    ys = []
    for path in MEMBERS:
        with migbar.Model.load(path) as m:
            ys.append(fn(m))
    ys = np.array(ys)
    return ys.mean(axis=0), ys.std(axis=0, ddof=1) * 1.5


def test_ensemble_description(ensemble):
    assert len(ensemble) == ensemble.nmembers == 3
    assert ensemble.outputs == ("em",) and ensemble.units == ("eV",)
    assert ensemble.is_band_model
    md = ensemble.manifest
    assert md["format"] == "migbar-ensemble" and md["std_scale"] == 1.5
    assert md["members"][0] == "../tiny_band.safetensors"
    assert "3 members" in repr(ensemble)
    with Ensemble.load(BAND_MODEL) as one:
        assert len(one) == 1 and "migbar.config" in one.manifest


def test_ensemble_equals_members_and_pytorch(ensemble, ensemble_ref):
    structures = [c["structure"] for c in ensemble_ref["inputs"]]
    mean, std = ensemble.predict_batch(structures, nband=5, threads=1)
    ref_mean = np.array([c["mean"] for c in ensemble_ref["inputs"]])
    ref_std = np.array([c["std"] for c in ensemble_ref["inputs"]])
    assert np.abs(mean - ref_mean).max() <= TOL
    assert np.abs(std - ref_std).max() <= TOL
    m_mean, m_std = _members_mean_std(lambda m: m.predict_batch(structures, nband=5))
    assert np.allclose(mean, m_mean, rtol=0, atol=1e-12)
    assert np.allclose(std, m_std, rtol=0, atol=1e-12)
    assert (std > 0.01).all()
    for threads in (2, 0):
        m2, s2 = ensemble.predict_batch(structures, nband=[5, 5, 5], threads=threads)
        assert np.array_equal(m2, mean) and np.array_equal(s2, std)
    e0, s0 = ensemble.predict_batch([], nband=5)
    assert e0.shape == s0.shape == (0, 1)


def test_ensemble_hop_and_predict_barrier(ensemble, tmp_path):
    data = em_entries()
    initial, final = _hop_from_entry(data[7])
    with initial, final:
        mean, std = ensemble.predict_band(initial, final)
        m_mean, m_std = _members_mean_std(lambda m: m.predict_band(initial, final))
        assert abs(mean[0] - m_mean[0]) <= 1e-12 and abs(std[0] - m_std[0]) <= 1e-12
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            # Structures, ase.Atoms and file paths; the model as a path or an Ensemble
            assert predict_barrier(initial, final, model=ENSEMBLE) == (mean[0], std[0])
            assert predict_barrier(initial.to_ase(), final.to_ase(), model=ensemble,
                                   ion=0) == (mean[0], std[0])
            initial.write(str(tmp_path / "POSCAR_initial"), "poscar")
            final.write(str(tmp_path / "POSCAR_final"), "poscar")
            em, sd = predict_barrier(tmp_path / "POSCAR_initial", str(tmp_path / "POSCAR_final"),
                                     model=ENSEMBLE)
            assert abs(em - mean[0]) <= TOL and abs(sd - std[0]) <= TOL
            # a single model: no spread
            with migbar.Model.load(BAND_MODEL) as m:
                em1, sd1 = predict_barrier(initial, final, model=m)
                assert em1 == m.predict_band(initial, final)[0] and sd1 == 0
            # the batch form, over pairs and over bands already built
            ems, sds = predict_barriers([(initial, final)] * 3, model=ENSEMBLE, nthreads=2)
            assert np.array_equal(ems, [mean[0]] * 3) and np.array_equal(sds, [std[0]] * 3)
        with structure_from_entry(data[7]) as band:
            ems, sds = predict_barriers([band, band], model=ensemble, nthreads=2)
        assert np.abs(ems - mean[0]).max() <= 1e-5 and np.abs(sds - std[0]).max() <= 1e-5
        with pytest.raises(migbar.MigbarError):
            predict_barrier(initial, initial, model=ensemble)  # no atom moves
    with pytest.raises(TypeError):
        predict_barrier(1.0, 2.0, model=ensemble)


def _toy_hop(host, dx):
    """A 12 A cubic cell; a Li hops by dx (fractional) along x among O and host atoms."""
    frac = np.array([[0.1, 0.2, 0.2], [0.5, 0.5, 0.5], [0.6, 0.9, 0.1], [0.3, 0.7, 0.8]])
    moved = frac.copy()
    moved[0, 0] += dx
    el = ["Li", "O", host, "O"]
    return (migbar.Structure(np.eye(3) * 12, frac, el), migbar.Structure(np.eye(3) * 12, moved, el))


def test_ensemble_extrapolation_warnings(ensemble):
    a, b = _toy_hop("Fe", 0.25)  # all elements in the domain, a 3 A hop
    assert ensemble.check_hop(a, b) == []
    a, b = _toy_hop("Xe", 0.45)  # Xe is not in the domain, a 5.4 A hop is longer than 5 A
    notes = ensemble.check_hop(a, b, ion=0)
    assert len(notes) == 2
    assert "element Xe is absent" in notes[0] and "5.40 A" in notes[1]
    with pytest.warns(ExtrapolationWarning, match="Xe"):
        em, std = predict_barrier(a, b, model=ensemble)
    assert np.isfinite(em) and std > 0
    with pytest.warns(ExtrapolationWarning, match="pair 1: .*5.40 A"):
        predict_barriers([_toy_hop("Fe", 0.25), (a, b)], model=ensemble)
    with pytest.raises(migbar.MigbarError) as e:
        ensemble.check_hop(a, a)
    assert e.value.status == _lib.MB_ERR_GEOMETRY


def test_ensemble_errors(tmp_path):
    def manifest(name, **keys):
        d = {"format": "migbar-ensemble", "version": 1, "members": MEMBERS}
        d.update(keys)
        p = tmp_path / name
        p.write_text(json.dumps(d))
        return str(p)
    with pytest.raises(migbar.MigbarError) as e:
        Ensemble.load(manifest("a.json", members=[MEMBERS[0], "missing.safetensors"]))
    assert e.value.status == _lib.MB_ERR_IO and "missing.safetensors" in e.value.message
    with pytest.raises(migbar.MigbarError) as e:
        Ensemble.load(manifest("b.json", format="something-else"))
    assert e.value.status == _lib.MB_ERR_MODEL and "'format'" in e.value.message
    with pytest.raises(migbar.MigbarError) as e:
        Ensemble.load(manifest("c.json", members=[]))
    assert e.value.status == _lib.MB_ERR_MODEL
    with pytest.raises(migbar.MigbarError) as e:
        Ensemble.load(manifest("d.json", members=[MEMBERS[0], MPT_MODEL]))
    assert e.value.status == _lib.MB_ERR_MODEL and "member 1" in e.value.message
    with pytest.raises(migbar.MigbarError) as e:
        Ensemble.load(str(tmp_path / "none.json"))
    assert e.value.status == _lib.MB_ERR_IO
    # std_scale: absent is 1
    with Ensemble.load(manifest("e.json")) as e1, Ensemble.load(ENSEMBLE) as e15:
        with structure_from_entry(em_entries()[0]) as s:
            (m1, s1), (m15, s15) = e1.predict_batch([s], 5), e15.predict_batch([s], 5)
    assert m1[0, 0] == m15[0, 0] and abs(s15[0, 0] - 1.5 * s1[0, 0]) <= 1e-12


def test_default_model_path(monkeypatch, tmp_path):
    monkeypatch.setenv("MIGBAR_MODEL", ENSEMBLE)
    assert default_model_path() == ENSEMBLE
    a, b = _toy_hop("Fe", 0.25)
    with a, b:
        assert predict_barrier(a, b) == predict_barrier(a, b, model=ENSEMBLE)
    monkeypatch.setenv("MIGBAR_MODEL", str(tmp_path / "nowhere.json"))
    with pytest.raises(migbar.MigbarError) as e:
        Ensemble.load(default_model_path())
    assert "nowhere.json" in e.value.message
    monkeypatch.delenv("MIGBAR_MODEL")
    try:
        path = default_model_path()
    except FileNotFoundError as e:
        assert "MIGBAR_MODEL" in str(e) and "model=" in str(e)
    else:
        assert path.endswith(os.path.join("models", "em", "ensemble.json"))


# ---- the shipped E_m model (models/em) ---------------------------------------------------

SHIPPED = os.path.join(SRCDIR, "models", "em")


def test_shipped_model_is_the_default_and_matches_its_check_file(monkeypatch):
    """predict_barrier without a model uses models/em; its outputs on the stored training
    bands are those of the training pipeline (check.json, written by ship.py)."""
    monkeypatch.delenv("MIGBAR_MODEL", raising=False)
    manifest = os.path.normpath(os.path.join(SHIPPED, "ensemble.json"))
    if not os.path.exists(manifest):
        pytest.fail("models/em/ensemble.json is missing: the shipped model must be in the tree")
    assert os.path.samefile(default_model_path(), manifest)
    with open(os.path.join(SHIPPED, "check.json")) as f:
        check = json.load(f)
    entry = check["entries"][0]
    lat = np.asarray(entry["atoms"]["lattice_mat"], dtype=float)
    frac = np.asarray(entry["atoms"]["coords"], dtype=float)
    els = entry["atoms"]["elements"]
    host = list(range(5, len(els)))
    with migbar.Structure(lat, frac[[0] + host], [els[0]] + [els[i] for i in host]) as a, \
            migbar.Structure(lat, frac[[4] + host], [els[4]] + [els[i] for i in host]) as b:
        em, std = predict_barrier(a, b, ion=0)
    assert abs(em - entry["mean"]) <= 1e-3 and abs(std - entry["std"]) <= 1e-3
    assert std > 0
    # the example hop of the README
    ex = os.path.join(SRCDIR, "examples", "LiFePO4")
    em, std = predict_barrier(os.path.join(ex, "POSCAR_initial"), os.path.join(ex, "POSCAR_final"))
    assert 0.0 < em < 3.0 and std > 0
