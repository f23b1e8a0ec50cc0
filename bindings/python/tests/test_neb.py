"""migbar.Band: NEB driven from Python (a Python function, an ASE calculator, the
built-in EMT), against ASE 3.22's NEB on the same problem."""
import json

import numpy as np
import pytest

import migbar
from migbar import MigbarError
from migbar._lib import MB_ERR_CALLBACK, MB_ERR_INVALID_ARG, MB_ERR_STOPPED

ase = pytest.importorskip("ase")
from ase.build import add_adsorbate, fcc100  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402
from ase.constraints import FixAtoms  # noqa: E402
from ase.optimize import BFGS  # noqa: E402


@pytest.fixture(scope="module")
def adatom():
    """Au on Al(100), ASE's NEB diffusion tutorial, end points relaxed by ASE."""
    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.pbc = True  # 8 A of vacuum: wider than EMT's cutoff
    slab.set_constraint(FixAtoms(mask=[a.tag > 1 for a in slab]))
    ends = []
    for shift in (0.0, 0.5):
        s = slab.copy()
        s[-1].x += shift * s.get_cell()[0, 0]
        s.calc = EMT()
        BFGS(s, logfile=None).run(fmax=0.01)
        ends.append(s)
    return ends


def ase_barrier(initial, final, n=3):
    from ase.neb import NEB
    images = [initial.copy() for _ in range(n + 1)] + [final.copy()]
    for im in images:
        im.set_constraint(initial.constraints)
        im.calc = EMT()
    neb = NEB(images, climb=True, method="improvedtangent")
    neb.interpolate(mic=True)
    BFGS(neb, logfile=None).run(fmax=0.005, steps=1000)
    e = [im.get_potential_energy() for im in images]
    return max(e) - e[0]


def test_ase_calculator_and_builtin_emt_agree_with_ase_neb(adatom):
    initial, final = adatom
    ref = ase_barrier(initial, final)  # ASE 3.22 climbing-image NEB, fmax 0.005
    results = []
    for provider in ("builtin", "ase"):
        band = migbar.Band(initial, final, nimages=3, climb=True, fmax=0.005,
                           optimizer="lbfgs")
        if provider == "builtin":
            band.set_potential(migbar.Potential("emt"))
        else:
            band.set_calculator(EMT())
        band.run()
        fwd, bwd, saddle = band.barrier()
        assert abs(fwd - ref) < 2e-3, (provider, fwd, ref)
        assert saddle == 2 and abs(fwd - bwd) < 2e-3  # the hop is symmetric
        st = band.stats()
        assert st["converged"] and st["max_force"] < 0.005
        assert st["moving_calls"] == 3 * (st["steps"] + 1)
        results.append((band.energies, st["steps"]))
        # the fixed atoms (two bottom layers) did not move
        fixed = [a.index for a in initial if a.tag > 1]
        mid = band.image(2).positions
        assert np.abs(mid[fixed] - initial.positions[fixed]).max() < 1e-12
    # the same energies to 1e-6 eV whichever provider computed them
    assert np.abs(results[0][0] - results[1][0]).max() < 1e-6


def test_python_function_provider_and_outputs(tmp_path, adatom):
    initial, final = adatom
    calc = EMT()
    calls = []

    def forces(cell, numbers, positions):
        calls.append(len(numbers))
        atoms = ase.Atoms(numbers=numbers, positions=positions, cell=cell, pbc=True)
        atoms.calc = calc
        return atoms.get_potential_energy(), atoms.get_forces()

    lines = []
    band = migbar.Band(initial, final, nimages=3, interpolation="idpp", climb=True)
    band.set_forces(forces).set_log(lambda level, msg: lines.append(msg))
    band.run()
    st = band.stats()
    assert len(calls) == st["moving_calls"] + st["endpoint_calls"]
    assert any(line.startswith("step 1 ") for line in lines)
    s, ft = band.path()
    assert s[0] == 0 and np.all(np.diff(s) > 0) and len(ft) == 5
    x, e = band.profile(51)
    assert x[0] == 0 and abs(x[-1] - s[-1]) < 1e-12
    assert abs(e.max() - band.energies[0] - band.barrier()[0]) < 0.01
    for name in ("neb.json", "profile.svg", "band.xyz"):
        band.write(tmp_path / name)
    summary = json.loads((tmp_path / "neb.json").read_text())
    assert isinstance(summary, dict) and "energies" in json.dumps(summary)
    frames = ase.io.read(tmp_path / "band.xyz", index=":")
    assert len(frames) == 5
    assert np.abs(frames[2].positions - band.image(2).positions).max() < 1e-6


