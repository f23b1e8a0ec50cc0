"""migbar.Dft, migbar.dft.DftCalculator (ASE) and Band.set_dft.

Reference: the Si case of tests/dft/test_scf.c (ABINIT 9.6.2, tests/data/dft/scf/
reference.txt, case si_pbe_libxc): diamond Si, a = 10.26 Bohr, PseudoDojo PBE psp8,
ecut 10 Ha, 2x2x2 grid shifted by 1/2, fixed occupations: E = -8.45511417073225 Ha;
highest occupied eigenvalue 0.13328 Ha. Ha = 27.211386245988 eV, Bohr = 0.529177210903 A
(CODATA 2018, as ABINIT). Skipped without the abinit-data pseudopotentials.
"""

import os

import numpy as np
import pytest

import migbar
from migbar.dft import Dft, DftCalculator

HA = 27.211386245988
BOHR = 0.529177210903
PSP_DIR = os.environ.get("MB_PSP_DIR", "/usr/share/abinit/psp")
SI_PSP = os.path.join(PSP_DIR, "Pseudodojo_nc_sr_04_pbe_standard_psp8", "Si.psp8")
SI_REF = -8.45511417073225 * HA

pytestmark = pytest.mark.skipif(not os.path.exists(SI_PSP),
                                reason="no abinit-data pseudopotentials in " + PSP_DIR)


def si_atoms(dx=0.0):
    ase_build = pytest.importorskip("ase.build")
    a = ase_build.bulk("Si", "diamond", a=10.26 * BOHR)
    a.positions[0, 0] += dx
    return a


def si_structure(dx=0.0):
    return migbar.Structure.from_ase(si_atoms(dx))


REF_SETTINGS = dict(ecut=10 * HA, kpts=(2, 2, 2), kshift=(0.5, 0.5, 0.5), scf_tol=1e-8,
                    pseudo={"Si": SI_PSP})
# Gamma only keeps the diamond symmetry (the shifted grid breaks it) and is cheap
GAMMA = dict(ecut=150, kpts=1, functional="PBE", pseudo={"Si": SI_PSP})


def test_energy_units_report_eigenvalues():
    lines = []
    with Dft(si_structure(), **REF_SETTINGS) as dft:
        dft.set_log(lambda level, msg: lines.append(msg))
        e, f, forces = dft.compute()
        assert abs(e - SI_REF) < 1e-5
        assert f == pytest.approx(e, abs=1e-9)
        assert forces.shape == (2, 3)
        assert np.allclose(forces[0], -forces[1], atol=1e-4)
        rep = dft.report
        scf = [m for m in lines if m.startswith("scf ")]
        assert rep["converged"] and rep["steps"] == len(scf) and rep["steps"] > 2
        # before the SCF lines: the pseudopotential and the size of the run (issue 14)
        assert lines[0].startswith("Si: pseudopotential ") and "psp8, PBE" in lines[0]
        assert lines[1].startswith("size: about ") and lines[2].startswith("scf 1 ")
        assert abs(rep["fermi"] - 0.13328 * HA) < 3e-3
        eig, kpts, wt = dft.eigenvalues()
        assert eig.shape[1] == 4 and kpts.shape == (eig.shape[0], 3)
        assert wt.sum() == pytest.approx(1.0)
        assert eig.max() == pytest.approx(rep["fermi"], abs=1e-6)
        assert dft["ecut"] == pytest.approx(10 * HA) and dft["max_scf"] == 100
        c = dft.copy()
    e2, _, _ = c.compute()  # the copy outlives the original and starts warm
    assert e2 == pytest.approx(e, abs=1e-6) and c.report["steps"] < rep["steps"]


