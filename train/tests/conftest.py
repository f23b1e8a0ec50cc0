"""Test set-up: import migbar_train from train/, and find libmigbar (MIGBAR_LIBRARY, else
a build directory of the repository); the graph tests are skipped without it."""

import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.dirname(HERE)
REPO = os.path.dirname(TRAIN)
sys.path.insert(0, TRAIN)
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))

if not os.environ.get("MIGBAR_LIBRARY"):
    for cand in sorted(glob.glob(os.path.join(REPO, "build*", "lib", ".libs", "libmigbar.so"))):
        os.environ["MIGBAR_LIBRARY"] = cand
        break

DATA_DIR = os.environ.get("MIGBAR_DATA", os.path.join(REPO, "..", "shared", "data"))
REF_DIR = os.path.join(REPO, "tests", "data", "gnn")


def have_library():
    try:
        from migbar_train import graph
        graph.knn_pairs([[3, 0, 0], [0, 3, 0], [0, 0, 3]], [[0, 0, 0]], ["H"], False, 2)
        return True
    except Exception:  # noqa: BLE001 - any failure to load means: no library here
        return False


HAVE_LIB = have_library()
HAVE_DATA = os.path.exists(os.path.join(DATA_DIR, "em", "train.json"))


def brute_pairs(lat, frac, k):
    """Pure-numpy k-nearest-neighbour pairs (i, j, shift, vector): all images in a
    +-3 cell box, ties with the k-th within 1e-8 A included (docs/model.md 1.1)."""
    import itertools

    import numpy as np

    lat, frac = np.asarray(lat, float), np.asarray(frac, float)
    pos = frac @ lat
    shifts = np.array(list(itertools.product(range(-3, 4), repeat=3)))
    I, J, S, V = [], [], [], []
    for i in range(len(pos)):
        v = (pos[None, :, :] + (shifts @ lat)[:, None, :] - pos[i]).reshape(-1, 3)
        jj = np.tile(np.arange(len(pos)), len(shifts))
        ss = np.repeat(shifts, len(pos), axis=0)
        d = np.linalg.norm(v, axis=1)
        keep = d > 1e-12
        v, jj, ss, d = v[keep], jj[keep], ss[keep], d[keep]
        dk = np.sort(d)[k - 1]
        sel = d <= dk + 1e-8
        I += [i] * int(sel.sum())
        J += jj[sel].tolist()
        S += ss[sel].tolist()
        V += v[sel].tolist()
    return np.array(I), np.array(J), np.array(S), np.array(V)


def brute_graph(lat, frac, numbers, k=12, nband=0):
    """A graph dict as graph.build_graph makes it, without libmigbar."""
    import numpy as np

    from migbar_train.graph import edges_from_pairs, line_graph

    i, j, s, v = brute_pairs(lat, frac, k)
    src, dst, sh, r = edges_from_pairs(i, j, s, v)
    ta, tb, cos = line_graph(src, dst, r, len(numbers))
    return {"z": np.asarray(numbers, dtype=np.int64), "nband": nband, "src": src, "dst": dst,
            "shift": sh, "r": r, "ta": ta, "tb": tb, "cos": cos}


def random_crystal(seed, natoms, nband=0):
    """A random small cell (numpy only); band atoms get the same element."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lat = np.diag(rng.uniform(3.5, 5.0, 3)) + rng.uniform(-0.4, 0.4, (3, 3))
    frac = rng.uniform(0, 1, (natoms, 3))
    numbers = rng.integers(1, 60, natoms)
    numbers[:nband] = 3
    return lat, frac, numbers
