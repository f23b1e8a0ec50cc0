"""Loading libmigbar and declaring the C functions of include/migbar.h.

Every MB_API function has an entry in SIGNATURES (restype, argtypes); a test
parses migbar.h and fails when one is missing or has the wrong number of
arguments. Handles cross as c_void_p, arrays as POINTER(c_double/c_int).
"""

import contextlib
import ctypes
import ctypes.util
import math
import operator
import os
import sysconfig
import threading
from ctypes import CFUNCTYPE, POINTER, c_char_p, c_double, c_int, c_long, c_size_t, c_void_p

import numpy as np

# The soname major this package was written for (MB_VERSION_MAJOR).
EXPECTED_MAJOR = 0

_dp = POINTER(c_double)
_ip = POINTER(c_int)
_status = c_int  # mb_status
_enum = c_int    # mb_coords, mb_format

# Callback types of migbar.h (keep a reference to every instance while C may call it).
LOG_FN = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
FORCE_FN = CFUNCTYPE(c_int, _dp, c_int, _ip, _dp, _dp, _dp, c_void_p)
FORCE_BATCH_FN = CFUNCTYPE(c_int, c_int, _dp, c_int, _ip, _dp, _dp, _dp, c_void_p)
BAND_STEP_FN = CFUNCTYPE(c_int, c_void_p, c_int, c_void_p)

