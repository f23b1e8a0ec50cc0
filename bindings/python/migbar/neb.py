"""Band: a climbing-image nudged-elastic-band run (mb_band, migbar.h section 9).

Forces come from a built-in potential (migbar.Potential), from any Python function,
or from any ASE calculator:

    >>> band = migbar.Band(initial, final, nimages=5, interpolation="idpp",
    ...                    climb=True, fmax=0.05, optimizer="lbfgs")
    >>> band.set_potential(migbar.Potential("emt"))      # or
    >>> band.set_calculator(ase.calculators.emt.EMT())   # any ASE calculator, or
    >>> band.set_forces(lambda lattice, numbers, positions: (energy, forces))
    >>> band.run()
    >>> band.barrier()         # (forward, backward, saddle image), eV
    >>> band.write("profile.svg"); band.write("band.xyz"); band.write("neb.json")

A Python provider runs with the GIL held, one image at a time (it is never called
from several threads at once). An exception raised inside it stops the run and is
re-raised by the call that ran it.
"""

import ctypes
import os
from ctypes import POINTER, byref, c_double, c_int, c_long, c_void_p

import numpy as np

from . import _lib
from ._lib import Handle, MigbarError, check, fspath, lib

_dp = POINTER(c_double)
_ip = POINTER(c_int)

_INTERPOLATION = {"linear": 0, "idpp": 1}
_OPTIMIZERS = {"fire": 0, "lbfgs": 1, "ode": 2}
_OPTIMIZER_NAMES = {v: k for k, v in _OPTIMIZERS.items()}
# keyword -> mb_band_option value
_OPTIONS = {"spring": 0, "spring_min": 1, "climb": 2, "climb_fmax": 3, "fmax": 4,
            "max_steps": 5, "optimizer": 6, "max_move": 7, "threads": 8,
            "relax_endpoints": 9}
_CLIMB = {False: 0, True: 1, "off": 0, "start": 1, "delayed": 2, 0: 0, 1: 1, 2: 2}
_FILES = {".json": 0, ".svg": 1, ".xyz": 2, ".extxyz": 2}


def _structure(obj):
    """A migbar Structure from a Structure, an ase.Atoms or a file path."""
    from .structure import Structure
    if isinstance(obj, Structure):
        return obj
    if isinstance(obj, (str, bytes, os.PathLike)):
        return Structure.read(obj)
    if hasattr(obj, "get_positions") and hasattr(obj, "cell"):
        return Structure.from_ase(obj)
    raise TypeError("expected a migbar.Structure, an ase.Atoms or a path, not %s"
                    % type(obj).__name__)


