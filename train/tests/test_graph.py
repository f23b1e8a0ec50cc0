"""Graph building (docs/model.md section 1) against a brute-force construction written
here from the text of the contract: all periodic images in a +-3 cell box, k nearest
with ties within 1e-8 A, both directions, duplicates removed, line graph by definition."""

import numpy as np
import pytest

from conftest import HAVE_LIB, brute_pairs
from migbar_train.graph import build_graph, edges_from_pairs, line_graph

pytestmark = pytest.mark.skipif(not HAVE_LIB, reason="libmigbar not found (MIGBAR_LIBRARY)")

LAT = np.array([[3.1, 0.0, 0.0], [0.7, 2.9, 0.0], [0.4, -0.5, 3.6]])
FRAC = np.array([[0.0, 0.0, 0.0], [0.31, 0.52, 0.13], [0.77, 0.18, 0.61]])
SYMS = ["Li", "O", "Fe"]


def brute_edges(lat, frac, k):
    """{(src, dst, sx, sy, sz): r} from the brute-force pairs, per section 1.2."""
    i, j, s, v = brute_pairs(lat, frac, k)
    edges = {}
    for a, b, sh, vec in zip(i, j, s, v):
        edges[(int(b), int(a)) + tuple(int(x) for x in sh)] = -vec   # j (image S) -> i
        edges[(int(a), int(b)) + tuple(-int(x) for x in sh)] = vec   # i (image -S) -> j
    return edges


@pytest.mark.parametrize("k", [1, 4, 12])
def test_edges_match_brute_force(k):
    g = build_graph(LAT, FRAC, SYMS, cartesian=False, k=k)
    want = brute_edges(LAT, FRAC, k)
    got = {(int(s), int(d)) + tuple(int(x) for x in sh): r
           for s, d, sh, r in zip(g["src"], g["dst"], g["shift"], g["r"])}
    assert len(got) == len(g["src"]), "duplicate edges left"
    assert set(got) == set(want)
    for key, r in got.items():
        np.testing.assert_allclose(r, want[key], atol=1e-9)


def test_edge_vectors_and_reverse_edges():
    g = build_graph(LAT, FRAC, SYMS, k=12)
    pos = FRAC @ LAT
    # r points from the source image to the destination atom
    np.testing.assert_allclose(g["r"], pos[g["dst"]] - pos[g["src"]] - g["shift"] @ LAT,
                               atol=1e-9)
    keys = {(int(s), int(d)) + tuple(int(x) for x in sh)
            for s, d, sh in zip(g["src"], g["dst"], g["shift"])}
    for s, d, sh in zip(g["src"], g["dst"], g["shift"]):
        assert (int(d), int(s)) + tuple(-int(x) for x in sh) in keys


def test_line_graph_by_definition():
    g = build_graph(LAT, FRAC, SYMS, k=5)
    src, dst, r = g["src"], g["dst"], g["r"]
    want = {}
    for a in range(len(src)):
        for b in range(len(src)):
            if dst[a] == src[b]:
                want[(a, b)] = -r[a] @ r[b] / (np.linalg.norm(r[a]) * np.linalg.norm(r[b]))
    got = {(int(a), int(b)): c for a, b, c in zip(g["ta"], g["tb"], g["cos"])}
    assert len(got) == len(g["ta"]) == len(want)
    for key, c in got.items():
        assert abs(c - want[key]) < 1e-12
    # backtracking pairs (u -> v -> u through the reverse edge) are in and have cos = 1
    deg = np.bincount(src, minlength=3)
    assert len(g["ta"]) == int((deg * deg).sum())


def test_duplicate_pairs_kept_once():
    # a pair listed from both atoms gives the same two edges twice
    i = np.array([0, 1])
    j = np.array([1, 0])
    shift = np.array([[0, 0, 1], [0, 0, -1]])
    v = np.array([[0.5, 0.0, 2.0], [-0.5, 0.0, -2.0]])
    src, dst, sh, r = edges_from_pairs(i, j, shift, v)
    assert len(src) == 2
    ta, tb, cos = line_graph(src, dst, r, 2)
    assert len(ta) == 2 and np.allclose(cos, 1.0)


def test_band_order_irrelevant_for_sizes():
    # permuting atoms permutes the graph: same numbers of edges and triplets
    perm = [2, 0, 1]
    g1 = build_graph(LAT, FRAC, SYMS, k=12)
    g2 = build_graph(LAT, FRAC[perm], [SYMS[p] for p in perm], k=12)
    assert len(g1["src"]) == len(g2["src"]) and len(g1["ta"]) == len(g2["ta"])
    assert np.allclose(np.sort(g1["cos"]), np.sort(g2["cos"]), atol=1e-12)