def test_errors():
    s = si_structure()
    with pytest.raises(ValueError):
        Dft(s, functional="B3LYP")
    with pytest.raises(TypeError):
        Dft(s, cutoff=300)
    with pytest.raises(migbar.MigbarError) as exc:
        Dft(s, ecut=-1)
    assert "MB_DFT_ECUT" in str(exc.value)
    with pytest.raises(migbar.MigbarError):
        Dft(s, pseudo={"Si": "/nonexistent/Si.psp8"})
    dft = Dft(s, max_scf=2, **GAMMA)
    with pytest.raises(migbar.MigbarError) as exc:
        dft.compute()
    assert exc.value.status == 9 and "residual" in str(exc.value)
    assert dft.report == dict(dft.report, steps=2, converged=False)
    # the density grid below 4 x ecut would alias: refused when computed
    with Dft(s, ecut_rho=500, **GAMMA) as d2:
        assert d2["ecut_rho"] == 500
        with pytest.raises(migbar.MigbarError) as exc:
            d2.compute()
        assert "below 4 x ecut = 600 eV" in str(exc.value)


def test_ase_calculator_warm_start():
    atoms = si_atoms(0.02)
    calc = DftCalculator(**GAMMA)
    atoms.calc = calc
    e1 = atoms.get_potential_energy()
    f1 = atoms.get_forces()
    steps1 = calc.dft.report["steps"]
    handle = calc.dft
    atoms.positions[0, 0] += 0.02  # only positions change: the same handle, warm
    e2 = atoms.get_potential_energy()
    assert calc.dft is handle and calc.dft.report["converged"] and steps1 > 2
    # the force on atom 0 along x is minus the slope between the two geometries
    assert f1[0, 0] < 0 and e2 > e1
    assert atoms.get_potential_energy(force_consistent=True) == pytest.approx(e2, abs=1e-8)
    # a fresh calculation of the second geometry agrees with the warm one
    fresh = Dft(migbar.Structure.from_ase(atoms), **GAMMA).compute()[0]
    assert fresh == pytest.approx(e2, abs=1e-5)
    atoms.set_cell(atoms.cell * 1.01, scale_atoms=True)  # a new cell: a new handle
    atoms.get_potential_energy()
    assert calc.dft is not handle


def test_band_set_dft():
    band = migbar.Band(si_structure(0.0), si_structure(0.1), nimages=1)
    dft = Dft(si_structure(), **GAMMA)
    band.set_dft(dft)
    del dft  # the band keeps its own copies
    band.evaluate()
    e = band.energies
    assert np.all(np.isfinite(e)) and e[0] < e[1] < e[2]
    ref = Dft(si_structure(0.05), **GAMMA).compute()[1]
    assert e[1] == pytest.approx(ref, abs=1e-5)


def test_spin_o2():
    """Spin-polarised O2 in a box against ABINIT 9.6.2 (nsppol 2; references in
    tests/data/dft/parity/o2_spin.abi and o2_spin_fixed.abi): F = -31.2347673952870 Ha
    (free moment, converging to 2 mu_B) and -31.2347673957373 Ha (held at 2)."""
    shared = os.environ.get("MB_SHARED_PSP") or os.path.join(
        os.path.dirname(__file__), "..", "..", "..", "..", "shared", "psp")
    o_psp = os.path.join(shared, "pseudodojo-nc-sr-04-pbe-nocc", "O.psp8")
    if not os.path.exists(o_psp):
        pytest.skip("no ../shared/psp PseudoDojo O without core correction")
    here = os.path.dirname(os.path.abspath(__file__))
    o2 = migbar.Structure.read(os.path.join(here, "..", "..", "..", "tests", "data", "dft",
                                            "O2_box.vasp"))
    common = dict(ecut=15 * HA, kpts=1, functional="PBE", smearing=("gaussian", 0.01 * HA),
                  extra_bands=4, scf_tol=1e-8, pseudo={"O": o_psp})
    with Dft(o2, magmoms=[1, 1], **common) as dft:
        assert dft["spin"] == 1
        _, f, _ = dft.compute()
        assert f == pytest.approx(-31.2347673952870 * HA, abs=2e-5)
        m, am = dft.magnetization
        assert m == pytest.approx(2.0, abs=1e-4) and am > m
        up, _, _ = dft.eigenvalues(spin=0)
        dn, _, _ = dft.eigenvalues(spin=1)
        assert up.shape == dn.shape and up[0, 0] < dn[0, 0]  # majority deeper
        with pytest.raises(migbar.MigbarError):
            dft.eigenvalues()  # two sets: say which
        q, mom = dft.atomic_spheres()  # ABINIT's spheres of 2 Bohr: 0.967561, 0.966267
        assert mom == pytest.approx([0.967561, 0.966267], abs=5e-4) and (q > 6).all()
        dft.set(moment=2.0)
        assert dft["fix_moment"] == 1
        _, f2, _ = dft.compute()
        assert f2 == pytest.approx(-31.2347673957373 * HA, abs=2e-5)
    with pytest.raises(ValueError):
        Dft(o2, magmoms=[1, 1, 1], **common)


