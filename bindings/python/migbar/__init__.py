"""migbar: Python bindings of libmigbar (ionic migration barriers in battery materials).

    >>> import migbar
    >>> s = migbar.Structure.read("POSCAR")
    >>> s.formula(), s.spacegroup()
    >>> nl = s.neighbors(cutoff=3.0)
    >>> with migbar.Model.load("model.safetensors") as m:
    ...     m.predict_band(migbar.Structure.read("POSCAR_initial"),
    ...                    migbar.Structure.read("POSCAR_final"))
    >>> net = migbar.hops(s, "Li")           # distinct hops and percolation

The library is found through MIGBAR_LIBRARY, the install directory, the build
tree, or the system search path (see migbar._lib).
"""

from . import _lib
from ._lib import MigbarError, library_path
from .model import (Ensemble, ExtrapolationWarning, Graph, Model, default_model_path,
                    predict_barrier, predict_barriers)
from .describe import names, options
from .dft import Dft, DftCalculator
from .functional import Functional
from .hops import Hop, HopNetwork, Percolation, hops
from .neb import Band
from .neighbors import NeighborList
from .potential import Potential
from .structure import (Structure, element_mass, element_number, element_symbol,
                        format_code)

def version():
    """Version string of the linked libmigbar, e.g. '0.3.1'."""
    return _lib.lib.mb_version().decode()


def version_number():
    """10000*major + 100*minor + patch of the linked libmigbar."""
    return _lib.lib.mb_version_number()


# The package ships with its library: one version, the header's (include/migbar.h).
__version__ = version()


__all__ = ["Structure", "NeighborList", "Graph", "Model", "Band", "Potential", "Dft", "DftCalculator", "Ensemble",
           "HopNetwork", "Hop", "Percolation", "hops",
           "ExtrapolationWarning", "predict_barrier", "predict_barriers", "default_model_path", "MigbarError", "element_number",
           "element_symbol", "element_mass", "format_code", "version", "version_number",
           "library_path", "options", "names", "Functional", "__version__"]


def __getattr__(name):  # PEP 562: migbar.MigbarCalculator imports ASE only when asked
    if name == "MigbarCalculator":
        from .calculator import MigbarCalculator
        return MigbarCalculator
    raise AttributeError("module 'migbar' has no attribute %r" % name)
