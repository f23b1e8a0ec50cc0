"""Hand-made descriptors of one migration hop (an em/train.json entry), for the
random-forest baseline and as a sanity check of the data. numpy only.

The entry layout is that of ../shared/data/em (docs/model.md section 4): atoms 0..4 are
the migrating ion at 5 equally spaced images of a straight path, atoms 5.. the host (the
moving ion excluded; other ions of the same element are host atoms). Distances are
minimum-image: each host atom counts once, at its periodic image nearest to the point.

Feature sets (cumulative):
  "issue"  host composition (fraction of each element over the host atoms, elements of
           the data), ion type one-hot, hop length, volume per atom, the 6 nearest host
           distances at the hop midpoint: the set of the issue's 0.30 eV baseline.
  "path"   + the nearest host distance at each of the 5 band images, the bottleneck
           (smallest nearest-host distance on the straight path, 21 samples) and the
           squeeze (mean nearest-host distance at the two end sites minus bottleneck):
           a narrow window on the path is the classic cause of a high barrier.
  "full"   + at the midpoint: number of anions within 3.0 A, nearest anion and
           nearest cation distance, number of cations within 4.0 A (electrostatic
           repulsion of the moving cation); the ion's formal charge and Shannon radius
           (CN 6; R. D. Shannon, Acta Cryst. A32, 751 (1976)), bottleneck minus that
           radius, and the fraction of host atoms of the ion's own element.
"""

import numpy as np

BAND_IMAGES = 5
IONS = ("Li", "Na", "K", "Rb", "Mg", "Ca", "Sr", "Zn", "Al")  # the 9 intercalants of em/
# formal charge and Shannon ionic radius (A, coordination 6) of the intercalants
ION_CHARGE = {"Li": 1, "Na": 1, "K": 1, "Rb": 1, "Mg": 2, "Ca": 2, "Sr": 2, "Zn": 2, "Al": 3}
ION_RADIUS = {"Li": 0.76, "Na": 1.02, "K": 1.38, "Rb": 1.52, "Mg": 0.72, "Ca": 1.00,
              "Sr": 1.18, "Zn": 0.74, "Al": 0.535}
ANIONS = frozenset(("N", "O", "F", "S", "Cl", "Se", "Br", "Te", "I"))
FEATURE_SETS = ("issue", "path", "full")
N_NEAREST = 6
PATH_SAMPLES = 21
ANION_CUTOFF = 3.0
CATION_CUTOFF = 4.0


def _frac(atoms):
    lat = np.asarray(atoms["lattice_mat"], dtype=np.float64).reshape(3, 3)
    xyz = np.asarray(atoms["coords"], dtype=np.float64).reshape(-1, 3)
    if atoms.get("cartesian", False):
        xyz = xyz @ np.linalg.inv(lat)
    return lat, xyz


def mic_distances(lattice, frac_points, frac_atoms):
    """[P, N] minimum-image distances (A) from fractional points to fractional atoms:
    the fractional difference is wrapped to [-0.5, 0.5) and the 27 neighbouring images
    of that are searched (exact unless the cell is extremely skewed)."""
    lat = np.asarray(lattice, dtype=np.float64)
    d = np.asarray(frac_atoms, float)[None, :, :] - np.asarray(frac_points, float)[:, None, :]
    d -= np.round(d)
    shifts = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)],
                      dtype=np.float64)
    best = None
    for s in shifts:
        r = np.linalg.norm((d + s) @ lat, axis=-1)
        best = r if best is None else np.minimum(best, r)
    return best


def hop_vector(atoms, nband=BAND_IMAGES):
    """Cartesian displacement image 0 -> image nband-1, the sum of the minimum-image
    steps between consecutive images (robust to images wrapped into the cell)."""
    lat, frac = _frac(atoms)
    steps = np.diff(frac[:nband], axis=0)
    steps -= np.round(steps)
    return steps.sum(axis=0) @ lat


def hop_length(atoms, nband=BAND_IMAGES):
    return float(np.linalg.norm(hop_vector(atoms, nband)))


