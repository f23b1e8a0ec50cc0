#!/usr/bin/env python3
"""E_m of one hop with several exchange-correlation functionals: the question of the study
libmigbar comes from (how the functional changes DFT-NEB migration barriers), asked of any
hop with `migbar neb --potential dft`.

    python3 compare.py [INITIAL FINAL] [--functionals LDA,PBE,PBEsol,SCAN,r2SCAN]
        [--pseudo EL=FILE ...] [--ecut EV] [--ecut-rho EV] [--mgga-ecut-rho EV]
        [--kpts N] [--smearing KIND:EV]
        [--charge Q] [--magmom LIST] [--hubbard EL:L:U ...]
        [--images N] [--fmax EV_A] [--migbar PATH] [-o OUT]

Defaults: the Li vacancy hop of examples/dft-neb (15-atom bcc Li, the HGH Li without core
correction, which meta-GGAs need), 150 eV, Gamma, Fermi-Dirac 0.1 eV, 3 images, climbing
image, fmax 0.05 eV/A. For each functional OUT/<F>/ holds the run (neb.json, profile.svg,
band.xyz); OUT/comparison.md and comparison.json the table (barriers, family, steps, DFT
calculations, wall time) and OUT/profiles.svg every energy profile on one plot.
A functional named F+U (PBE+U, SCAN+U) runs F with the --hubbard values. Standard
library only; migbar is found beside this script's build tree or on $PATH.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
COLORS = ["#1b6ca8", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#30638e"]


def find_migbar(given):
    for cand in [given, os.path.join(TOP, "build", "tools", "migbar"), shutil.which("migbar")]:
        if cand and os.path.exists(cand):
            return cand
    sys.exit("compare.py: no migbar binary (build the project or pass --migbar)")


def family(migbar, name):
    """lda, gga or mgga from the Python-free route: `migbar dft --help` does not say, so
    ask the functional's name (meta-GGAs are the SCAN family in this table)."""
    up = name.upper()
    return "mgga" if "SCAN" in up or up.startswith("MGGA") else (
        "lda" if up in ("LDA", "PZ") or up.startswith("LDA_") else "gga")


def run_one(args, migbar, name, out):
    """One NEB; a name ending in "+U" (PBE+U, SCAN+U) runs that functional with the
    --hubbard values (Dudarev U_eff on the UPF pseudopotentials' orbitals)."""
    xc, plus_u = (name[:-2], True) if name.upper().endswith("+U") else (name, False)
    if plus_u and not args.hubbard:
        return {"functional": name, "error": "a +U functional needs --hubbard EL:L:U",
                "wall_s": 0.0}
    cmd = [migbar, "neb", "-i", args.initial, "-f", args.final, "-n", str(args.images),
           "--climb", "--fmax", str(args.fmax), "-p", "dft", "--ecut", str(args.ecut),
           "--kpts", str(args.kpts), "--functional", xc, "-o", out, "--quiet"]
    for h in (args.hubbard or []) if plus_u else []:
        cmd += ["--hubbard", h]
    if args.smearing:
        cmd += ["--smearing", args.smearing]
    if args.charge:
        cmd += ["--charge", repr(args.charge)]
    rho = args.mgga_ecut_rho if family(migbar, xc) == "mgga" and args.mgga_ecut_rho \
        else args.ecut_rho
    if rho:
        cmd += ["--ecut-rho", repr(rho)]
    if args.magmom:
        cmd += ["--magmom", args.magmom]
    for p in args.pseudo:
        cmd += ["--pseudo", p]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 3):  # 3: not converged, the band is still written
        return {"functional": name, "error": (p.stderr.strip() or p.stdout.strip())[-400:],
                "wall_s": wall}
    with open(os.path.join(out, "neb.json")) as f:
        d = json.load(f)
    return {"functional": name, "family": family(migbar, xc) + ("+U" if plus_u else ""),
            "forward_eV": d["barrier"]["forward"], "backward_eV": d["barrier"]["backward"],
            "converged": d["stats"]["converged"], "steps": d["stats"]["steps"],
            "dft_calculations": d["stats"]["force_calls_moving"]
            + d["stats"]["force_calls_endpoints"], "wall_s": wall,
            "profile": [d["profile"]["coordinate"],
                        [e - d["energies"][0] for e in d["profile"]["energy"]]],
            "images": [d["reaction_coordinate"], d["relative_energies"]]}


def nice_ticks(lo, hi, n=5):
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    import math
    span = hi - lo or 1.0
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    k0 = math.ceil(lo / step - 1e-9)
    return [round(k * step, 12) + 0.0 for k in range(k0, int(math.floor(hi / step + 1e-9)) + 1)]


