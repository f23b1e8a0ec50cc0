"""Potential: a built-in force provider of libmigbar (mb_potential, migbar.h section 8).

Lennard-Jones, Morse and effective-medium theory, each as ASE 3.22's calculator
(LennardJones, MorsePotential, EMT) with the same parameter names:

    >>> emt = migbar.Potential("emt")
    >>> energy, forces = emt.compute(structure)          # eV, (natoms, 3) eV/A
    >>> lj = migbar.Potential("lj", epsilon=0.0104, sigma=3.4, rc=8.5, smooth=True)
    >>> lj["cutoff"], lj.params

Parameters: epsilon (eV), sigma (A), rc or cutoff (A, default 3 sigma), ro or
onset (A, default 0.66 rc), smooth (bool) for "lj"; epsilon, r0 (A), rho0 for
"morse"; none for "emt". A potential is read-only while computing: several
threads may compute with one at once.

Lifetime: a Band given a potential (Band.set_potential) keeps its C object alive
until the band is closed or given another force provider. close() of a potential
only gives up the Python object's hold: it is freed then if no band uses it, else
when the last band that uses it lets go. close() during a compute() (from another
thread) raises RuntimeError.
"""

from ctypes import POINTER, byref, c_double, c_void_p

import numpy as np

from . import describe
from ._lib import Handle, check, lib

_dp = POINTER(c_double)

# mb_potential_kind and mb_potential_param of migbar.h.
KINDS = describe.names("potential")  # the library's table (migbar.h section 11)
_KIND_ALIASES = {"lennardjones": "lj", "lennard-jones": "lj", "lennard_jones": "lj"}
PARAMS = {name: o.key for name, o in describe.options("potential").items()}
_PARAM_ALIASES = {"rc": "cutoff", "ro": "onset"}  # ASE's names
_KIND_PARAMS = {"lj": ("epsilon", "sigma", "cutoff", "onset", "smooth"),
                "morse": ("epsilon", "r0", "rho0"), "emt": ()}

# EMT's global interaction range (A), as ASE 3.22 computes it: beta s0(Ag) (sqrt 3 +
# 2) / 2 + 0.5 with beta = 1.809, s0(Ag) = 3.01 bohr (lib/potential/emt.c).
EMT_RANGE = 1.809 * 3.01 * 0.5291772105638411 * 0.5 * (3 ** 0.5 + 2.0) + 0.5
# ASE's fixed Morse cutoff, in units of r0.
MORSE_RANGE = 2.7


def _param_name(name):
    key = str(name).lower()
    return _PARAM_ALIASES.get(key, key)


class Potential(Handle):
    """A built-in potential: Potential("lj" | "morse" | "emt", **params).

    Bands that use it keep it alive; close() frees it once no band uses it (see the
    module's help)."""

    _free = "mb_potential_free"
    _what = "migbar.Potential"

    def __init__(self, kind="emt", **params):
        k = str(kind).lower()
        k = _KIND_ALIASES.get(k, k)
        if k not in KINDS:
            raise ValueError("Potential: unknown kind %r (known: %s)"
                             % (kind, ", ".join(sorted(KINDS))))
        out = c_void_p()
        check(lib.mb_potential_create(KINDS[k], byref(out)))
        self._adopt(out)
        self.kind = k
        for name, value in params.items():
            if value is not None:  # ASE's "rc=None" means the default
                self[name] = value

    def _key(self, name):
        key = _param_name(name)
        if key not in PARAMS:
            raise KeyError("Potential: unknown parameter %r (known: %s, rc, ro)"
                           % (name, ", ".join(PARAMS)))
        return PARAMS[key]

    def __setitem__(self, name, value):
        check(lib.mb_potential_set(self._h, self._key(name), float(value)))

    def __getitem__(self, name):
        v = c_double()
        check(lib.mb_potential_get(self._h, self._key(name), byref(v)))
        return v.value

    def set(self, **params):
        """Set several parameters; returns self."""
        for name, value in params.items():
            self[name] = value
        return self

    @property
    def params(self):
        """The parameters of this kind with their current values (defaults resolved)."""
        out = {name: self[name] for name in _KIND_PARAMS[self.kind]}
        if "smooth" in out:
            out["smooth"] = bool(out["smooth"])
        return out

    @property
    def cutoff(self):
        """Distance (A) beyond which atoms do not interact."""
        if self.kind == "lj":
            return self["cutoff"]
        if self.kind == "morse":
            return MORSE_RANGE * self["r0"]
        return EMT_RANGE

    def compute(self, structure, forces=True):
        """(energy in eV, forces as a (natoms, 3) array in eV/A) of a migbar.Structure;
        forces=False skips them (None is returned in their place)."""
        e = c_double()
        f = np.empty((structure.natoms, 3), dtype=np.float64) if forces else None
        with self._running("compute()", structure, exclusive=False) as ptr:
            check(lib.mb_potential_compute(ptr, structure._h, byref(e),
                                           f.ctypes.data_as(_dp) if forces else None))
        return e.value, f

    def energy(self, structure):
        """The energy alone (eV)."""
        return self.compute(structure, forces=False)[0]

    def __repr__(self):
        if self.closed:
            return "<migbar.Potential (closed)>"
        params = ", ".join("%s=%g" % kv for kv in self.params.items())
        return "<migbar.Potential %s%s>" % (self.kind, " " + params if params else "")


__all__ = ["Potential", "KINDS", "PARAMS"]
