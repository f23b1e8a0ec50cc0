"""migbar.Functional: names, metadata, Hubbard values and evaluation (Dirac exchange
analytically, derivatives by finite differences; the C tests check more)."""

import math

import numpy as np
import pytest

import migbar
from migbar import MigbarError

A0, HA = 0.529177210903, 27.211386245988


def test_names_and_metadata():
    f = migbar.Functional("r2scan")
    assert f.name == "r2SCAN" and f.family == "mgga"
    assert [c[0] for c in f.components] == [497, 498]
    assert f.components[0][1] == "mgga_x_r2scan"
    assert "Furness" in f.references or "doi" in f.references
    assert migbar.Functional("PBE").family == "gga"
    assert migbar.Functional("101+130").components == migbar.Functional("PBE").components
    with pytest.raises(MigbarError, match="hybrid"):
        migbar.Functional("hyb_gga_xc_b3lyp")
    with pytest.raises(MigbarError, match="known names"):
        migbar.Functional("HSE")
    with pytest.raises(ValueError):
        migbar.Functional("PBE\x00x")


def test_dirac_exchange_and_derivatives():
    rho = np.array([1e-3, 0.05, 2.0])
    out = migbar.Functional("lda_x").evaluate(rho)
    want = -0.75 * (3 / math.pi) ** (1 / 3) * np.cbrt(rho * A0 ** 3) * HA
    np.testing.assert_allclose(out["eps"], want, rtol=1e-12)
    np.testing.assert_allclose(out["vrho"], 4 / 3 * want, rtol=1e-12)
    f = migbar.Functional("SCAN")
    r, s, t = np.array([0.3]), np.array([0.4]), np.array([12.0])
    out = f.evaluate(r, sigma=s, tau=t)

    def e(r_, s_, t_):
        return r_[0] * f.evaluate(r_, sigma=s_, tau=t_)["eps"][0]
    for name, v, dv in (("vrho", r, None), ("vsigma", s, None), ("vtau", t, None)):
        h = 1e-5 * v[0]
        plus, minus = v.copy(), v.copy()
        plus[0] += h
        minus[0] -= h
        args_p = {"vrho": (plus, s, t), "vsigma": (r, plus, t), "vtau": (r, s, plus)}[name]
        args_m = {"vrho": (minus, s, t), "vsigma": (r, minus, t), "vtau": (r, s, minus)}[name]
        fd = (e(*args_p) - e(*args_m)) / (2 * h)
        assert abs(out[name][0] - fd) <= 2e-6 * abs(fd), name
    spin = f.evaluate(np.array([[0.2, 0.1]]), sigma=np.array([[0.2, 0.05, 0.1]]),
                      tau=np.array([[8.0, 4.0]]), nspin=2)
    assert spin["vrho"].shape == (1, 2) and spin["vsigma"].shape == (1, 3)


def test_hubbard():
    f = migbar.Functional("PBE").set_hubbard("Co", "d", 3.3)
    assert f.hubbard("Co", 2) == 3.3 and f.hubbard("Co", "p") == 0
    assert f.copy().hubbard("Co", "d") == 3.3
    with pytest.raises(MigbarError, match=r"\[0, 20\] eV"):
        f.set_hubbard("Co", "d", 25)


def test_dft_takes_a_functional():
    """Dft(functional="PBEsol") goes through mb_dft_set_xc_functional, and so does a
    meta-GGA (refused only when it computes with a core-corrected pseudopotential)."""
    s = migbar.Structure([[0, 2.715, 2.715], [2.715, 0, 2.715], [2.715, 2.715, 0]],
                         [[0, 0, 0], [0.25, 0.25, 0.25]], ["Si", "Si"])
    try:
        d = migbar.Dft(s, ecut=150, kpts=1, functional="PBEsol")
    except MigbarError as e:  # no pseudopotential for Si on this machine
        pytest.skip(str(e))
    d.set(functional=migbar.Functional("gga_x_pbe_sol+gga_c_pbe_sol"))
    d.set(functional="SCAN")
    d.set(functional=migbar.Functional("r2SCAN"))
