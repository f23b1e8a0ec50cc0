"""migbar.options and migbar.names: the library's own option and name tables (migbar.h
section 11), and the classes' keywords built from them."""

import math

import pytest

import migbar
from migbar import describe


def test_band_options_as_the_header_says():
    o = migbar.options("band")
    assert list(o) == ["spring", "spring_min", "climb", "climb_fmax", "fmax", "max_steps",
                       "optimizer", "max_move", "threads", "relax_endpoints", "allow_exchange"]
    f = o["fmax"]
    assert f.key == 4 and f.units == "eV/A" and f.default == 0.05
    assert f.min == 0 and f.min_exclusive and math.isinf(f.max) and not f.integer
    assert o["max_steps"].integer and o["max_steps"].default == 1000
    assert migbar.options("dft")["extra_bands"].default is None  # depends on smearing
    assert migbar.options("dft")["ecut"].units == "eV"
    assert set(migbar.options("hops")) == {"max_length", "symprec", "block_fraction",
                                           "min_separation", "max_atoms"}
    assert migbar.options("potential")["rho0"].default == 6


def test_names():
    assert migbar.names("optimizer") == {"fire": 0, "lbfgs": 1, "ode": 2}
    assert migbar.names("interpolation") == {"linear": 0, "idpp": 1}
    assert migbar.names("potential") == {"lj": 0, "morse": 1, "emt": 2}
    assert migbar.names("xc") == {"auto": 0, "lda": 1, "pbe": 2}
    assert migbar.names("smearing")["mv"] == 3
    assert migbar.names("format")["cif"] == 3
    assert describe.name_of("optimizer", 2) == "ode"
    with pytest.raises(ValueError, match="unknown set 'optimiser'"):
        migbar.names("optimiser")
    with pytest.raises(ValueError, match="known: band, dft, hops, potential"):
        migbar.options("neb")


def test_defaults_are_what_a_band_holds(tmp_path):
    """The classes' keywords come from the tables: every band option reads back its
    default, and a bound from the table is where Band.set refuses."""
    s = migbar.Structure([[4, 0, 0], [0, 4, 0], [0, 0, 4]], [[0, 0, 0], [0.5, 0.5, 0.5]],
                         ["Cu", "Cu"])
    f = migbar.Structure([[4, 0, 0], [0, 4, 0], [0, 0, 4]], [[0.1, 0, 0], [0.5, 0.5, 0.5]],
                         ["Cu", "Cu"])
    band = migbar.Band(s, f, nimages=3)
    for name, o in migbar.options("band").items():
        v = band.get(name)
        if name == "optimizer":
            assert v == describe.name_of("optimizer", int(o.default))
        elif name == "climb":
            assert v in (0, False)
        elif name not in ("relax_endpoints", "allow_exchange"):
            assert v == o.default, name
    with pytest.raises(migbar.MigbarError, match=r"MB_BAND_MAX_MOVE \(max_move\) must be in "
                                                 r"\(0, 10\] A"):
        band.set(max_move=11)
    band.set(optimizer="ode")
    assert band.get("optimizer") == "ode"
    band.close()


def test_version_has_one_home():
    assert migbar.__version__ == migbar.version()