SIGNATURES = {
    # 1. version
    "mb_version": (c_char_p, []),
    "mb_version_number": (c_int, []),
    # 2. errors
    "mb_strerror": (c_char_p, [_status]),
    "mb_last_error": (c_char_p, []),
    "mb_clear_error": (None, []),
    "mb_free": (None, [c_void_p]),
    # 3. structures
    "mb_structure_create": (_status, [_dp, c_int, _dp, _enum, _ip, POINTER(c_void_p)]),
    "mb_structure_create_symbols": (_status, [_dp, c_int, _dp, _enum, POINTER(c_char_p),
                                              POINTER(c_void_p)]),
    "mb_structure_free": (None, [c_void_p]),
    "mb_structure_copy": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_structure_natoms": (_status, [c_void_p, _ip]),
    "mb_structure_lattice": (_status, [c_void_p, _dp]),
    "mb_structure_positions": (_status, [c_void_p, _enum, _dp]),
    "mb_structure_numbers": (_status, [c_void_p, _ip]),
    "mb_structure_symbol": (_status, [c_void_p, c_int, POINTER(c_char_p)]),
    "mb_structure_set_positions": (_status, [c_void_p, _dp, _enum]),
    "mb_structure_set_lattice": (_status, [c_void_p, _dp, c_int]),
    "mb_structure_set_selective": (_status, [c_void_p, _ip]),
    "mb_structure_selective": (_status, [c_void_p, _ip, _ip]),
    "mb_structure_wrap": (_status, [c_void_p]),
    "mb_structure_supercell": (_status, [c_void_p, _ip, POINTER(c_void_p)]),
    "mb_structure_displacement": (_status, [c_void_p, c_int, c_int, _dp]),
    "mb_structure_distance": (_status, [c_void_p, c_int, c_int, _dp]),
    "mb_structure_formula": (_status, [c_void_p, c_int, c_char_p, c_size_t]),
    "mb_structure_volume": (_status, [c_void_p, _dp]),
    "mb_structure_density": (_status, [c_void_p, _dp]),
    "mb_structure_spacegroup": (_status, [c_void_p, c_double, _ip, c_char_p, c_size_t]),
    "mb_element_number": (_status, [c_char_p, _ip]),
    "mb_element_symbol": (_status, [c_int, POINTER(c_char_p)]),
    "mb_element_mass": (_status, [c_int, _dp]),
    # 3. files
    "mb_format_from_path": (_status, [c_char_p, _ip]),
    "mb_format_from_name": (_status, [c_char_p, _ip]),
    "mb_structure_read": (_status, [c_char_p, _enum, POINTER(c_void_p)]),
    "mb_structure_read_frame": (_status, [c_char_p, _enum, c_int, POINTER(c_void_p)]),
    "mb_structure_count_frames": (_status, [c_char_p, _enum, _ip]),
    "mb_structure_read_buffer": (_status, [c_char_p, c_size_t, _enum, c_char_p, c_int,
                                           POINTER(c_void_p)]),
    "mb_structure_write": (_status, [c_void_p, c_char_p, _enum]),
    # char **data is taken as void** so that the buffer can be handed to mb_free.
    "mb_structure_write_buffer": (_status, [c_void_p, _enum, POINTER(c_void_p),
                                            POINTER(c_size_t)]),
    # 4. neighbour lists
    "mb_neighbors_cutoff": (_status, [c_void_p, c_double, POINTER(c_void_p)]),
    "mb_neighbors_knn": (_status, [c_void_p, c_int, POINTER(c_void_p)]),
    "mb_neighbors_free": (None, [c_void_p]),
    "mb_neighbors_count": (_status, [c_void_p, POINTER(c_size_t)]),
    "mb_neighbors_pairs": (_status, [c_void_p, _ip, _ip, _ip, _dp, _dp]),
    "mb_neighbors_first": (_status, [c_void_p, POINTER(c_size_t)]),
    # 5. graphs and models
    "mb_graph_create": (_status, [c_void_p, c_int, c_int, POINTER(c_void_p)]),
    "mb_graph_free": (None, [c_void_p]),
    "mb_graph_sizes": (_status, [c_void_p, _ip, POINTER(c_size_t), POINTER(c_size_t)]),
    "mb_graph_edges": (_status, [c_void_p, _ip, _ip, _dp]),
    "mb_graph_triplets": (_status, [c_void_p, _ip, _ip, _dp]),
    "mb_model_load": (_status, [c_char_p, POINTER(c_void_p)]),
    "mb_model_free": (None, [c_void_p]),
    # char **json is taken as void** so that the buffer can be handed to mb_free.
    "mb_model_metadata": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_model_noutputs": (_status, [c_void_p, _ip]),
    "mb_model_output_name": (_status, [c_void_p, c_int, POINTER(c_char_p)]),
    "mb_model_output_units": (_status, [c_void_p, c_int, POINTER(c_char_p)]),
    "mb_dft_set_xc_functional": (_status, [c_void_p, c_void_p]),
    "mb_functional_create": (_status, [c_char_p, POINTER(c_void_p)]),
    "mb_functional_free": (None, [c_void_p]),
    "mb_functional_copy": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_functional_name": (_status, [c_void_p, POINTER(c_char_p)]),
    "mb_functional_family": (_status, [c_void_p, _ip]),
    "mb_functional_components": (_status, [c_void_p, _ip]),
    "mb_functional_component": (_status, [c_void_p, c_int, _ip, POINTER(c_char_p),
                                          POINTER(c_char_p)]),
    "mb_functional_references": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_functional_set_hubbard": (_status, [c_void_p, c_char_p, c_int, c_double]),
    "mb_functional_hubbard": (_status, [c_void_p, c_char_p, c_int, _dp]),
    "mb_functional_evaluate": (_status, [c_void_p, c_int, c_size_t, _dp, _dp, _dp, _dp, _dp,
                                         _dp, _dp]),
    "mb_option_count": (_status, [_enum, _ip]),
    "mb_option_info": (_status, [_enum, c_int, _ip, POINTER(c_char_p), POINTER(c_char_p), _dp,
                                 _dp, _dp, _ip, POINTER(c_char_p)]),
    "mb_option_find": (_status, [_enum, c_char_p, _ip]),
    "mb_name_count": (_status, [_enum, _ip]),
    "mb_name_info": (_status, [_enum, c_int, _ip, POINTER(c_char_p), POINTER(c_char_p)]),
    "mb_name_find": (_status, [_enum, c_char_p, _ip]),
    "mb_model_is_band_model": (_status, [c_void_p, _ip]),
    "mb_model_predict_structure": (_status, [c_void_p, c_void_p, c_int, _dp]),
    "mb_model_predict_band": (_status, [c_void_p, c_void_p, c_void_p, c_int, _dp]),
    "mb_model_predict_batch": (_status, [c_void_p, c_int, POINTER(c_void_p), _ip, c_int,
                                         _dp]),
    # 6. ensembles
    "mb_ensemble_load": (_status, [c_char_p, POINTER(c_void_p)]),
    "mb_ensemble_free": (None, [c_void_p]),
    "mb_ensemble_size": (_status, [c_void_p, _ip]),
    "mb_ensemble_member": (_status, [c_void_p, c_int, POINTER(c_void_p)]),
    "mb_ensemble_manifest": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_ensemble_predict_band": (_status, [c_void_p, c_void_p, c_void_p, c_int, _dp, _dp]),
    "mb_ensemble_predict_batch": (_status, [c_void_p, c_int, POINTER(c_void_p), _ip, c_int,
                                            _dp, _dp]),
    "mb_ensemble_check_hop": (_status, [c_void_p, c_void_p, c_void_p, c_int,
                                        POINTER(c_void_p)]),
    # 7. migration networks
    "mb_hops_create": (_status, [c_void_p, c_char_p, POINTER(c_void_p)]),
    "mb_hops_free": (None, [c_void_p]),
    "mb_hops_set_option": (_status, [c_void_p, _enum, c_double]),
    "mb_hops_get_option": (_status, [c_void_p, _enum, _dp]),
    "mb_hops_find": (_status, [c_void_p]),
    "mb_hops_sites": (_status, [c_void_p, _ip, _ip]),
    "mb_hops_count": (_status, [c_void_p, _ip, _ip]),
    "mb_hops_distinct": (_status, [c_void_p, _ip, _ip, _ip, _dp, _ip]),
    "mb_hops_geometry": (_status, [c_void_p, _dp, _dp, _dp, _ip]),
    "mb_hops_all": (_status, [c_void_p, _ip, _ip, _ip, _ip]),
    "mb_hops_end_points": (_status, [c_void_p, c_int, POINTER(c_void_p), POINTER(c_void_p),
                                     _ip, _ip]),
    "mb_hops_set_barriers": (_status, [c_void_p, _dp, _dp]),
    "mb_hops_predict": (_status, [c_void_p, c_void_p, c_int]),
    "mb_hops_barriers": (_status, [c_void_p, _dp, _dp, _ip]),
    "mb_hops_percolation": (_status, [c_void_p, _dp, _ip]),
    "mb_hops_dimensionality": (_status, [c_void_p, c_double, _ip]),
    # 8. force providers
    "mb_potential_create": (_status, [_enum, POINTER(c_void_p)]),
    "mb_potential_free": (None, [c_void_p]),
    "mb_potential_set": (_status, [c_void_p, _enum, c_double]),
    "mb_potential_get": (_status, [c_void_p, _enum, _dp]),
    "mb_potential_compute": (_status, [c_void_p, c_void_p, _dp, _dp]),
    # 9. NEB bands
    "mb_band_create": (_status, [c_void_p, c_void_p, c_int, _enum, POINTER(c_void_p)]),
    "mb_band_create_from_images": (_status, [c_int, POINTER(c_void_p), POINTER(c_void_p)]),
    "mb_band_free": (None, [c_void_p]),
    "mb_band_set_option": (_status, [c_void_p, _enum, c_double]),
    "mb_band_interpolate": (_status, [c_void_p, _enum]),
    "mb_band_is_running": (_status, [c_void_p, _ip]),
    "mb_band_get_option": (_status, [c_void_p, _enum, _dp]),
    "mb_band_set_fixed": (_status, [c_void_p, _ip]),
    "mb_band_set_potential": (_status, [c_void_p, c_void_p]),
    "mb_band_set_callback": (_status, [c_void_p, FORCE_FN, c_void_p, c_int]),
    "mb_band_set_batch_callback": (_status, [c_void_p, FORCE_BATCH_FN, c_void_p]),
    "mb_band_set_log": (_status, [c_void_p, LOG_FN, c_void_p]),
    "mb_band_set_step_callback": (_status, [c_void_p, BAND_STEP_FN, c_void_p]),
    "mb_band_evaluate": (_status, [c_void_p]),
    "mb_band_relax_endpoints": (_status, [c_void_p]),
    "mb_band_run": (_status, [c_void_p]),
    "mb_band_nimages": (_status, [c_void_p, _ip]),
    "mb_band_natoms": (_status, [c_void_p, _ip]),
    "mb_band_image": (_status, [c_void_p, c_int, POINTER(c_void_p)]),
    "mb_band_energies": (_status, [c_void_p, _dp]),
    "mb_band_forces": (_status, [c_void_p, c_int, c_int, _dp]),
    "mb_band_barrier": (_status, [c_void_p, _dp, _dp, _ip]),
    "mb_band_path": (_status, [c_void_p, _dp, _dp]),
    "mb_band_profile": (_status, [c_void_p, c_int, _dp, _dp]),
    "mb_band_stats": (_status, [c_void_p, _ip, POINTER(c_long), POINTER(c_long), _dp, _ip]),
    "mb_band_write": (_status, [c_void_p, c_char_p, _enum]),
    "mb_band_save": (_status, [c_void_p, c_char_p, c_char_p]),
    "mb_band_load": (_status, [c_char_p, POINTER(c_void_p), POINTER(c_void_p)]),
    "mb_band_set_mpi": (_status, [c_void_p, c_int]),
    # 10. plane-wave DFT
    "mb_dft_create": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_dft_free": (None, [c_void_p]),
    "mb_dft_copy": (_status, [c_void_p, POINTER(c_void_p)]),
    "mb_dft_set_option": (_status, [c_void_p, _enum, c_double]),
    "mb_dft_get_option": (_status, [c_void_p, _enum, _dp]),
    "mb_dft_set_kpoints": (_status, [c_void_p, _ip, _dp]),
    "mb_dft_set_smearing": (_status, [c_void_p, _enum, c_double]),
    "mb_dft_set_functional": (_status, [c_void_p, _enum]),
    "mb_dft_set_pseudo": (_status, [c_void_p, c_char_p, c_char_p]),
    "mb_dft_set_pseudo_dir": (_status, [c_void_p, c_char_p]),
    "mb_dft_set_log": (_status, [c_void_p, LOG_FN, c_void_p]),
    "mb_dft_set_structure": (_status, [c_void_p, c_void_p]),
    "mb_dft_compute": (_status, [c_void_p, _dp, _dp, _dp]),
    "mb_dft_scf_report": (_status, [c_void_p, _ip, _dp, _dp, _ip]),
    "mb_dft_eigenvalues": (_status, [c_void_p, _ip, _ip, _dp, _dp, _dp]),
    "mb_dft_eigenvalues_spin": (_status, [c_void_p, c_int, _ip, _ip, _dp, _dp, _dp]),
    "mb_dft_set_magnetic_moments": (_status, [c_void_p, _dp]),
    "mb_dft_magnetization": (_status, [c_void_p, _dp, _dp]),
    "mb_dft_atomic_spheres": (_status, [c_void_p, c_double, _dp, _dp]),
    "mb_dft_hubbard_energy": (_status, [c_void_p, _dp]),
    "mb_dft_hubbard_occupation": (_status, [c_void_p, c_int, c_int, _ip, _dp]),
    "mb_band_set_dft": (_status, [c_void_p, c_void_p]),
}