# DFT+U: NaCoO2 with U = 4 eV on Co d, the gamma_u4 case of tests/data/dft/hubbard
# (Quantum ESPRESSO 6.7: E_U = 7.4721535e-2 Ha, 8.09070848 electrons in the Co d
# projection; 25 Ha, Gamma, Gaussian 0.01 Ha). The PseudoDojo UPF files of ../shared/psp.
UPF_DIR = os.path.join(os.environ.get("MB_SHARED_PSP") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "shared", "psp"),
    "pseudodojo-nc-sr-04-pbe-nocc")
NACOO2_UPF = {el: os.path.join(UPF_DIR, f) for el, f in
              (("Co", "Co-sp.upf"), ("Na", "Na-sp.upf"), ("O", "O.upf"))}


def nacoo2():
    s3 = 3 ** 0.5
    a, c = 2.889, 15.609
    lattice = [[a / 2, -a / (2 * s3), c / 3], [0, a / s3, c / 3], [-a / 2, -a / (2 * s3), c / 3]]
    frac = [[0, 0, 0], [0.5, 0.5, 0.5], [0.272, 0.27, 0.27], [-0.27, -0.27, -0.27]]
    return migbar.Structure(lattice, frac, ["Co", "Na", "O", "O"])


@pytest.mark.skipif(not os.path.exists(NACOO2_UPF["Co"]), reason="no ../shared/psp")
def test_hubbard():
    settings = dict(ecut=25 * HA, kpts=1, smearing=("gaussian", 0.01 * HA), scf_tol=1e-8,
                    threads=2, pseudo=NACOO2_UPF)
    # the hubbard setting before the functional: both are applied together
    with Dft(nacoo2(), hubbard={"Co": ("d", 4.0)}, functional="PBE", **settings) as dft:
        dft.compute()
        h = dft.hubbard
        assert h["energy"] == pytest.approx(7.4721535e-2 * HA, abs=1e-5)
        (shell,) = h["shells"]
        assert shell["atom"] == 0 and shell["l"] == "d"
        assert shell["electrons"] == pytest.approx(8.09070848, abs=1e-4)
        assert shell["occupations"].shape == (1, 5, 5)
        # the same U through a migbar.Functional, set again: the same result, warm
        f = migbar.Functional("PBE").set_hubbard("Co", "d", 4.0)
        dft.set(functional=f, hubbard=None)
        dft.compute()
        assert dft.hubbard["energy"] == pytest.approx(h["energy"], abs=1e-6)
    with pytest.raises(ValueError, match="named functional"):
        Dft(nacoo2(), hubbard={"Co": ("d", 4.0)})
    with pytest.raises(ValueError, match="hubbard wants"):
        Dft(nacoo2(), functional="PBE", hubbard={"Co": "d"})
    with pytest.raises(ValueError, match="U_eff"):
        Dft(nacoo2(), functional="PBE", hubbard={"Co": {"d": 30}})
    # a psp8 Co: refused when computing, naming the file
    dft = Dft(nacoo2(), ecut=200, kpts=1, functional="PBE", hubbard={"Co": ("d", 4.0)},
              pseudo=dict(NACOO2_UPF, Co=os.path.join(UPF_DIR, "Co-sp.psp8")))
    with pytest.raises(migbar.MigbarError, match="Co-sp.psp8"):
        dft.compute()
