"""Dft: plane-wave Kohn-Sham DFT (mb_dft, migbar.h section 10), and an ASE calculator.

    >>> dft = migbar.Dft(structure, ecut=300, kpts=(4, 4, 4), kshift=(0.5,) * 3,
    ...                  functional="PBE", smearing=("mv", 0.1), pseudo={"Si": "Si.psp8"})
    >>> energy, free_energy, forces = dft.compute()     # eV, eV, (natoms, 3) eV/A
    >>> dft.report        # {"steps", "residual", "fermi", "converged"}
    >>> eig, kpts, weights = dft.eigenvalues()          # (nk, nbands) eV
    >>> o2 = migbar.Dft(molecule, ecut=400, kpts=1, functional="PBE",
    ...                 smearing=("gaussian", 0.1), magmoms=[1, 1])   # spin on
    >>> o2.compute(); o2.magnetization                  # (total, absolute) mu_B
    >>> charges, moments = o2.atomic_spheres()          # per atom, 2 Bohr spheres
    >>> atoms.calc = migbar.DftCalculator(ecut=300, kpts=(2, 2, 2), functional="LDA")
    >>> dft = migbar.Dft(nacoo2, ecut=680, functional="PBE", hubbard={"Co": ("d", 3.3)},
    ...                  pseudo={"Co": "Co-sp.upf", "Na": "Na-sp.upf", "O": "O.upf"})
    >>> dft.compute(); dft.hubbard   # {"energy": E_U eV, "shells": [{"atom", "l", ...}]}

Settings (keyword arguments of Dft and DftCalculator, or Dft.set): ecut (eV), ecut_rho
(eV, the density grid's cutoff as QE's ecutrho; 0 = 4 x ecut; more for SCAN), scf_tol
(eV), max_scf, threads, extra_bands, mixing, symmetry, kpts (3 ints or one), kshift
(3 of 0 or 0.5), functional ("auto", "LDA", "PBE", or any LDA or GGA by name,
"PBEsol", or a migbar.Functional), hubbard (DFT+U: {element: (l, U_eff eV)} or
{element: {l: U_eff}}, l 0..3 or "s", "p", "d", "f", added to the functional's own
Hubbard values; needs a named functional and UPF pseudopotentials for those elements),
smearing (None, a kind "fermi-dirac", "gaussian", "mv"/"cold", or (kind, width_eV)),
pseudo ({element: file}), pseudo_dir; spin: spin (1 = collinear spin polarisation),
magmoms (starting moments per atom, mu_B; turns spin on), fix_moment and moment (the
total moment held, mu_B; moment= alone holds it). An SCF that does not converge raises
MigbarError with status
MB_ERR_NOT_CONVERGED (9) and the residual in its message. A Dft handle belongs to one
thread at a time.

Lifetime: the structure is copied. The log function of set_log is kept alive for as
long as the C handle and every copy of it (Dft.copy, the per-image copies a Band makes
in Band.set_dft) lives. While compute() runs, its log function (or another thread) may
read the handle but not change or free it: close(), set(), set_log(), set_structure()
and a second compute() raise RuntimeError and change nothing.
"""

from ctypes import POINTER, byref, c_double, c_int, c_void_p

import numpy as np

from . import _lib, describe
from ._lib import Handle, c_int_array, c_string, check, lib

_dp = POINTER(c_double)
_ip = POINTER(c_int)

# mb_dft_option, mb_xc and mb_smearing: the library's tables (migbar.h section 11), and
# a few common aliases of the smearings
OPTIONS = {name: o.key for name, o in describe.options("dft").items()}
FUNCTIONALS = describe.names("xc")
SMEARINGS = dict(describe.names("smearing"), **{"fermi_dirac": 1, "fd": 1, "cold": 3,
                                                "marzari-vanderbilt": 3})
SMEARINGS[None] = SMEARINGS["none"]
_SETTINGS = tuple(OPTIONS) + ("kpts", "kshift", "functional", "hubbard", "smearing",
                              "pseudo", "pseudo_dir", "magmoms")
DEFAULT_SMEARING_WIDTH = 0.1  # eV


def _structure(obj):
    from .neb import _structure as convert
    return convert(obj)


