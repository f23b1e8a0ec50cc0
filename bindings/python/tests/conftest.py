"""Shared fixtures: reference structures and the data directories.

Environment (set by `make check`, all optional here): MIGBAR_LIBRARY, MB_SRCDIR,
MB_TEST_DATA, MB_SHARED_DATA.
"""

import functools
import json
import os

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("MB_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", "..", ".."))
SHARED_DATA = os.environ.get("MB_SHARED_DATA") or os.path.join(SRCDIR, "..", "shared", "data")
EM_TRAIN = os.path.join(SHARED_DATA, "em", "train.json")

# Rock-salt NaCl, conventional cubic cell, a = 5.64 A, atoms in the order of
# ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True) (ASE 3.22.1).
NACL_A = 5.64
NACL_FRAC = np.array([[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0.5], [0.5, 0.5, 0.5],
                      [0.5, 0, 0.5], [0, 0, 0.5], [0.5, 0.5, 0], [0, 0.5, 0]])
NACL_SYMBOLS = ["Na", "Cl"] * 4
# References from ASE 3.22.1 for that Atoms object: get_volume(), and
# masses.sum() / volume * 1.66053906660 (u/A^3 -> g/cm^3; ASE's masses are IUPAC's).
NACL_VOLUME = 179.406144
NACL_DENSITY = 2.1636164240290587


@pytest.fixture
def nacl():
    import migbar
    with migbar.Structure(np.eye(3) * NACL_A, NACL_FRAC, NACL_SYMBOLS) as s:
        yield s


def random_triclinic(seed=7, natoms=20):
    """A random triclinic cell (angles far from 90 deg) with natoms atoms of
    mixed species, as (lattice, fractional positions, numbers); fresh copies."""
    return tuple(a.copy() for a in _random_triclinic(seed, natoms))


@functools.lru_cache(maxsize=None)
def _random_triclinic(seed, natoms):
    rng = np.random.default_rng(seed)
    lattice = np.array([[6.1, 0.0, 0.0], [1.9, 5.7, 0.0], [-1.3, 2.2, 6.6]])
    lattice += rng.uniform(-0.3, 0.3, (3, 3))
    while True:  # keep atoms at least 1 A apart, as in a real crystal
        frac = rng.uniform(0, 1, (natoms, 3))
        cart = frac @ lattice
        if _min_distance(cart, lattice) > 1.0:
            break
    numbers = rng.choice([3, 8, 15, 26, 25, 11], natoms)
    return lattice, frac, numbers


def frac_close(a, b, atol):
    """Fractional coordinates equal modulo lattice translations, within atol."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d -= np.round(d)
    return np.abs(d).max() <= atol


def cellpar(lattice):
    """a, b, c (A), alpha, beta, gamma (deg) of a lattice given as rows."""
    lattice = np.asarray(lattice, dtype=float)
    lengths = np.linalg.norm(lattice, axis=1)

    def angle(u, v):
        return np.degrees(np.arccos(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v)))
    return np.array(list(lengths) + [angle(lattice[1], lattice[2]),
                                     angle(lattice[0], lattice[2]),
                                     angle(lattice[0], lattice[1])])


def _min_distance(cart, lattice):
    """Shortest distance between distinct atoms over the 125 nearest images (ample
    for the cells made here)."""
    n = np.arange(-2, 3)
    images = np.array(np.meshgrid(n, n, n)).reshape(3, -1).T @ lattice
    v = cart[None, :, None, :] - cart[:, None, None, :] + images[None, None, :, :]
    d = np.linalg.norm(v, axis=-1).min(axis=-1)
    return d[np.triu_indices(len(cart), 1)].min()


@pytest.fixture
def triclinic():
    import migbar
    lattice, frac, numbers = random_triclinic()
    with migbar.Structure(lattice, frac, numbers) as s:
        yield s


def em_entries(count=None):
    """Entries of the shared migration-barrier training set (skips when absent)."""
    if not os.path.exists(EM_TRAIN):
        pytest.skip("shared data %s is absent" % EM_TRAIN)
    with open(EM_TRAIN) as f:
        data = json.load(f)
    return data if count is None else data[:count]


@pytest.fixture(scope="session")
def em_data():
    return em_entries()


def em_index(data, sys_name):
    return next(k for k, e in enumerate(data) if e["sys_name"] == sys_name)


def structure_from_entry(entry):
    import migbar
    a = entry["atoms"]
    return migbar.Structure(a["lattice_mat"], a["coords"], a["elements"],
                            cartesian=a["cartesian"])


@pytest.fixture(params=["entry0", "O-LiFePO4"])
def em_structure(request, em_data):
    """Entry 0 of em/train.json (Li4P2S7, 211 atoms) and the olivine LiFePO4 entry
    (115 atoms) as Structures."""
    k = 0 if request.param == "entry0" else em_index(em_data, request.param)
    with structure_from_entry(em_data[k]) as s:
        yield s


def in_child(test):
    """Run a test in a forked child process, so that a crash (a regression of a memory
    safety fix: SIGSEGV, or glibc's abort on a corrupted heap) fails this test alone
    instead of ending the whole session. The child's exit status carries the result;
    its traceback goes to stderr, which pytest shows."""
    import traceback

    @functools.wraps(test)
    def run(*args, **kwargs):
        import sys
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                test(*args, **kwargs)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            pytest.fail("%s crashed (signal %d)" % (test.__name__, os.WTERMSIG(status)))
        assert os.WEXITSTATUS(status) == 0, \
            "%s failed in its child process (traceback in the captured stderr)" % test.__name__
    return run