def feature_names(elements, feature_set="full"):
    if feature_set not in FEATURE_SETS:
        raise ValueError("feature set %r: one of %s" % (feature_set, FEATURE_SETS))
    names = ["frac_" + e for e in elements] + ["ion_" + i for i in IONS]
    names += ["hop_length", "volume_per_atom"]
    names += ["mid_d%d" % (i + 1) for i in range(N_NEAREST)]
    if feature_set in ("path", "full"):
        names += ["image%d_nn" % i for i in range(BAND_IMAGES)]
        names += ["bottleneck", "squeeze"]
    if feature_set == "full":
        names += ["mid_anions_3A", "mid_nearest_anion", "mid_nearest_cation",
                  "mid_cations_4A", "ion_charge", "ion_radius", "bottleneck_minus_radius",
                  "ion_fraction"]
    return names


def hop_descriptors(atoms, elements, feature_set="full", nband=BAND_IMAGES):
    """Descriptor vector (float64, names of feature_names) of one band entry's atoms.
    elements: the element list of the composition block (host elements outside it
    are ignored there)."""
    names = feature_names(elements, feature_set)
    lat, frac = _frac(atoms)
    symbols = list(atoms["elements"])
    ion = symbols[0]
    if any(s != ion for s in symbols[:nband]):
        raise ValueError("the first %d atoms must be the band images of one element" % nband)
    host_sym = symbols[nband:]
    host = frac[nband:]
    nhost = len(host_sym)
    if nhost < N_NEAREST:
        raise ValueError("fewer than %d host atoms" % N_NEAREST)
    out = []
    counts = {e: 0 for e in elements}
    for s in host_sym:
        if s in counts:
            counts[s] += 1
    out += [counts[e] / nhost for e in elements]
    out += [1.0 if ion == i else 0.0 for i in IONS]
    hop = hop_vector(atoms, nband)
    out.append(float(np.linalg.norm(hop)))
    out.append(abs(float(np.linalg.det(lat))) / (nhost + 1))
    # straight path in fractional coordinates, unwrapped from image 0
    start = frac[0]
    dfrac = hop @ np.linalg.inv(lat)
    mid = start + 0.5 * dfrac
    dmid = mic_distances(lat, mid[None, :], host)[0]
    order = np.sort(dmid)
    out += order[:N_NEAREST].tolist()
    if feature_set in ("path", "full"):
        t_img = np.linspace(0.0, 1.0, nband)
        img = start[None, :] + t_img[:, None] * dfrac[None, :]
        nn_img = mic_distances(lat, img, host).min(axis=1)
        t = np.linspace(0.0, 1.0, PATH_SAMPLES)
        path = start[None, :] + t[:, None] * dfrac[None, :]
        bottleneck = float(mic_distances(lat, path, host).min())
        out += nn_img.tolist()
        out += [bottleneck, 0.5 * (nn_img[0] + nn_img[-1]) - bottleneck]
    if feature_set == "full":
        is_anion = np.array([s in ANIONS for s in host_sym])
        da, dc = dmid[is_anion], dmid[~is_anion]
        out += [float((da <= ANION_CUTOFF).sum()), float(da.min()) if da.size else 10.0,
                float(dc.min()) if dc.size else 10.0, float((dc <= CATION_CUTOFF).sum())]
        out += [float(ION_CHARGE.get(ion, 0)), ION_RADIUS.get(ion, 1.0),
                bottleneck - ION_RADIUS.get(ion, 1.0),
                sum(s == ion for s in host_sym) / nhost]
    vec = np.asarray(out, dtype=np.float64)
    assert len(vec) == len(names)
    return vec


def data_elements(entries):
    """Sorted element symbols over all atoms of the entries (band and host)."""
    out = set()
    for e in entries:
        out.update(e["atoms"]["elements"])
    return sorted(out)


def descriptor_matrix(entries, elements=None, feature_set="full", nband=BAND_IMAGES):
    """(X [n, d], names) for a list of em entries (dicts with "atoms")."""
    elements = list(elements) if elements is not None else data_elements(entries)
    X = np.stack([hop_descriptors(e["atoms"], elements, feature_set, nband) for e in entries])
    return X, feature_names(elements, feature_set)