def svg(results, path):
    ok = [r for r in results if "profile" in r]
    if not ok:
        return
    W, H, L, R, T, B = 640, 400, 70, 150, 30, 50
    xs = [x for r in ok for x in r["profile"][0]]
    ys = [y for r in ok for y in r["profile"][1]]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys) * 1.1 or 1.0

    def px(x):
        return L + (x - x0) / (x1 - x0 or 1) * (W - L - R)

    def py(y):
        return H - B - (y - y0) / (y1 - y0 or 1) * (H - T - B)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">reaction '
           f'coordinate (A)</text>',
           f'<text x="18" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 '
           f'{(T + H - B) / 2})">E - E(initial) (eV)</text>']
    for y in nice_ticks(y0, y1):
        out.append(f'<text x="{L - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
        out.append(f'<line x1="{L}" y1="{py(y):.1f}" x2="{W - R}" y2="{py(y):.1f}" '
                   f'stroke="#ddd"/>')
    for x in nice_ticks(x0, x1):
        out.append(f'<text x="{px(x):.1f}" y="{H - B + 16}" text-anchor="middle">{x:g}</text>')
        out.append(f'<line x1="{px(x):.1f}" y1="{H - B}" x2="{px(x):.1f}" y2="{H - B + 4}" '
                   f'stroke="black"/>')
    for i, r in enumerate(ok):
        c = COLORS[i % len(COLORS)]
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(*r["profile"]))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in zip(*r["images"]):
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{c}"/>')
        ly = T + 18 * i + 10
        out.append(f'<line x1="{W - R + 10}" y1="{ly}" x2="{W - R + 30}" y2="{ly}" stroke="{c}" '
                   f'stroke-width="2"/>')
        out.append(f'<text x="{W - R + 36}" y="{ly + 4}">{r["functional"]}: '
                   f'{r["forward_eV"]:.3f} eV</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ex = os.path.join(TOP, "examples", "dft-neb")
    ap.add_argument("initial", nargs="?", default=os.path.join(ex, "POSCAR_initial"))
    ap.add_argument("final", nargs="?", default=os.path.join(ex, "POSCAR_final"))
    ap.add_argument("--functionals", default="LDA,PBE,PBEsol,SCAN,r2SCAN")
    ap.add_argument("--pseudo", action="append", default=None)
    ap.add_argument("--ecut", type=float, default=150)
    ap.add_argument("--ecut-rho", type=float, default=0.0,
                    help="density-grid cutoff, eV (migbar --ecut-rho; default 4 x ecut)")
    ap.add_argument("--mgga-ecut-rho", type=float, default=0.0,
                    help="the same for the meta-GGAs only (SCAN needs a finer grid)")
    ap.add_argument("--kpts", default="1")
    ap.add_argument("--smearing", default="fermi-dirac:0.1")
    ap.add_argument("--charge", type=float, default=0.0,
                    help="net charge of the cell, e (a charged vacancy: -1)")
    ap.add_argument("--magmom", help="starting moments per atom (migbar --magmom)")
    ap.add_argument("--hubbard", action="append", metavar="EL:L:U",
                    help="U_eff for the functionals named F+U (e.g. PBE+U,SCAN+U); "
                    "repeatable; the element needs a UPF --pseudo")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--fmax", type=float, default=0.05)
    ap.add_argument("--migbar")
    ap.add_argument("-o", "--out", default="functionals-run")
    args = ap.parse_args(argv)
    if args.pseudo is None:
        args.pseudo = ["Li=" + os.environ.get("MB_PSP_DIR", "/usr/share/abinit/psp") +
                       "/3li.1.hgh"]
    migbar = find_migbar(args.migbar)
    os.makedirs(args.out, exist_ok=True)
    results = []
    for name in [f for f in args.functionals.split(",") if f]:
        r = run_one(args, migbar, name, os.path.join(args.out, name))
        results.append(r)
        if "error" in r:
            print(f"{name:8s} failed: {r['error']}", file=sys.stderr)
        else:
            print(f"{name:8s} E_m = {r['forward_eV']:.4f} eV (backward {r['backward_eV']:.4f}), "
                  f"{r['steps']} steps, {r['dft_calculations']} DFT calculations, "
                  f"{r['wall_s']:.1f} s", flush=True)
    rows = ["| functional | family | E_m forward (eV) | backward (eV) | converged | steps | "
            "DFT calculations | wall (s) |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            rows.append(f"| {r['functional']} | | failed | | | | | {r['wall_s']:.1f} |")
        else:
            rows.append(f"| {r['functional']} | {r['family']} | {r['forward_eV']:.4f} | "
                        f"{r['backward_eV']:.4f} | {'yes' if r['converged'] else 'no'} | "
                        f"{r['steps']} | {r['dft_calculations']} | {r['wall_s']:.1f} |")
    with open(os.path.join(args.out, "comparison.md"), "w") as f:
        f.write("\n".join(rows) + "\n")
    with open(os.path.join(args.out, "comparison.json"), "w") as f:
        json.dump([{k: v for k, v in r.items() if k not in ("profile", "images")}
                   for r in results], f, indent=1)
    svg(results, os.path.join(args.out, "profiles.svg"))
    print("\n".join(rows))
    print(f"wrote {args.out}/comparison.md, comparison.json, profiles.svg")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