class Dft(Handle):
    """A DFT calculation of one structure: Dft(structure, **settings).

    close() frees it; it raises RuntimeError during compute() (see the module's help)."""

    _free = "mb_dft_free"
    _what = "migbar.Dft"

    def __init__(self, structure, **settings):
        s = _structure(structure)
        self.natoms = s.natoms
        out = c_void_p()
        check(lib.mb_dft_create(s._h, byref(out)))
        self._adopt(out)
        self.set(**settings)

    @classmethod
    def _wrap(cls, ptr, natoms):
        obj = cls.__new__(cls)
        obj._adopt(ptr)
        obj.natoms = natoms
        return obj

    def copy(self):
        """A copy with the same settings and, when computed, the same solution (a warm
        start for a neighbouring geometry). The copy logs through the same function."""
        out = c_void_p()
        check(lib.mb_dft_copy(self._h, byref(out)))
        copy = Dft._wrap(out, self.natoms)
        copy._hold("log", self._held("log"))  # the C copy calls the same callback
        return copy

    def set(self, **settings):
        """Change settings (see the module's help); returns self."""
        if settings:
            self._check_idle("set()")
        xc_changed = False
        for name, value in settings.items():
            key = name.lower()
            if key == "moment" and value is not None:  # holding a moment means spin
                check(lib.mb_dft_set_option(self._h, OPTIONS["spin"], 1.0))
                check(lib.mb_dft_set_option(self._h, OPTIONS["fix_moment"], 1.0))
            if key in OPTIONS:
                if value is not None:
                    check(lib.mb_dft_set_option(self._h, OPTIONS[key], float(value)))
            elif key == "kpts":
                grid = [value] * 3 if np.ndim(value) == 0 else list(value)
                if len(grid) != 3:
                    raise ValueError("Dft: kpts must be one integer or three, not %r"
                                     % (value,))
                grid = [int(v) for v in c_int_array(grid, (3,), "kpts")]
                shift = self.__dict__.get("_kshift", (0.0, 0.0, 0.0))
                check(lib.mb_dft_set_kpoints(self._h, (c_int * 3)(*grid),
                                             (c_double * 3)(*shift)))
                self._kpts = tuple(grid)
            elif key == "kshift":
                shift = [float(value)] * 3 if np.ndim(value) == 0 else [float(v) for v in value]
                if len(shift) != 3:
                    raise ValueError("Dft: kshift must be three numbers, not %r" % (value,))
                grid = self.__dict__.get("_kpts", (1, 1, 1))
                check(lib.mb_dft_set_kpoints(self._h, (c_int * 3)(*grid),
                                             (c_double * 3)(*shift)))
                self._kshift = tuple(shift)
            elif key == "functional":  # set with the hubbard setting, after the loop
                self._functional = "auto" if value is None else value
                xc_changed = True
            elif key == "hubbard":
                self._hubbard = _hubbard_shells(value)
                xc_changed = True
            elif key == "smearing":
                kind, width = value, DEFAULT_SMEARING_WIDTH
                if isinstance(value, (tuple, list)):
                    kind, width = value
                k = kind if kind is None else str(kind).lower()
                if k not in SMEARINGS:
                    raise ValueError("Dft: smearing %r is not None, fermi-dirac, gaussian or "
                                     "mv" % (kind,))
                check(lib.mb_dft_set_smearing(self._h, SMEARINGS[k], float(width)))
            elif key == "pseudo":
                for element, path in dict(value or {}).items():
                    check(lib.mb_dft_set_pseudo(self._h, c_string(str(element), "element"),
                                                _lib.fspath(path, "pseudo path")))
            elif key == "magmoms":
                if value is None:
                    check(lib.mb_dft_set_magnetic_moments(self._h, None))
                    continue
                m = np.ascontiguousarray(value, dtype=float).reshape(-1)
                if m.size != self.natoms:
                    raise ValueError("Dft: magmoms has %d values for %d atoms"
                                     % (m.size, self.natoms))
                check(lib.mb_dft_set_option(self._h, OPTIONS["spin"], 1.0))
                check(lib.mb_dft_set_magnetic_moments(self._h, m.ctypes.data_as(_dp)))
            elif key == "pseudo_dir":
                if value is not None:
                    check(lib.mb_dft_set_pseudo_dir(self._h, _lib.fspath(value, "pseudo_dir")))
            else:
                raise TypeError("Dft: unknown setting %r (known: %s)"
                                % (name, ", ".join(_SETTINGS)))
        if xc_changed:
            self._set_functional()
        return self

    def _set_functional(self):
        """The functional setting with the hubbard setting's U values."""
        from .functional import Functional  # noqa: PLC0415
        f = self.__dict__.get("_functional", "auto")
        shells = self.__dict__.get("_hubbard", ())
        if isinstance(f, str) and f.lower() in FUNCTIONALS and not shells:
            check(lib.mb_dft_set_functional(self._h, FUNCTIONALS[f.lower()]))
            return
        if isinstance(f, str) and f.lower() == "auto":
            raise ValueError("Dft: hubbard needs a named functional (functional='PBE', "
                             "'LDA', 'PBEsol', ...), not 'auto'")
        try:  # a migbar.Functional (copied: its U values are kept) or a name ("PBEsol")
            fn = f.copy() if isinstance(f, Functional) else Functional(str(f))
        except _lib.MigbarError as e:  # an unknown name: a bad argument
            raise ValueError("Dft: %s" % e) from e
        try:
            for element, l, u in shells:
                fn.set_hubbard(element, l, u)
        except _lib.MigbarError as e:
            raise ValueError("Dft: hubbard: %s" % e) from e
        check(lib.mb_dft_set_xc_functional(self._h, fn._h))

    def __getitem__(self, name):
        """The value of an option (ecut, scf_tol, max_scf, threads, extra_bands, ...)."""
        if name not in OPTIONS:
            raise KeyError("Dft: unknown option %r (known: %s)" % (name, ", ".join(OPTIONS)))
        v = c_double()
        check(lib.mb_dft_get_option(self._h, OPTIONS[name], byref(v)))
        return v.value

    def __setitem__(self, name, value):
        if name not in OPTIONS:
            raise KeyError("Dft: unknown option %r (known: %s)" % (name, ", ".join(OPTIONS)))
        self.set(**{name: value})

    def set_log(self, fn):
        """SCF progress: fn(level, message) per step (None: silent). fn is kept alive
        while this handle, or a copy of it made after this call, lives."""
        self._check_idle("set_log()")
        if fn is None:
            check(lib.mb_dft_set_log(self._h, _lib.LOG_FN(), None))
            self._hold("log", None)
            return self

        def callback(level, message, user):
            try:
                fn(int(level), message.decode("utf-8", "replace"))
            except Exception:  # a logger must not break the SCF
                pass
        cb = _lib.LOG_FN(callback)
        check(lib.mb_dft_set_log(self._h, cb, None))
        self._hold("log", cb)
        return self

    def set_structure(self, structure):
        """A new geometry (same atoms, same lattice, copied); the next compute starts
        warm."""
        self._check_idle("set_structure()")
        check(lib.mb_dft_set_structure(self._h, _structure(structure)._h))
        return self

    def compute(self):
        """Solve: (energy eV, free energy eV, forces (natoms, 3) eV/A)."""
        e, f = c_double(), c_double()
        forces = np.zeros((self.natoms, 3))
        with self._running("compute()") as ptr:
            check(lib.mb_dft_compute(ptr, byref(e), byref(f), forces.ctypes.data_as(_dp)))
        return e.value, f.value, forces

    @property
    def report(self):
        """The last SCF: {"steps", "residual", "fermi" (eV), "converged"}."""
        steps, conv = c_int(), c_int()
        res, fermi = c_double(), c_double()
        check(lib.mb_dft_scf_report(self._h, byref(steps), byref(res), byref(fermi),
                                    byref(conv)))
        return {"steps": steps.value, "residual": res.value, "fermi": fermi.value,
                "converged": bool(conv.value)}

    @property
    def magnetization(self):
        """The last compute's (total, absolute) moment, mu_B (0, 0 without spin)."""
        m, am = c_double(), c_double()
        check(lib.mb_dft_magnetization(self._h, byref(m), byref(am)))
        return m.value, am.value

    def atomic_spheres(self, radius=2 * 0.529177210903):
        """(electrons, moments mu_B) within radius (A; default 2 Bohr, ABINIT's ratsph)
        of each atom, arrays of natoms."""
        q, m = np.zeros(self.natoms), np.zeros(self.natoms)
        check(lib.mb_dft_atomic_spheres(self._h, float(radius), q.ctypes.data_as(_dp),
                                        m.ctypes.data_as(_dp)))
        return q, m

    def eigenvalues(self, spin=None):
        """(eigenvalues (nk, nbands) eV, k-points (nk, 3) reduced, weights (nk,)); spin 0
        (up) or 1 (down) for a spin-polarised run, which has both."""
        nk, nb = c_int(), c_int()
        if spin is None:
            def call(*out):
                return lib.mb_dft_eigenvalues(self._h, byref(nk), byref(nb), *out)
        else:
            def call(*out):
                return lib.mb_dft_eigenvalues_spin(self._h, int(spin), byref(nk), byref(nb),
                                                   *out)
        check(call(None, None, None))
        eig = np.zeros((nk.value, nb.value))
        kpt = np.zeros((nk.value, 3))
        wt = np.zeros(nk.value)
        check(call(eig.ctypes.data_as(_dp), kpt.ctypes.data_as(_dp), wt.ctypes.data_as(_dp)))
        return eig, kpt, wt

    @property
    def hubbard(self):
        """DFT+U after compute(): {"energy": E_U (eV, part of the energies), "shells":
        [{"atom": i, "l": "d", "electrons": n, "occupations": (nspin, 2l+1, 2l+1)}]},
        one shell per atom and l with a U; the occupation matrices per spin channel
        (without spin polarisation each spin's: half the total), m in the order of the
        real harmonics (l = 2: xy, yz, 3z^2-r^2, xz, x^2-y^2)."""
        eu = c_double()
        check(lib.mb_dft_hubbard_energy(self._h, byref(eu)))
        shells = []
        nspin = c_int()
        for a in range(self.natoms):
            for l in range(4):
                check(lib.mb_dft_hubbard_occupation(self._h, a, l, byref(nspin), None))
                if nspin.value == 0:
                    continue
                n = np.zeros((nspin.value, 2 * l + 1, 2 * l + 1))
                check(lib.mb_dft_hubbard_occupation(self._h, a, l, byref(nspin),
                                                    n.ctypes.data_as(_dp)))
                electrons = float(np.trace(n, axis1=1, axis2=2).sum())
                if nspin.value == 1:
                    electrons *= 2  # both spins hold the matrix
                shells.append({"atom": a, "l": "spdf"[l], "electrons": electrons,
                               "occupations": n})
        return {"energy": eu.value, "shells": shells}


