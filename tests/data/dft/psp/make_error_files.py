"""Small pseudopotential files for tests/dft/test_psp.c (valid and malformed) and the
seeds of tests/fuzz/corpus/psp/. Run from this directory: python3 make_error_files.py

small.psp8 is a valid psp8 file on an 8-point grid (h = 0.25 Bohr) with two s
projectors, one p projector, the local part in its own block (lloc = 4) and a model
core charge; the others break it (or an HGH file) in one place each, at a line the
test names."""
import math


def small_psp8():
    mmax, h = 8, 0.25
    r = [i * h for i in range(mmax)]
    out = ["Xx  small test file (psp8)",
           "14.0000      4.0000      220101    zatom,zion,pspd",
           "8      11   1     4   %d     0    pspcod,pspxc,lmax,lloc,mmax,r2well" % mmax,
           "1.75000000  1.00000000  0.00000000    rchrg fchrg qchrg",
           "2     1     0     0     0    nproj",
           "1     1           extension_switch",
           "0                         5.1000000000000D+00  7.0000000000000D-01"]
    for i, x in enumerate(r):
        out.append("%d  %.13E  %.13E  %.13E" % (i + 1, x, x * math.exp(-x * x),
                                               x * (1.5 - x * x) * math.exp(-x * x)))
    out.append("1                        -2.5000000000000D+00")
    for i, x in enumerate(r):
        out.append("%d  %.13E  %.13E" % (i + 1, x, x * x * math.exp(-x * x)))
    out.append("4")
    for i, x in enumerate(r):
        v = -4.0 * math.erf(x) / x if x > 0 else -8.0 / math.sqrt(math.pi)
        out.append("%d  %.13E  %.13E" % (i + 1, x, v))
    for i, x in enumerate(r):
        f = 4 * math.pi * math.exp(-2 * x * x)
        out.append("%d  %.13E  %.13E  %.13E  %.13E  %.13E  %.13E"
                   % (i + 1, x, f, -4 * x * f, 0.0, 0.0, 0.0))
    return [s.replace("E", "D") if s[:1].isdigit() and "  " in s else s for s in out]


def write(name, lines):
    with open(name, "w") as f:
        f.write("\n".join(lines) + "\n")


lines = small_psp8()
write("small.psp8", lines)
write("truncated.psp8", lines[:20])                      # ends inside the l = 1 block
bad = list(lines)
bad[11] = bad[11].replace("D-01", "X-01", 1)            # line 12: a bad number
write("badnumber.psp8", bad)
grid = list(lines)
grid[10] = "4  8.0000000000000D-01  1.0D-01  1.0D-01"    # line 11: not uniform
write("badgrid.psp8", grid)
order = list(lines)
order[15] = "2                        -2.5000000000000D+00"  # line 16: l = 2 where 1 is due
write("badorder.psp8", order)
write("pspcod7.psp", ["PAW header (pspcod 7, as ABINIT's 1h.paw)",
                      "   1.000   1.000 20090106               : zatom,zion,pspdat",
                      "  7  2  0 0   347 0.                    : pspcod,pspxc,lmax,lloc,mmax,r2well",
                      " paw4 2230                              : pspfmt,creatorID"])
write("paw.xml", ['<?xml version="1.0"?>', '<paw_setup version="0.6">',
                  '  <atom symbol="H" Z="1" core="0" valence="1"/>', "</paw_setup>"])
hgh = open("26fe.16.hgh").read().split("\n")
bad = list(hgh)
bad[5] = bad[5].replace("-5.234954", "-5.23495q")       # line 6: h22p is not a number
write("badnumber.hgh", bad[:-1])
write("truncated.hgh", hgh[:6])                         # the k_p line is missing

# Seeds for the fuzz harness tests/fuzz/fuzz_psp.c
import os
seeds = os.path.join("..", "..", "..", "fuzz", "corpus", "psp")
os.makedirs(seeds, exist_ok=True)
write(os.path.join(seeds, "small.psp8"), lines)
write(os.path.join(seeds, "fe.hgh"), hgh[:-1])
write(os.path.join(seeds, "li.hgh"), open("3li.3.hgh").read().rstrip("\n").split("\n"))
so = list(lines)  # extension_switch 2 with spin-orbit projectors (read, not used) for l = 1
so[5] = "2     1           extension_switch"
so.insert(6, "1     0    nprojso")
k = so.index("4")  # after the local block: one spin-orbit p projector on the same grid
so[k + 9:k + 9] = ["1  1.0D+00"] + ["%d  %.13E  %.13E" % (i + 1, i * 0.25, 0.1 * i) for i in range(8)]
write(os.path.join(seeds, "spinorbit.psp8"), so)
# a UPF 2 file on a 12-point mesh (h = 0.5 Bohr) without projectors and with two
# pseudo-atomic orbitals (PP_CHI, the DFT+U projectors of lib/dft/psp_orbital.c)
write(os.path.join(seeds, "orbitals.upf"), [
    '<UPF version="2.0.1">',
    '<PP_HEADER element="O" pseudo_type="NC" relativistic="scalar" is_ultrasoft="F"',
    ' is_paw="F" has_so="F" core_correction="F" functional="PBE" z_valence="6.00"',
    ' l_max="0" l_local="-1" mesh_size="12" number_of_wfc="2" number_of_proj="0"/>',
    "<PP_MESH>", '<PP_R type="real" size="12" columns="4">',
    " ".join("%g" % (0.5 * i) for i in range(12)), "</PP_R>", "</PP_MESH>",
    '<PP_LOCAL type="real" size="12" columns="4">',
    " ".join("%.6f" % (-12.0 / max(0.5 * i, 0.6)) for i in range(12)), "</PP_LOCAL>",
    "<PP_PSWFC>",
    '<PP_CHI.1 type="real" size="12" columns="4" index="1" occupation="2.000" label="2S"'
    ' l="0">', "0.0 0.6 0.7 0.6 0.45 0.3 0.2 0.12 0.07 0.04 0.02 0.01", "</PP_CHI.1>",
    '<PP_CHI.2 type="real" size="12" columns="4" index="2" occupation="4.000" label="2P"'
    ' l="1">', "0.0 0.3 0.6 0.6 0.5 0.35 0.22 0.13 0.08 0.04 0.02 0.01", "</PP_CHI.2>",
    "</PP_PSWFC>", "</UPF>"])