# Status names, in the order of enum mb_status (values are part of the ABI).
STATUS_NAMES = (
    "MB_OK", "MB_ERR_NOMEM", "MB_ERR_INVALID_ARG", "MB_ERR_IO", "MB_ERR_PARSE",
    "MB_ERR_UNSUPPORTED", "MB_ERR_RANGE", "MB_ERR_GEOMETRY", "MB_ERR_SYMMETRY",
    "MB_ERR_NOT_CONVERGED", "MB_ERR_MODEL", "MB_ERR_BUFFER_TOO_SMALL", "MB_ERR_CALLBACK",
    "MB_ERR_INTERNAL", "MB_ERR_STOPPED",
)
for _value, _name in enumerate(STATUS_NAMES):
    globals()[_name] = _value

MB_COORDS_FRACTIONAL = 0
MB_COORDS_CARTESIAN = 1
MB_FORMAT_AUTO = 0


def _candidates():
    """Where to look for the library, in order, as (path, how) pairs."""
    names = ("libmigbar.so.%d" % EXPECTED_MAJOR, "libmigbar.so", "libmigbar.dylib")
    out = []
    env = os.environ.get("MIGBAR_LIBRARY")
    if env:
        out.append((env, "MIGBAR_LIBRARY"))
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        from . import _config  # written by `make`: the install libdir
        libdir = getattr(_config, "LIBDIR", None)
    except ImportError:
        libdir = None
    dirs = []
    if libdir:
        dirs.append((libdir, "install libdir"))
    # Installed layout: <prefix>/lib/pythonX.Y/{site,dist}-packages/migbar.
    parts = here.split(os.sep)
    if len(parts) >= 4 and parts[-2] in ("site-packages", "dist-packages") \
            and parts[-3].startswith("python"):
        prefix_lib = os.sep.join(parts[:-3])
        dirs.append((prefix_lib, "package prefix"))
        multiarch = sysconfig.get_config_var("MULTIARCH")
        if multiarch:
            dirs.append((os.path.join(prefix_lib, multiarch), "package prefix"))
        dirs.append((prefix_lib + "64", "package prefix"))
    # Build trees: bindings/python/migbar -> lib/.libs (in-tree build), and a
    # build/ directory at the top of the source tree.
    top = os.path.normpath(os.path.join(here, "..", "..", ".."))
    dirs.append((os.path.join(top, "lib", ".libs"), "build tree"))
    dirs.append((os.path.join(top, "build", "lib", ".libs"), "build tree"))
    for d, how in dirs:
        for n in names:
            out.append((os.path.join(d, n), how))
    return out