def _hubbard_shells(value):
    """[(element, l, U eV)] of a hubbard setting: {element: (l, U)} or {element: {l: U}}
    (l 0..3 or "s", "p", "d", "f"); None or {} is none."""
    shells = []
    for element, spec in dict(value or {}).items():
        pairs = spec.items() if isinstance(spec, dict) else [spec]
        for pair in pairs:
            try:
                l, u = pair
                l = "spdf".index(l) if isinstance(l, str) else int(l)
                u = float(u)
            except (TypeError, ValueError) as e:
                raise ValueError("Dft: hubbard wants {element: (l, U_eV)} with l one of "
                                 "'s', 'p', 'd', 'f' (or 0..3), not %r: %r"
                                 % (element, spec)) from e
            shells.append((str(element), l, u))
    return tuple(shells)


try:
    from ase.calculators.calculator import Calculator, all_changes
except ImportError:  # ASE is optional: Dft works without it
    Calculator, all_changes = object, None


class DftCalculator(Calculator):
    """An ASE calculator over migbar.Dft: energy (E), free_energy (E - TS) and forces.

    One Dft handle is kept while only the positions change, so every new geometry
    starts from the last wavefunctions and density; a new cell, new atoms or new
    settings start a fresh one. Settings as for Dft.
    """

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, log=None, **settings):
        if Calculator is object:
            raise ImportError("DftCalculator needs ASE (Debian: apt-get install python3-ase)")
        for name in settings:
            if name.lower() not in _SETTINGS:
                raise TypeError("DftCalculator: unknown setting %r (known: %s)"
                                % (name, ", ".join(_SETTINGS)))
        Calculator.__init__(self)
        self.settings = dict(settings)
        self.log = log
        self.dft = None
        self._key = None

    def set(self, **kwargs):
        changed = {k: v for k, v in kwargs.items() if self.settings.get(k) != v}
        if changed:
            self.settings.update(changed)
            self.dft = None
            self.reset()
        return changed

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        from .structure import Structure
        s = Structure.from_ase(self.atoms)
        key = (tuple(self.atoms.numbers), tuple(np.round(self.atoms.cell.array.ravel(), 12)))
        if self.dft is not None and key == self._key:
            self.dft.set_structure(s)
        else:
            self.dft = Dft(s, **self.settings)
            if self.log is not None:
                self.dft.set_log(self.log)
            self._key = key
        e, f, forces = self.dft.compute()
        self.results = {"energy": e, "free_energy": f, "forces": forces}