class Band(Handle):
    """A band of images between two end points (improved tangent, climbing image).

    Band(initial, final, nimages=5, interpolation="linear"|"idpp", **options), or
    Band.from_images([image0, ..., imageN]) for an explicit path (end points
    included). initial, final and images may be migbar Structures, ase.Atoms or
    paths. Options (see set()): spring, spring_min, climb (False/True/"delayed"),
    climb_fmax, fmax, max_steps, optimizer ("fire", "lbfgs", "ode"), max_move,
    threads, relax_endpoints.
    """

    _free = "mb_band_free"
    _what = "migbar.Band"

    def __init__(self, initial, final, nimages=5, interpolation="linear", **options):
        self._ptr = None
        self._keep = []        # ctypes callbacks C may still call
        self._provider = None  # the Python object behind the force callback
        self._error = None     # an exception raised inside a callback
        if interpolation not in _INTERPOLATION:
            raise ValueError("interpolation must be one of %s" % sorted(_INTERPOLATION))
        a, b = _structure(initial), _structure(final)
        out = c_void_p()
        check(lib.mb_band_create(a._h, b._h, int(nimages), _INTERPOLATION[interpolation],
                                 byref(out)))
        self._ptr = out
        self.set(**options)

    @classmethod
    def from_images(cls, images, **options):
        structures = [_structure(im) for im in images]
        arr = (c_void_p * len(structures))(*[s._h for s in structures])
        out = c_void_p()
        check(lib.mb_band_create_from_images(len(structures), arr, byref(out)))
        self = cls.__new__(cls)
        self._ptr, self._keep, self._provider, self._error = out, [], None, None
        self.set(**options)
        return self

    # ---- options -------------------------------------------------------

    def set(self, **options):
        """Set options by keyword; returns self."""
        for key, value in options.items():
            if key not in _OPTIONS:
                raise TypeError("Band: unknown option %r (known: %s)"
                                % (key, ", ".join(sorted(_OPTIONS))))
            if key == "optimizer" and isinstance(value, str):
                if value.lower() not in _OPTIMIZERS:
                    raise ValueError("optimizer must be one of %s" % sorted(_OPTIMIZERS))
                value = _OPTIMIZERS[value.lower()]
            elif key == "climb":
                if value not in _CLIMB:
                    raise ValueError("climb must be False, True or 'delayed'")
                value = _CLIMB[value]
            elif key == "relax_endpoints":
                value = 1 if value else 0
            check(lib.mb_band_set_option(self._h, _OPTIONS[key], float(value)))
        return self

    def get(self, key):
        """The value of an option (the optimizer by name)."""
        if key not in _OPTIONS:
            raise KeyError(key)
        v = c_double()
        check(lib.mb_band_get_option(self._h, _OPTIONS[key], byref(v)))
        if key == "optimizer":
            return _OPTIMIZER_NAMES.get(int(v.value), int(v.value))
        if key in ("max_steps", "threads", "climb", "relax_endpoints"):
            return int(v.value)
        return v.value

    def set_fixed(self, flags):
        """Fixed coordinates: (natoms, 3) flags, True = free; None frees all."""
        if flags is None:
            check(lib.mb_band_set_fixed(self._h, None))
            return
        f = np.ascontiguousarray(np.asarray(flags).reshape(-1), dtype=np.intc)
        if f.size != 3 * self.natoms:
            raise ValueError("set_fixed: expected %d flags, got %d" % (3 * self.natoms,
                                                                      f.size))
        check(lib.mb_band_set_fixed(self._h, f.ctypes.data_as(_ip)))

    # ---- force providers -----------------------------------------------

    def set_potential(self, potential):
        """Forces from a built-in migbar.Potential (kept alive by the band)."""
        check(lib.mb_band_set_potential(self._h, potential._h))
        self._provider = potential
        return self

    def set_dft(self, dft):
        """Forces from plane-wave DFT (a migbar.Dft, copied: one copy per image, each
        warm-starting from its own last solution). The band's energies are the free
        energies, whose derivatives the forces are."""
        check(lib.mb_band_set_dft(self._h, dft._h))
        self._provider = dft
        return self

    def set_forces(self, fn):
        """Forces from fn(lattice (3, 3), numbers (natoms,), positions (natoms, 3)) ->
        (energy eV, forces (natoms, 3) eV/A), called once per image."""
        def callback(lattice, natoms, numbers, positions, energy, forces, user):
            try:
                cell = np.ctypeslib.as_array(lattice, (3, 3)).copy()
                z = np.ctypeslib.as_array(numbers, (natoms,)).copy()
                pos = np.ctypeslib.as_array(positions, (natoms, 3)).copy()
                e, f = fn(cell, z, pos)
                f = np.asarray(f, dtype=np.float64)
                if f.shape != (natoms, 3):
                    raise ValueError("force provider returned forces of shape %s, "
                                     "expected (%d, 3)" % (f.shape, natoms))
                energy[0] = float(e)
                np.ctypeslib.as_array(forces, (natoms, 3))[:] = f
                return 0
            except BaseException as exc:  # re-raised by the caller of run()
                if self._error is None:
                    self._error = exc
                return 1
        cb = _lib.FORCE_FN(callback)
        check(lib.mb_band_set_callback(self._h, cb, None, 0))
        self._keep = [k for k in self._keep if not isinstance(k, _lib.FORCE_FN)] + [cb]
        self._provider = fn
        return self

    def set_calculator(self, calc, pbc=True):
        """Forces from an ASE calculator (any: EMT, GPAW, VASP, a MACE model...).
        The calculator sees ase.Atoms with the band's cell and pbc."""
        from ase import Atoms

        def fn(cell, numbers, positions):
            atoms = Atoms(numbers=numbers, positions=positions, cell=cell, pbc=pbc)
            atoms.calc = calc
            return atoms.get_potential_energy(), atoms.get_forces()
        self.set_forces(fn)
        self._provider = calc
        return self

    def set_log(self, fn):
        """Progress lines: fn(level, message) per step (None: silent)."""
        if fn is None:
            check(lib.mb_band_set_log(self._h, _lib.LOG_FN(), None))
            return self

        def callback(level, message, user):
            try:
                fn(int(level), message.decode("utf-8", "replace"))
            except BaseException as exc:
                if self._error is None:
                    self._error = exc
        cb = _lib.LOG_FN(callback)
        check(lib.mb_band_set_log(self._h, cb, None))
        self._keep.append(cb)
        return self

    def set_step_callback(self, fn):
        """fn(band, step) after every step; a true return value stops the run
        (run() then raises MigbarError with status MB_ERR_STOPPED)."""
        def callback(band, step, user):
            try:
                return 1 if fn(self, int(step)) else 0
            except BaseException as exc:
                if self._error is None:
                    self._error = exc
                return 1
        cb = _lib.BAND_STEP_FN(callback)
        check(lib.mb_band_set_step_callback(self._h, cb, None))
        self._keep.append(cb)
        return self

    def _call(self, status):
        """check() a run-type call, re-raising an exception from a callback first."""
        exc, self._error = self._error, None
        if exc is not None:
            raise exc
        check(status)

    # ---- running -------------------------------------------------------

    def evaluate(self):
        self._call(lib.mb_band_evaluate(self._h))
        return self

    def relax_endpoints(self):
        self._call(lib.mb_band_relax_endpoints(self._h))
        return self

    def run(self, raise_not_converged=True):
        """Optimise the band. Returns True when converged; with
        raise_not_converged=False a band that ran out of steps returns False
        instead of raising MigbarError (MB_ERR_NOT_CONVERGED)."""
        status = lib.mb_band_run(self._h)
        if status == _lib.MB_ERR_NOT_CONVERGED and not raise_not_converged \
                and self._error is None:
            return False
        self._call(status)
        return True

    # ---- results -------------------------------------------------------

    @property
    def nimages(self):
        n = c_int()
        check(lib.mb_band_nimages(self._h, byref(n)))
        return n.value

    @property
    def natoms(self):
        n = c_int()
        check(lib.mb_band_natoms(self._h, byref(n)))
        return n.value

    def __len__(self):
        return self.nimages

    def image(self, i):
        from .structure import Structure
        out = c_void_p()
        check(lib.mb_band_image(self._h, int(i), byref(out)))
        return Structure._wrap(out)

    @property
    def images(self):
        return [self.image(i) for i in range(self.nimages)]

    @property
    def energies(self):
        e = np.empty(self.nimages)
        check(lib.mb_band_energies(self._h, e.ctypes.data_as(_dp)))
        return e

    def forces(self, i, neb=False):
        """Forces on image i, (natoms, 3) eV/A: the provider's, or (neb=True) the
        NEB force the optimiser follows."""
        f = np.empty((self.natoms, 3))
        check(lib.mb_band_forces(self._h, int(i), 1 if neb else 0, f.ctypes.data_as(_dp)))
        return f

    def barrier(self):
        """(forward, backward, saddle image): E_saddle - E_first, E_saddle - E_last."""
        fwd, bwd, saddle = c_double(), c_double(), c_int()
        check(lib.mb_band_barrier(self._h, byref(fwd), byref(bwd), byref(saddle)))
        return fwd.value, bwd.value, saddle.value

    def path(self):
        """(reaction coordinate A, force along the tangent eV/A) per image."""
        s, ft = np.empty(self.nimages), np.empty(self.nimages)
        check(lib.mb_band_path(self._h, s.ctypes.data_as(_dp), ft.ctypes.data_as(_dp)))
        return s, ft

    def profile(self, npoints=101):
        """(coordinate, energy) of the cubic Hermite energy profile."""
        s, e = np.empty(int(npoints)), np.empty(int(npoints))
        check(lib.mb_band_profile(self._h, int(npoints), s.ctypes.data_as(_dp),
                                  e.ctypes.data_as(_dp)))
        return s, e

    def stats(self):
        """dict: steps, moving_calls, endpoint_calls, max_force (eV/A), converged."""
        steps, mc, ec, fmax, conv = c_int(), c_long(), c_long(), c_double(), c_int()
        check(lib.mb_band_stats(self._h, byref(steps), byref(mc), byref(ec), byref(fmax),
                                byref(conv)))
        return {"steps": steps.value, "moving_calls": mc.value,
                "endpoint_calls": ec.value, "max_force": fmax.value,
                "converged": bool(conv.value)}

    def write(self, path, kind=None):
        """Write the summary (.json), the profile plot (.svg) or the images (.xyz);
        kind ("json", "svg", "xyz") overrides the extension."""
        if kind is None:
            ext = os.path.splitext(os.fspath(path))[1].lower()
            if ext not in _FILES:
                raise ValueError("write: cannot tell the kind of %r; pass kind='json', "
                                 "'svg' or 'xyz'" % os.fspath(path))
            code = _FILES[ext]
        else:
            code = _FILES.get("." + kind.lower())
            if code is None:
                raise ValueError("kind must be 'json', 'svg' or 'xyz'")
        check(lib.mb_band_write(self._h, fspath(path), code))

    def __repr__(self):
        if self.closed:
            return "<migbar.Band (closed)>"
        return "<migbar.Band %d images of %d atoms>" % (self.nimages, self.natoms)


__all__ = ["Band", "MigbarError"]