def _load():
    tried = []
    for path, how in _candidates():
        if not os.path.exists(path):
            tried.append("%s (%s: absent)" % (path, how))
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s: %s)" % (path, how, e))
    found = ctypes.util.find_library("migbar")
    if found:
        try:
            return ctypes.CDLL(found), found
        except OSError as e:
            tried.append("%s (find_library: %s)" % (found, e))
    else:
        tried.append("ctypes.util.find_library('migbar') (not found)")
    raise ImportError(
        "migbar: cannot load libmigbar. Set MIGBAR_LIBRARY to the path of "
        "libmigbar.so, or install the library. Looked at:\n  " + "\n  ".join(tried))


def _declare(lib):
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise ImportError("migbar: the loaded libmigbar has no function %s "
                              "(library too old?)" % name) from None
        fn.restype = restype
        fn.argtypes = argtypes


lib, _path = _load()
_declare(lib)

_version_number = lib.mb_version_number()
if _version_number // 10000 != EXPECTED_MAJOR:
    raise ImportError("migbar: %s is version %s, this package needs major version %d"
                      % (_path, lib.mb_version().decode(), EXPECTED_MAJOR))


def library_path():
    """File name of the loaded libmigbar."""
    return os.path.abspath(_path) if os.path.exists(_path) else _path


