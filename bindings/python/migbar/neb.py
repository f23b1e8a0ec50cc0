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

Lifetime: a band keeps alive, for as long as its C object lives, everything it calls
into: the Potential of set_potential (whose close() then only gives up the Python
object's hold; the band frees it when it is closed or given another provider), the
Python functions of set_forces, set_calculator, set_log and set_step_callback (and
the calculator), and the log function of a Dft given to set_dft (the DFT handle
itself is copied). End points and images are copied: they may be closed at once.
While run(), evaluate() or relax_endpoints() is in progress, the callbacks (or
other threads) may read the band (energies, image(), stats()...) but not change or
free it: close(), set(), set_fixed(), the set_* providers and callbacks and a
second run raise RuntimeError and leave the band as it is.
"""

import ctypes
import json
import os
from ctypes import POINTER, byref, c_double, c_int, c_long, c_void_p

import numpy as np

from . import _lib, describe
from ._lib import Handle, MigbarError, c_integer, check, fspath, lib

_dp = POINTER(c_double)
_ip = POINTER(c_int)

# the library's own tables (migbar.h section 11)
_INTERPOLATION = describe.names("interpolation")
_OPTIMIZERS = describe.names("optimizer")
_OPTIMIZER_NAMES = {v: k for k, v in _OPTIMIZERS.items()}
# keyword -> mb_band_option value
_OPTIONS = {name: o.key for name, o in describe.options("band").items()}
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

    close() frees the band and lets go of what it kept alive (its potential and
    callbacks); it raises RuntimeError while a run on the band is in progress (from
    one of its callbacks). See the module's help for what the band keeps alive.
    """

    _free = "mb_band_free"
    _what = "migbar.Band"

    run_info = None  # the "run" object of a loaded checkpoint (load())

    def __init__(self, initial, final, nimages=5, interpolation="linear", **options):
        self._error = None     # an exception raised inside a callback
        if interpolation not in _INTERPOLATION:
            raise ValueError("interpolation must be one of %s" % sorted(_INTERPOLATION))
        nimages = c_integer(nimages, "nimages")
        a, b = _structure(initial), _structure(final)
        out = c_void_p()
        check(lib.mb_band_create(a._h, b._h, nimages, _INTERPOLATION[interpolation],
                                 byref(out)))
        self._adopt(out)
        self.set(**options)

    @classmethod
    def from_images(cls, images, **options):
        structures = [_structure(im) for im in images]
        n = c_integer(len(structures), "number of images")
        arr = (c_void_p * n)(*[s._h for s in structures])
        out = c_void_p()
        check(lib.mb_band_create_from_images(n, arr, byref(out)))
        self = cls.__new__(cls)
        self._error = None
        self._adopt(out)
        self.set(**options)
        return self

    @classmethod
    def load(cls, path, **options):
        """A band from a checkpoint written by save() or by `migbar neb` (its neb.json):
        the images, fixed coordinates, options and counts as saved, no force provider
        (set one before running). The checkpoint's "run" object is in .run (a dict, or
        None); options given here override the saved ones."""
        out, text = c_void_p(), c_void_p()
        check(lib.mb_band_load(fspath(path, "path"), byref(out), byref(text)))
        self = cls.__new__(cls)
        self._error = None
        self._adopt(out)
        try:
            self.run_info = (json.loads(ctypes.string_at(text).decode("utf-8"))
                             if text.value else None)
        finally:
            lib.mb_free(text)
        self.set(**options)
        return self

    def save(self, path, run=None):
        """Write a checkpoint that load() (and `migbar neb --restart`, given a "run"
        object of its own) reads back: the JSON summary of write() plus the band's whole
        state, atomically. run: a JSON-able dict stored as the "run" object. Allowed
        from the step callback (e.g. a checkpoint every N steps)."""
        extra = None if run is None else json.dumps(run).encode("utf-8")
        if extra is not None and not isinstance(run, dict):
            raise TypeError("run must be a dict (a JSON object), not %s" % type(run).__name__)
        check(lib.mb_band_save(self._h, fspath(path, "path"), extra))

    # ---- options -------------------------------------------------------

    def set(self, **options):
        """Set options by keyword; returns self."""
        if options:
            self._check_idle("set()")
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
            elif key in ("relax_endpoints", "allow_exchange"):
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
        if key in ("max_steps", "threads", "climb", "relax_endpoints", "allow_exchange"):
            return int(v.value)
        return v.value

    def set_fixed(self, flags):
        """Fixed coordinates: (natoms, 3) flags, True = free; None frees all."""
        self._check_idle("set_fixed()")
        if flags is None:
            check(lib.mb_band_set_fixed(self._h, None))
            return
        f = np.ascontiguousarray(np.asarray(flags).reshape(-1) != 0, dtype=np.intc)
        if f.size != 3 * self.natoms:
            raise ValueError("set_fixed: expected %d flags, got %d" % (3 * self.natoms,
                                                                      f.size))
        check(lib.mb_band_set_fixed(self._h, f.ctypes.data_as(_ip)))

    # ---- force providers -----------------------------------------------

    def set_potential(self, potential):
        """Forces from a built-in migbar.Potential. The band keeps its C object alive
        until the band is closed or given another provider: potential.close() before
        that only gives up the Python object's hold."""
        self._check_idle("set_potential()")
        check(lib.mb_band_set_potential(self._h, potential._h))
        self._hold("provider", potential)
        return self

    def set_dft(self, dft):
        """Forces from plane-wave DFT (a migbar.Dft, copied: one copy per image, each
        warm-starting from its own last solution). The band's energies are the free
        energies, whose derivatives the forces are. The copies log through dft's log
        function (Dft.set_log), which the band keeps alive; dft itself may be closed."""
        self._check_idle("set_dft()")
        check(lib.mb_band_set_dft(self._h, dft._h))
        self._hold("provider", dft._held("log"))
        return self

    def set_forces(self, fn):
        """Forces from fn(lattice (3, 3), numbers (natoms,), positions (natoms, 3)) ->
        (energy eV, forces (natoms, 3) eV/A), called once per image. The band keeps
        fn alive."""
        self._check_idle("set_forces()")

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
        self._hold("provider", cb)
        return self

    def set_calculator(self, calc, pbc=True):
        """Forces from an ASE calculator (any: EMT, GPAW, VASP, a MACE model...).
        The calculator sees ase.Atoms with the band's cell and pbc; the band keeps it
        alive."""
        from ase import Atoms

        self._check_idle("set_calculator()")

        def fn(cell, numbers, positions):
            atoms = Atoms(numbers=numbers, positions=positions, cell=cell, pbc=pbc)
            atoms.calc = calc
            return atoms.get_potential_energy(), atoms.get_forces()
        return self.set_forces(fn)

    def set_log(self, fn):
        """Progress lines: fn(level, message) per step (None: silent). The band keeps
        fn alive."""
        self._check_idle("set_log()")
        if fn is None:
            check(lib.mb_band_set_log(self._h, _lib.LOG_FN(), None))
            self._hold("log", None)
            return self

        def callback(level, message, user):
            try:
                fn(int(level), message.decode("utf-8", "replace"))
            except BaseException as exc:
                if self._error is None:
                    self._error = exc
        cb = _lib.LOG_FN(callback)
        check(lib.mb_band_set_log(self._h, cb, None))
        self._hold("log", cb)
        return self

    def set_step_callback(self, fn):
        """fn(band, step) after every step; a true return value stops the run
        (run() then raises MigbarError with status MB_ERR_STOPPED). fn may read the
        band but not change or close it (RuntimeError, re-raised by run()). The band
        keeps fn alive."""
        self._check_idle("set_step_callback()")

        def callback(band, step, user):
            try:
                return 1 if fn(self, int(step)) else 0
            except BaseException as exc:
                if self._error is None:
                    self._error = exc
                return 1
        cb = _lib.BAND_STEP_FN(callback)
        check(lib.mb_band_set_step_callback(self._h, cb, None))
        self._hold("step", cb)
        return self

    def _call(self, status):
        """check() a run-type call, re-raising an exception from a callback first."""
        exc, self._error = self._error, None
        if exc is not None:
            raise exc
        check(status)

    # ---- running -------------------------------------------------------

    def evaluate(self):
        """Energies and forces of all images, nothing moved; returns self."""
        with self._running("evaluate()") as ptr:
            self._call(lib.mb_band_evaluate(ptr))
        return self

    def relax_endpoints(self):
        """Relax the two end points; returns self."""
        with self._running("relax_endpoints()") as ptr:
            self._call(lib.mb_band_relax_endpoints(ptr))
        return self

    def run(self, raise_not_converged=True):
        """Optimise the band. Returns True when converged; with
        raise_not_converged=False a band that ran out of steps returns False
        instead of raising MigbarError (MB_ERR_NOT_CONVERGED). While it runs, the
        band cannot be closed or changed (RuntimeError; see the module's help)."""
        with self._running("run()") as ptr:
            status = lib.mb_band_run(ptr)
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
        check(lib.mb_band_image(self._h, c_integer(i, "i"), byref(out)))
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
        check(lib.mb_band_forces(self._h, c_integer(i, "i"), 1 if neb else 0,
                                 f.ctypes.data_as(_dp)))
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
        npoints = c_integer(npoints, "npoints", lo=2)
        s, e = np.empty(npoints), np.empty(npoints)
        check(lib.mb_band_profile(self._h, npoints, s.ctypes.data_as(_dp),
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
