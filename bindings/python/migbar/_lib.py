"""Loading libmigbar and declaring the C functions of include/migbar.h.

Every MB_API function has an entry in SIGNATURES (restype, argtypes); a test
parses migbar.h and fails when one is missing or has the wrong number of
arguments. Handles cross as c_void_p, arrays as POINTER(c_double/c_int).
"""

import ctypes
import ctypes.util
import os
import sysconfig
from ctypes import CFUNCTYPE, POINTER, c_char_p, c_double, c_int, c_long, c_size_t, c_void_p

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


def fspath(path):
    """A path argument as bytes for C (str, bytes or os.PathLike)."""
    return os.fsencode(path)


class Handle:
    """Lifetime of one C handle: close() frees it with the class's _free function
    (a name in the library), __del__ and the with-statement call close(), and
    _h gives the live pointer or raises ValueError once closed."""

    __slots__ = ()  # subclasses may use slots (Structure does)
    _free = None    # e.g. "mb_structure_free"
    _what = "handle"

    @property
    def _h(self):
        ptr = getattr(self, "_ptr", None)
        if ptr is None:
            raise ValueError("this %s is closed" % self._what)
        return ptr

    def close(self):
        """Free the C handle now."""
        ptr = getattr(self, "_ptr", None)
        self._ptr = None
        if ptr is not None and lib is not None:
            getattr(lib, self._free)(ptr)

    @property
    def closed(self):
        return getattr(self, "_ptr", None) is None

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
           "EXPECTED_MAJOR"]