def fspath(path, name="path"):
    """A path argument as bytes for C (str, bytes or os.PathLike); ValueError for a
    path with a NUL byte (C would see only the part before it)."""
    data = os.fsencode(path)
    if b"\0" in data:
        raise ValueError("%s: embedded null byte in %r" % (name, path))
    return data


# ---- arguments checked before they reach ctypes -----------------------------------
#
# ctypes converts a Python int to a C int by truncation (2**40 becomes 0) and a str
# to a char * up to its first NUL ('Cu\x00xx' becomes 'Cu'). Every integer and
# string that reaches a C call goes through one of these helpers first.

class ArgumentRangeError(OverflowError, ValueError):
    """An integer argument outside the range of the C type it is passed as (both an
    OverflowError and a ValueError)."""


def _c_range(ctype):
    bits = 8 * ctypes.sizeof(ctype)
    if ctype(-1).value < 0:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


_CTYPE_NAMES = {c_int: "int", c_long: "long", c_size_t: "size_t"}


def c_integer(value, name, ctype=c_int, lo=None, hi=None):
    """value as a Python int that fits ctype (c_int, c_long or c_size_t), for the
    argument called name. Refused: bool (TypeError: True is not an atom index or a
    count), non-integral or non-finite floats (ValueError), anything that is not a
    number (TypeError), and values outside [lo, hi] (default: the range of ctype)
    with ArgumentRangeError. Integral floats (29.0) and numpy integers are taken."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("%s must be an integer, not a bool (%r)" % (name, value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != math.floor(value):
            raise ValueError("%s must be an integer, got %r" % (name, value))
        value = int(value)
    else:
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError("%s must be an integer, not %s" % (name, type(value).__name__)) \
                from None
    tlo, thi = _c_range(ctype)
    lo = tlo if lo is None else max(lo, tlo)
    hi = thi if hi is None else min(hi, thi)
    if not lo <= value <= hi:
        raise ArgumentRangeError("%s=%d is out of range: it must be in [%d, %d] (C %s)"
                                 % (name, value, lo, hi, _CTYPE_NAMES.get(ctype, ctype.__name__)))
    return value


def c_int_array(values, shape, name, lo=None, hi=None):
    """values as a C-contiguous numpy array of C ints of the given shape, with the
    checks of c_integer on every element (bool arrays, non-integral floats and values
    outside [lo, hi] / the C int range are refused, naming the argument)."""
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError, OverflowError) as e:
        raise TypeError("%s: expected integers (%s)" % (name, e)) from None
    if arr.dtype.kind == "O":  # Python ints too large for int64, or mixed objects
        arr = np.array([c_integer(v, name, c_int, lo, hi) for v in arr.reshape(-1)],
                       dtype=np.intc).reshape(arr.shape)
    elif arr.dtype.kind == "b":
        raise TypeError("%s: expected integers, got booleans" % name)
    elif arr.dtype.kind == "f":
        flat = arr.reshape(-1)
        bad = flat[~(np.isfinite(flat) & (flat == np.floor(flat)))]
        if bad.size:
            raise ValueError("%s must be integers, got %r" % (name, float(bad[0])))
    elif arr.dtype.kind not in "iu":
        raise TypeError("%s: expected integers, got an array of %s" % (name, arr.dtype))
    if arr.size and arr.dtype.kind in "iuf":
        tlo, thi = _c_range(c_int)
        rlo = tlo if lo is None else max(lo, tlo)
        rhi = thi if hi is None else min(hi, thi)
        flat = arr.reshape(-1)
        bad = flat[(flat < rlo) | (flat > rhi)]
        if bad.size:
            raise ArgumentRangeError("%s: %d is out of range: each must be in [%d, %d] (C int)"
                                     % (name, int(bad[0]), rlo, rhi))
    arr = np.ascontiguousarray(arr, dtype=np.intc)
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError("%s: expected shape %s, got %s" % (name, tuple(shape), arr.shape))
    return arr


def c_string(value, name):
    """A str (UTF-8) or bytes argument as bytes for a C string; TypeError for other
    types, ValueError for an embedded NUL byte (C would see only the part before it)."""
    if isinstance(value, (str, np.str_)):
        data = str(value).encode("utf-8")
    elif isinstance(value, (bytes, np.bytes_)):
        data = bytes(value)
    else:
        raise TypeError("%s must be a string, not %s" % (name, type(value).__name__))
    if b"\0" in data:
        raise ValueError("%s: embedded null byte in %r" % (name, value))
    return data


# ---- handle lifetime ---------------------------------------------------------------
#
# One _Resource per C object. It is freed (the class's mb_*_free) when its count of
# references drops to zero: the Python object that created it holds one until its
# close(), and every C object that borrows it (a band using a potential) holds one
# until that C object is itself freed. A _Resource also keeps the Python objects
# its C object calls back into (ctypes callbacks) and the resources it borrows, in
# held, and counts the calls running on it (busy), which close() refuses to cut.

_lock = threading.RLock()


class _Resource:
    __slots__ = ("ptr", "free", "refs", "busy", "exclusive", "activity", "held")

    def __init__(self, ptr, free):
        self.ptr = ptr
        self.free = free
        self.refs = 1
        self.busy = 0
        self.exclusive = False
        self.activity = None
        self.held = {}

    def acquire(self):
        with _lock:
            self.refs += 1
        return self

    def release(self):
        with _lock:
            self.refs -= 1
            if self.refs > 0:
                return
            ptr, self.ptr = self.ptr, None
            held, self.held = self.held, {}
        if ptr is not None and lib is not None:
            getattr(lib, self.free)(ptr)
        for obj in held.values():  # after the free: what the C object borrowed
            if isinstance(obj, _Resource):
                obj.release()


class Handle:
    """Lifetime of one C handle.

    close() (also a with block's end and garbage collection) gives up this Python
    object's hold on the C object: the handle is closed from then on (_h raises
    ValueError) and the C object is freed at once, unless another C object borrows it
    (a Band using a Potential): then it is freed when the last borrower is freed.
    close() of a handle while a call on it is running (Band.run, from one of its
    callbacks or another thread) raises RuntimeError and changes nothing.
    """

    __slots__ = ()  # subclasses may use slots (Structure does)
    _free = None    # e.g. "mb_structure_free"
    _what = "handle"

    def _adopt(self, ptr):
        """Take ownership of a new C handle."""
        self._res = _Resource(ptr, self._free)

    def _resource(self):
        res = getattr(self, "_res", None)
        if res is None:
            raise ValueError("this %s is closed" % self._what)
        return res

    @property
    def _h(self):
        return self._resource().ptr

    @property
    def _ptr(self):
        """The C pointer, or None once closed (or before it is made)."""
        res = getattr(self, "_res", None)
        return None if res is None else res.ptr

    def close(self):
        """Give up this object's hold on the C handle (see the class's help): freed now
        unless borrowed; RuntimeError while a call on this handle is running."""
        with _lock:
            res = getattr(self, "_res", None)
            if res is None:
                return
            if res.busy:
                raise RuntimeError("cannot close the %s while its %s is in progress"
                                   % (self._what, res.activity))
            self._res = None
        res.release()

    @property
    def closed(self):
        return getattr(self, "_res", None) is None

    def _check_idle(self, action):
        """RuntimeError when a call on this handle is running (action: what was asked,
        e.g. 'set_potential()')."""
        res = self._resource()
        if res.busy:
            raise RuntimeError("cannot %s on the %s while its %s is in progress"
                               % (action, self._what, res.activity))
        return res

    @contextlib.contextmanager
    def _running(self, activity, *borrowed, exclusive=True):
        """Mark a call on this handle as running for the length of a with block (close()
        then raises RuntimeError; with exclusive, so does a second call, e.g. run()
        from a callback of run()), and keep the handles in borrowed (arguments of the
        call) from being freed before it ends. Yields the C pointer."""
        with _lock:
            res = self._resource()
            if res.busy and (exclusive or res.exclusive):
                raise RuntimeError("cannot start %s on the %s while its %s is in progress"
                                   % (activity, self._what, res.activity))
            args = [h._resource() for h in borrowed if h is not None]  # may raise: closed
            for a in args:
                a.acquire()
            res.busy += 1
            res.exclusive = exclusive
            res.activity = activity
        try:
            yield res.ptr
        finally:
            with _lock:
                res.busy -= 1
                if not res.busy:
                    res.exclusive, res.activity = False, None
            for a in args:
                a.release()

    def _hold(self, key, obj):
        """Keep obj alive for as long as this C object lives (not merely this Python
        object): a Handle (whose C object this one borrows: it is freed only after this
        one), a ctypes callback, or None to drop what was held under key."""
        res = self._resource()
        new = obj._resource().acquire() if isinstance(obj, Handle) else obj
        with _lock:
            old = res.held.pop(key, None)
            if new is not None:
                res.held[key] = new
        if isinstance(old, _Resource):
            old.release()

    def _held(self, key):
        res = getattr(self, "_res", None)
        return None if res is None else res.held.get(key)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class MigbarError(Exception):
    """A libmigbar call failed.

    status is the mb_status code (int), status_name its enum name, and the
    message is the library's description (mb_last_error, with file:line for
    parsers).
    """

    def __init__(self, status, message=None):
        self.status = int(status)
        if 0 <= self.status < len(STATUS_NAMES):
            self.status_name = STATUS_NAMES[self.status]
        else:
            self.status_name = "MB_STATUS_%d" % self.status
        if not message:
            message = lib.mb_strerror(self.status).decode("utf-8", "replace")
        self.message = message
        super().__init__(message)

    def __str__(self):
        return "%s (%s)" % (self.message, self.status_name)


def check(status):
    """Raise MigbarError for a failing mb_status; the message is read at once,
    before any other libmigbar call can replace it."""
    if status:  # MB_OK is 0
        msg = lib.mb_last_error()
        raise MigbarError(status, msg.decode("utf-8", "replace") if msg else None)


__all__ = ["lib", "library_path", "Handle", "MigbarError", "check", "SIGNATURES", "STATUS_NAMES",
           "EXPECTED_MAJOR", "ArgumentRangeError", "c_integer", "c_int_array", "c_string", "fspath"]