def test_callback_errors_propagate(adatom):
    initial, final = adatom

    class Boom(RuntimeError):
        pass

    def broken(cell, numbers, positions):
        raise Boom("provider failed")

    band = migbar.Band(initial, final, nimages=3)
    band.set_forces(broken)
    with pytest.raises(Boom):
        band.run()

    band.set_forces(lambda c, z, r: (0.0, np.zeros((2, 3))))  # wrong shape
    with pytest.raises(ValueError, match="shape"):
        band.evaluate()

    band.set_potential(migbar.Potential("emt"))
    band.set_step_callback(lambda b, step: step >= 2)
    with pytest.raises(MigbarError) as err:
        band.run()
    assert err.value.status == MB_ERR_STOPPED
    assert band.stats()["steps"] == 2
    band.set_step_callback(lambda b, step: False)
    assert band.run()  # continues to convergence


def test_options_and_bad_input(adatom):
    initial, final = adatom
    band = migbar.Band(initial, final, nimages=2, spring=0.3, climb="delayed",
                       optimizer="fire", max_steps=50)
    assert band.get("spring") == 0.3 and band.get("climb") == 2
    assert band.get("optimizer") == "fire" and band.get("max_steps") == 50
    assert band.nimages == 4 and band.natoms == len(initial)
    with pytest.raises(TypeError):
        band.set(springs=1)
    with pytest.raises(ValueError):
        band.set(optimizer="newton")
    with pytest.raises(MigbarError) as err:
        band.set(fmax=-1)
    assert err.value.status == MB_ERR_INVALID_ARG
    with pytest.raises(MigbarError) as err:
        band.run()  # no force provider yet
    assert "provider" in str(err.value)
    other = initial.copy()
    del other[0]
    with pytest.raises(MigbarError):
        migbar.Band(initial, other, nimages=3)
    assert MB_ERR_CALLBACK != MB_ERR_STOPPED


def test_checkpoint_save_load_and_restart(tmp_path, adatom):
    """Band.save in the step callback, Band.load, and the run goes on from there to the
    barrier of one uninterrupted run (same potential, same settings)."""
    initial, final = adatom
    full = migbar.Band(initial, final, nimages=3, climb=True, fmax=0.01)
    full.set_potential(migbar.Potential("emt"))
    full.run()
    path = tmp_path / "cp.json"
    band = migbar.Band(initial, final, nimages=3, climb=True, fmax=0.01, spring=0.1)
    band.set_potential(migbar.Potential("emt"))
    band.set_step_callback(lambda b, step: b.save(path, run={"step": step}) or step >= 4)
    with pytest.raises(MigbarError):
        band.run()  # stopped by the callback after saving step 4
    loaded = migbar.Band.load(path)
    assert loaded.run_info == {"step": 4}
    assert loaded.get("climb") == 1 and loaded.get("fmax") == 0.01
    assert loaded.stats()["steps"] == 4
    for i in range(band.nimages):
        np.testing.assert_array_equal(loaded.image(i).positions, band.image(i).positions)
    np.testing.assert_array_equal(loaded.image(0).selective, band.image(0).selective)
    loaded.set_potential(migbar.Potential("emt"))
    loaded.run()
    assert abs(loaded.barrier()[0] - full.barrier()[0]) < 0.005
    summary = json.loads(path.read_text())
    assert summary["format"] == "migbar-neb" and "checkpoint" in summary
    with pytest.raises(TypeError, match="run must be a dict"):
        band.save(path, run=[1, 2])
    band.write(tmp_path / "summary.json")
    with pytest.raises(MigbarError, match="no \"checkpoint\" object"):
        migbar.Band.load(tmp_path / "summary.json")
