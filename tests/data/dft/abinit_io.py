"""Running ABINIT 9.6 and reading its output, shared by the reference generators of
tests/data/dft (scf, forces, parity) and bench/bench_dft.py."""
import os
import subprocess
import tempfile
import time


def run_abinit(text, name, nproc=1, env=None):
    """Runs ABINIT on input text as NAME.abi in a scratch directory; returns (the
    NAME.abo text, wall seconds of the whole process measured here)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, name + ".abi"), "w") as f:
            f.write(text)
        cmd = ["abinit", name + ".abi"]
        if nproc > 1:
            cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(nproc)] + cmd
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        path = os.path.join(tmp, name + ".abo")
        if p.returncode != 0 or not os.path.exists(path):
            raise RuntimeError(f"abinit failed on {name} (exit {p.returncode}):\n"
                               f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        with open(path) as f:
            return f.read(), wall


def energy_terms(abo):
    """The converged energy components (the last "--- !EnergyTerms" YAML block), in
    Hartree, in ABINIT's order, keys with blanks as underscores (eV duplicates left out)."""
    block = abo[abo.rindex("--- !EnergyTerms"):]
    block = block[:block.index("\n...")]
    terms = {}
    for line in block.splitlines()[3:]:
        key, _, val = line.partition(":")
        key = key.strip().strip("'").replace(" ", "_")
        if key.endswith("_eV") or not val.strip():
            continue
        terms[key] = float(val)
    return terms
