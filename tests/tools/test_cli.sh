#!/bin/sh
# Tests of the migbar command: help and version, exit codes, messages, `info`
# on the shipped examples (text and JSON), `convert` round trips through every
# format, supercells, wrapping, standard input/output.
#
# Run by `make check` with MB_BUILDDIR, MB_SRCDIR (and MB_TEST_DATA, PYTHON) set.
#
# Reference values were computed independently of libmigbar with ASE 3.22.1 and
# spglib 2.0.2 (Debian /usr/bin/python3) on the example files:
#   ase.io.read(f); get_chemical_formula('hill'); cell.cellpar(); get_volume();
#   density = sum(get_masses()) / volume * 1.66053906660;
#   spglib.get_spacegroup((cell, scaled_positions, numbers), symprec=1e-3)
# examples/NaCl/POSCAR, NaCl.cif: Cl4Na4, 8 atoms, a = b = c = 5.64 A, 90 deg,
#   V = 179.406144 A^3, rho = 2.16362 g/cm^3, Fm-3m (225)
# examples/LiFePO4/POSCAR_initial and POSCAR_final: Fe16Li15O64P16, 111 atoms,
#   a 9.309834 b 11.941510 c 10.236197 A, 90 deg, V = 1137.993624 A^3,
#   rho = 3.67296 g/cm^3, P-1 (2) (one Li vacancy lowers the olivine symmetry)
# Densities are compared within 0.01 g/cm^3 (atomic-weight tables differ in the
# 4th digit); volumes and lengths within 1e-4.
set -u

: "${MB_BUILDDIR:?MB_BUILDDIR is not set (run through make check)}"
: "${MB_SRCDIR:?MB_SRCDIR is not set (run through make check)}"
PYTHON=${PYTHON:-python3}
MIGBAR="$MB_BUILDDIR/tools/migbar"
EX="$MB_SRCDIR/examples"
NACL="$EX/NaCl/POSCAR"
NACL_CIF="$EX/NaCl/NaCl.cif"
LFP_I="$EX/LiFePO4/POSCAR_initial"
LFP_F="$EX/LiFePO4/POSCAR_final"

if [ ! -x "$MIGBAR" ]; then
  echo "FAIL: $MIGBAR is missing or not executable (build first)"
  exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/migbar-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM

. "$(dirname "$0")/cliutil.sh"

# json_check FILE PYTHON-EXPR: the JSON object in FILE (as d) satisfies the expression.
json_check() {
  checks=$((checks + 1))
  if ! "$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        d = json.load(f)
except ValueError as e:
    print("  not valid JSON (%s): %r" % (e, open(sys.argv[1]).read()[:300]))
    sys.exit(1)
try:
    ok = eval(sys.argv[2])
except (KeyError, TypeError, IndexError) as e:
    ok = False
    print("  %s: %r" % (type(e).__name__, e))
if not ok:
    print("  JSON was:", json.dumps(d)[:600])
    sys.exit(1)
EOF
  then
    fail "'$last': JSON check failed: $2"
  fi
}

near() { # near A B TOL -> status 0 when |A-B| <= TOL
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}
# expect_value LABEL REF TOL: the number after LABEL on a line of stdout is REF +- TOL.
expect_value() {
  checks=$((checks + 1))
  v=$(sed -n "s/^$1 *\([-0-9.eE+]*\).*/\1/p" "$TMP/out" | head -n 1)
  if [ -z "$v" ] || ! near "$v" "$2" "$3"; then
    fail "'$last': '$1' is '$v', expected $2 +- $3"
    show
  fi
}

# ---- help, version, usage errors ------------------------------------------
run --version
expect_rc 0
checks=$((checks + 1))
# the version has one home: include/migbar.h
V=$(sed -n 's/^#define MB_VERSION_STRING "\(.*\)"/\1/p' "$MB_SRCDIR/include/migbar.h")
[ -n "$V" ] && [ "$(cat "$TMP/out")" = "migbar $V (libmigbar $V)" ] ||
  fail "--version printed '$(cat "$TMP/out")', expected 'migbar $V (libmigbar $V)'"

for args in "--help" "-h" "help" "help info" "help convert" "info --help" "convert --help" \
  "info -h" "convert -h"; do
  # shellcheck disable=SC2086
  run $args
  expect_rc 0
  expect_in out "Usage: migbar"
  expect_in out "Exit status:"
  expect_empty err
done
run info --help
expect_in out "--symprec"
expect_in out "--json"
run convert --help
expect_in out "--supercell"
expect_in out "--wrap"
run --help
expect_in out "info"
expect_in out "convert"
expect_in out "2  usage error"

run
expect_rc 2
expect_in err "--help"
run frobnicate
expect_rc 2
expect_in err "frobnicate"
expect_in err "--help"
run help frobnicate
expect_rc 2
expect_in err "frobnicate"
run --frobnicate
expect_rc 2
expect_in err "--frobnicate"
run info --frobnicate "$NACL"
expect_rc 2
expect_in err "migbar info: unknown option '--frobnicate'"
expect_in err "migbar info --help"
run convert -q "$NACL" "$TMP/x.xyz"
expect_rc 2
expect_in err "'-q'"
run info
expect_rc 2
expect_in err "no FILE"
run info "$NACL" "$NACL"
expect_rc 2
run info --index
expect_rc 2
expect_in err "'--index' needs a value"
run info --index=abc "$NACL"
expect_rc 2
expect_in err "abc"
run info --index -1 "$NACL"
expect_rc 2
run info --symprec 0 "$NACL"
expect_rc 2
expect_in err "--symprec"
run info --json=yes "$NACL"
expect_rc 2
expect_in err "takes no value"
run info --format foo "$NACL"
expect_rc 2
expect_in err "unknown format 'foo'"
run convert "$NACL"
expect_rc 2
expect_in err "no OUT"
run convert "$NACL" "$TMP/x.foo"
expect_rc 2
expect_in err \
  "migbar convert: cannot tell the output format from '$TMP/x.foo'; use --to poscar|xyz|cif|json"
checks=$((checks + 1))
[ -e "$TMP/x.foo" ] && fail "convert wrote $TMP/x.foo after a usage error"
run convert "$NACL" -
expect_rc 2
expect_in err "--to"
run convert --supercell 2x0x1 "$NACL" "$TMP/x.xyz"
expect_rc 2
expect_in err "2x0x1"
run convert --supercell 2x2 "$NACL" "$TMP/x.xyz"
expect_rc 2
run convert --to bogus "$NACL" "$TMP/x.xyz"
expect_rc 2
expect_in err "bogus"

# ---- failures of the library: exit 1, "migbar CMD: message" ---------------
run info "$TMP/does-not-exist.vasp"
expect_rc 1
expect_in err "migbar info: "
expect_in err "does-not-exist.vasp"
expect_empty out

# A POSCAR whose 9th line (the first atom) has a bad coordinate.
cat >"$TMP/bad.vasp" <<'EOF'
malformed on line 9
1.0
4.0 0.0 0.0
0.0 4.0 0.0
0.0 0.0 4.0
Na Cl
1 1
Direct
0.0 0.0 zz
0.5 0.5 0.5
EOF
run info "$TMP/bad.vasp"
expect_rc 1
expect_in err "migbar info: "
expect_in err "bad.vasp:9"
run convert "$TMP/bad.vasp" "$TMP/bad.xyz"
expect_rc 1
expect_in err "migbar convert: "
expect_in err "bad.vasp:9"
checks=$((checks + 1))
[ -e "$TMP/bad.xyz" ] && fail "convert left $TMP/bad.xyz behind after a read error"

run info --index 3 "$NACL"
expect_rc 1
expect_in err "migbar info: "
run convert "$NACL" "$TMP/no/such/dir/out.xyz"
expect_rc 1
expect_in err "migbar convert: "
expect_in err "$TMP/no/such/dir/out.xyz"

# ---- info on the examples --------------------------------------------------
run info "$NACL"
expect_rc 0
expect_empty err
expect_in out "formula:       Cl4Na4 (reduced ClNa)"
expect_in out "atoms:         8"
expect_in out "species:       Cl 4, Na 4"
expect_in out "space group:   Fm-3m (225)"
expect_in out "alpha 90.0000  beta 90.0000  gamma 90.0000"
expect_value "volume:" 179.406144 1e-4
expect_value "density:" 2.16362 0.01
expect_value "cell (A):      a" 5.64 1e-6
checks=$((checks + 1))
grep -q "structures:" "$TMP/out" && fail "info printed a structure count for a one-structure file"

run info "$NACL_CIF"
expect_rc 0
expect_in out "formula:       Cl4Na4 (reduced ClNa)"
expect_in out "atoms:         8"
expect_in out "space group:   Fm-3m (225)"
expect_value "volume:" 179.406144 1e-4

for f in "$LFP_I" "$LFP_F"; do
  run info "$f"
  expect_rc 0
  expect_in out "formula:       Fe16Li15O64P16 (reduced Fe16Li15O64P16)"
  expect_in out "atoms:         111"
  expect_in out "species:       Fe 16, Li 15, O 64, P 16"
  expect_in out "space group:   P-1 (2)"
  expect_in out "cell (A):      a 9.309834  b 11.941510  c 10.236197"
  expect_value "volume:" 1137.993624 1e-4
  expect_value "density:" 3.67296 0.01
  run info --json "$f"
  expect_rc 0
  cp "$TMP/out" "$TMP/lfp.json"
  json_check "$TMP/lfp.json" 'd["natoms"] == 111 and d["formula"] == "Fe16Li15O64P16"'
  json_check "$TMP/lfp.json" 'd["species"] == {"Fe": 16, "Li": 15, "O": 64, "P": 16}'
  json_check "$TMP/lfp.json" 'd["spacegroup"] == {"number": 2, "symbol": "P-1"}'
  json_check "$TMP/lfp.json" 'd["frames"] == 1 and d["format"] == "poscar"'
  json_check "$TMP/lfp.json" 'abs(d["volume"] - 1137.993624) < 1e-4'
  json_check "$TMP/lfp.json" 'abs(d["density"] - 3.67296) < 0.01'
  json_check "$TMP/lfp.json" 'abs(d["lattice"][1][1] - 11.9415102006) < 1e-6'
  json_check "$TMP/lfp.json" 'd["lattice"][0][1] == 0 and d["cell_parameters"]["gamma"] == 90'
  json_check "$TMP/lfp.json" 'abs(d["cell_parameters"]["c"] - 10.2361965179) < 1e-6'
done

run info -j "$NACL"
expect_rc 0
cp "$TMP/out" "$TMP/nacl.json"
json_check "$TMP/nacl.json" 'd["spacegroup"] == {"number": 225, "symbol": "Fm-3m"}'
json_check "$TMP/nacl.json" 'd["reduced_formula"] == "ClNa" and d["natoms"] == 8'
json_check "$TMP/nacl.json" 'd["selective_dynamics"] is None and d["symprec"] == 0.001'

# A looser tolerance still finds the group; the JSON keeps the file name escaped.
mkdir -p "$TMP/dir \"q\""
cp "$NACL" "$TMP/dir \"q\"/POSCAR"
run info --json --symprec 0.1 "$TMP/dir \"q\"/POSCAR"
expect_rc 0
cp "$TMP/out" "$TMP/q.json"
json_check "$TMP/q.json" 'd["file"].endswith("dir \"q\"/POSCAR") and d["symprec"] == 0.1'

# A file name that is not valid UTF-8 still gives valid JSON (U+FFFD for the bad byte).
odd="$TMP/$(printf 'na\377cl').vasp"
cp "$NACL" "$odd"
run info --json "$odd"
expect_rc 0
cp "$TMP/out" "$TMP/odd.json"
json_check "$TMP/odd.json" 'd["file"].endswith("na\ufffdcl.vasp") and d["format"] == "poscar"'

# Standard input, with and without --format.
"$MIGBAR" info --format poscar - <"$NACL" >"$TMP/out" 2>"$TMP/err"
rc=$? last="migbar info --format poscar - < NaCl/POSCAR"
expect_rc 0
expect_in out "space group:   Fm-3m (225)"

# Selective dynamics: one atom fixed, one partly fixed, one free.
cat >"$TMP/POSCAR_sd" <<'EOF'
selective dynamics
1.0
4.0 0.0 0.0
0.0 4.0 0.0
0.0 0.0 4.0
Li O
2 1
Selective dynamics
Direct
0.0 0.0 0.0 F F F
0.5 0.5 0.0 T F T
0.5 0.0 0.5 T T T
EOF
run info "$TMP/POSCAR_sd"
expect_rc 0
expect_in out "selective dynamics: 4 of 9 coordinates fixed; 1 atoms fixed, 1 partly fixed, 1 free"
run info --json "$TMP/POSCAR_sd"
cp "$TMP/out" "$TMP/sd.json"
json_check "$TMP/sd.json" \
  'd["selective_dynamics"] == {"fixed_coordinates": 4, "fixed_atoms": 1, "partly_fixed_atoms": 1}'

# ---- convert ---------------------------------------------------------------
# Round trip POSCAR -> xyz -> cif -> json -> POSCAR keeps formula, atoms, cell, positions.
prev="$LFP_I"
for next in "$TMP/rt.xyz" "$TMP/rt.cif" "$TMP/rt.json" "$TMP/rt.vasp"; do
  run convert "$prev" "$next"
  expect_rc 0
  expect_empty out
  expect_empty err
  run info --json "$next"
  expect_rc 0
  cp "$TMP/out" "$TMP/rt-info.json"
  json_check "$TMP/rt-info.json" 'd["natoms"] == 111 and d["formula"] == "Fe16Li15O64P16"'
  json_check "$TMP/rt-info.json" 'abs(d["volume"] - 1137.993624) < 1e-4'
  json_check "$TMP/rt-info.json" 'd["spacegroup"]["number"] == 2'
  prev="$next"
done
# Compare the direct coordinates of the last POSCAR with the original, atom by atom
# (the POSCARs are parsed here by hand so that no library is involved).
checks=$((checks + 1))
if ! "$PYTHON" - "$LFP_I" "$TMP/rt.vasp" <<'EOF'
import sys
def direct(path):
    lines = open(path).read().split("\n")
    counts = [int(x) for x in lines[6].split()]
    k = 7
    if lines[k].strip()[:1] in "sS":
        k += 1
    assert lines[k].strip()[:1] in "dD", "expected Direct in %s" % path
    return [[float(x) for x in lines[k + 1 + i].split()[:3]] for i in range(sum(counts))]
try:
    a, b = direct(sys.argv[1]), direct(sys.argv[2])
except (OSError, ValueError, IndexError, AssertionError) as e:
    sys.exit("  cannot read the POSCARs: %s" % e)
assert len(a) == len(b), (len(a), len(b))
for i, (p, q) in enumerate(zip(a, b)):
    for x, y in zip(p, q):
        d = (x - y) % 1.0
        assert min(d, 1 - d) < 1e-5, "atom %d: %s vs %s" % (i, p, q)
EOF
then
  fail "round trip POSCAR->xyz->cif->json->POSCAR moved atoms"
fi

# Standard output needs --to; the xyz text starts with the number of atoms.
run convert "$LFP_F" - --to xyz
expect_rc 0
expect_empty err
checks=$((checks + 1))
[ "$(head -n 1 "$TMP/out" | tr -d ' \r')" = "111" ] ||
  fail "convert to stdout as xyz: first line is '$(head -n 1 "$TMP/out")', expected 111"
cp "$TMP/out" "$TMP/final.xyz"

# A full disk on standard output is an error (exit 1), not a silent truncation.
if [ -w /dev/full ]; then
  "$MIGBAR" convert "$LFP_F" - --to xyz >/dev/full 2>"$TMP/err"
  rc=$? last="migbar convert POSCAR_final - --to xyz >/dev/full"
  expect_rc 1
  expect_in err "error writing to standard output"
  "$MIGBAR" info "$NACL" >/dev/full 2>"$TMP/err"
  rc=$? last="migbar info NaCl/POSCAR >/dev/full"
  expect_rc 1
fi

# Explicit formats override file names; -v reports on stderr only.
run convert -v --from poscar --to cif "$NACL" "$TMP/nacl.out"
expect_rc 0
expect_empty out
expect_in err "wrote 8 atoms"
run info --format cif "$TMP/nacl.out"
expect_rc 0
expect_in out "space group:   Fm-3m (225)"

# Supercell: 2x2x2 of NaCl has 64 atoms, 8 times the volume, the same group.
run convert --supercell 2x2x2 "$NACL_CIF" "$TMP/nacl222.vasp"
expect_rc 0
run info "$TMP/nacl222.vasp"
expect_rc 0
expect_in out "formula:       Cl32Na32 (reduced ClNa)"
expect_in out "atoms:         64"
expect_in out "space group:   Fm-3m (225)"
expect_value "volume:" 1435.249152 1e-3
run convert -s 3 "$NACL" "$TMP/nacl333.xyz"
expect_rc 0
run info "$TMP/nacl333.xyz"
expect_in out "atoms:         216"

# Multi-structure files: two xyz frames, --index picks one, info counts them.
cat "$TMP/final.xyz" "$TMP/nacl333.xyz" >"$TMP/two.xyz"
run info "$TMP/two.xyz"
expect_rc 0
expect_in out "structures:    2 in the file, this is number 0"
expect_in out "atoms:         111"
run info --index 1 --json "$TMP/two.xyz"
expect_rc 0
cp "$TMP/out" "$TMP/two.json"
json_check "$TMP/two.json" 'd["frames"] == 2 and d["index"] == 1 and d["natoms"] == 216'
run convert --index 1 "$TMP/two.xyz" "$TMP/frame1.vasp"
expect_rc 0
run info "$TMP/frame1.vasp"
expect_in out "formula:       Cl108Na108 (reduced ClNa)"
run info --index 2 "$TMP/two.xyz"
expect_rc 1
expect_in err "two.xyz"

# --wrap maps fractional coordinates into [0, 1).
cat >"$TMP/POSCAR_out" <<'EOF'
atoms outside the cell
1.0
4.0 0.0 0.0
0.0 4.0 0.0
0.0 0.0 4.0
Li
2
Direct
1.25 -0.25 0.5
-1.0 2.5 0.0
EOF
run convert --wrap "$TMP/POSCAR_out" - --to poscar
expect_rc 0
checks=$((checks + 1))
if ! awk 'NR >= 9 && NF >= 3 { for (k = 1; k <= 3; k++) if ($k < 0 || $k >= 1) bad = 1; n++ }
          END { exit bad || n != 2 }' "$TMP/out"; then
  fail "convert --wrap left coordinates outside [0, 1)"
  show
fi
checks=$((checks + 1))
if ! awk 'NR == 9 { exit !($1 > 0.2499 && $1 < 0.2501 && $2 > 0.7499 && $2 < 0.7501) }' \
  "$TMP/out"; then
  fail "convert --wrap: atom 0 should be at (0.25, 0.75, 0.5)"
  show
fi

# Reading standard input through convert, format sniffed from the content (JSON).
[ -f "$TMP/rt.json" ] || echo '{}' >"$TMP/rt.json" # (a failure above already counted)
"$MIGBAR" convert - "$TMP/from-stdin.vasp" <"$TMP/rt.json" >"$TMP/out" 2>"$TMP/err"
rc=$? last="migbar convert - from-stdin.vasp < rt.json"
expect_rc 0
run info "$TMP/from-stdin.vasp"
expect_in out "atoms:         111"

# ---- predict -----------------------------------------------------------------
# Models and references from the PyTorch pipeline (train/migbar_train/make_reference.py):
# tests/data/gnn/tiny_band.safetensors (band model, output em in eV) and
# tiny_mpt.safetensors (crystal model, outputs bg, fe, gv in "scaled" units), with the
# outputs of reference.json computed by PyTorch on the same weights (tolerance 1e-4).
GNN="${MB_TEST_DATA:-$MB_SRCDIR/tests/data}/gnn"
BAND_MODEL="$GNN/tiny_band.safetensors"
MPT_MODEL="$GNN/tiny_mpt.safetensors"

run predict --help
expect_rc 0
expect_in out "Usage: migbar predict [--model MODEL]"
expect_in out "--nband"
expect_in out "--ion"
expect_in out "--dataset"
expect_in out "--temperature"
expect_in out "Exit status:"
run --help
expect_in out "predict"

# Without --model: $MIGBAR_MODEL, else the shipped model (exit 1 and a message naming
# --model when it is not installed).
MIGBAR_MODEL="$TMP/no-such-ensemble.json"
export MIGBAR_MODEL
run predict "$LFP_I" "$LFP_F"
expect_rc 1
expect_in err "no-such-ensemble.json"
unset MIGBAR_MODEL
if [ ! -f "$MB_BUILDDIR/models/em/ensemble.json" ] &&
  [ ! -f "$MB_BUILDDIR/share/migbar/models/em/ensemble.json" ]; then
  run predict "$LFP_I" "$LFP_F"
  expect_rc 1
  expect_in err "shipped E_m model is not available"
  expect_in err "--model"
else
  # The shipped model (models/em, copied into the build tree): the README's main job.
  run predict "$LFP_I" "$LFP_F"
  expect_rc 0
  expect_in out "E_m = "
  expect_in out " +/- "
  expect_in out " eV"
  run predict --json "$LFP_I" "$LFP_F"
  expect_rc 0
  expect_in out '"members": 11'
  expect_in out '"units": {"em": "eV"}'
fi
run predict --model "$BAND_MODEL" --temperature 300 "$LFP_I" "$LFP_F"
expect_rc 2
expect_in err "--d0"
run predict --model "$BAND_MODEL" --d0 -1 --temperature 300 "$LFP_I" "$LFP_F"
expect_rc 2
run predict --model "$BAND_MODEL" --dataset "$NACL" "$NACL"
expect_rc 2
expect_in err "--dataset"
run predict --model "$BAND_MODEL" --threads 2 "$LFP_I" "$LFP_F"
expect_rc 2
run predict --model "$BAND_MODEL"
expect_rc 2
expect_in err "no STRUCTURE"
run predict --model "$BAND_MODEL" "$LFP_I" "$LFP_F" "$NACL"
expect_rc 2
expect_in err "unexpected argument"
run predict --model "$BAND_MODEL" --nband abc "$NACL"
expect_rc 2
expect_in err "--nband"
expect_in err "abc"
run predict --model "$BAND_MODEL" --ion -1 "$LFP_I" "$LFP_F"
expect_rc 2
expect_in err "--ion"
run predict --model "$BAND_MODEL" --ion 3 "$NACL"
expect_rc 2
expect_in err "--ion is for a hop"
run predict --model "$BAND_MODEL" --nband 5 "$LFP_I" "$LFP_F"
expect_rc 2
expect_in err "--nband is for one STRUCTURE"
run predict --model "$BAND_MODEL" - -
expect_rc 2
run predict --model "$TMP/no-such-model.safetensors" "$NACL"
expect_rc 1
expect_in err "migbar predict: "
expect_in err "no-such-model.safetensors"
printf '\020\000\000\000\000\000\000\000{"broken": tru' >"$TMP/broken.safetensors"
run predict --model "$TMP/broken.safetensors" "$NACL"
expect_rc 1
expect_in err "migbar predict: "
expect_in err "broken.safetensors"

if [ -f "$BAND_MODEL" ] && [ -f "$MPT_MODEL" ] && [ -f "$GNN/reference.json" ]; then
  # A band model needs --nband for one structure (usage error), a crystal model
  # cannot read a hop (exit 1).
  run predict --model "$BAND_MODEL" "$NACL"
  expect_rc 2
  expect_in err "band model: give --nband N"
  run predict --model "$MPT_MODEL" "$LFP_I" "$LFP_F"
  expect_rc 1
  expect_in err "crystal model"
  run predict --model "$BAND_MODEL" --nband 200 "$NACL"
  expect_rc 1
  expect_in err "migbar predict: "

  # The reference inputs as JSON data sets (one per model, in the order of
  # reference.json), expected outputs in refs.txt, and a hop made from the first
  # band entry: INITIAL and FINAL hold the ion at image 0 and image 4 with the host.
  if ! "$PYTHON" - "$GNN/reference.json" "$TMP" <<'EOF'
import json, sys
ref = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
with open(tmp + "/refs.txt", "w") as out:
    for model in ("tiny_band.safetensors", "tiny_mpt.safetensors"):
        cases = [c for c in ref["inputs"] if c["model"] == model and c["natoms"] <= 300]
        with open("%s/%s.json" % (tmp, model.split(".")[0]), "w") as f:
            json.dump([{"atoms": c["atoms"]} for c in cases], f)
        for k, c in enumerate(cases):
            out.write("%s %d %d %s\n" % (model, k, c["nband"],
                                         " ".join(repr(x) for x in c["output"])))
band = next(c for c in ref["inputs"] if c["model"] == "tiny_band.safetensors")
a = band["atoms"]
assert len(set(a["elements"][:5])) == 1
for name, image in (("hop_initial", 0), ("hop_final", 4)):
    keep = [image] + list(range(5, len(a["elements"])))
    json.dump({"lattice_mat": a["lattice_mat"], "cartesian": a["cartesian"],
               "coords": [a["coords"][i] for i in keep],
               "elements": [a["elements"][i] for i in keep]},
              open("%s/%s.json" % (tmp, name), "w"))
EOF
  then
    fail "cannot prepare the predict inputs from reference.json"
  fi

  # Every reference input of up to 300 atoms, through --index and --json.
  while read -r model k nband o1 o2 o3; do
    run predict --model "$GNN/$model" --index "$k" --nband "$nband" --json \
      "$TMP/${model%.safetensors}.json"
    expect_rc 0
    cp "$TMP/out" "$TMP/pred.json"
    if [ "$model" = tiny_band.safetensors ]; then
      json_check "$TMP/pred.json" "abs(d['outputs']['em'] - $o1) <= 1e-4"
      json_check "$TMP/pred.json" "d['units'] == {'em': 'eV'} and d['band_model'] is True"
      json_check "$TMP/pred.json" "d['nband'] == 5 and d['index'] == $k and d['ion'] is None"
    else
      json_check "$TMP/pred.json" "max(abs(d['outputs'][n] - v) for n, v in \
zip(('bg', 'fe', 'gv'), ($o1, $o2, $o3))) <= 1e-4"
      json_check "$TMP/pred.json" "set(d['units'].values()) == {'scaled'}"
    fi
  done <"$TMP/refs.txt"

  # Text output: E_m with 3 decimals; a crystal model prints NAME = VALUE UNITS.
  # shellcheck disable=SC2046
  set -- $(sed -n '1p' "$TMP/refs.txt")
  run predict --model "$BAND_MODEL" --nband 5 "$TMP/tiny_band.json"
  expect_rc 0
  expect_empty err
  expect_value "E_m =" "$4" 0.0006
  expect_in out " eV"
  # shellcheck disable=SC2046
  set -- $(grep tiny_mpt "$TMP/refs.txt" | sed -n '1p')
  run predict --model "$MPT_MODEL" -f json "$TMP/tiny_mpt.json"
  expect_rc 0
  expect_value "bg =" "$4" 1e-4
  expect_value "fe =" "$5" 1e-4
  expect_value "gv =" "$6" 1e-4
  expect_in out " scaled"

  # The hop INITIAL FINAL gives the E_m of the band it builds (the first band entry).
  # shellcheck disable=SC2046
  set -- $(sed -n '1p' "$TMP/refs.txt")
  for ion in "" "--ion 0"; do
    # shellcheck disable=SC2086
    run predict --model "$BAND_MODEL" --json $ion "$TMP/hop_initial.json" "$TMP/hop_final.json"
    expect_rc 0
    cp "$TMP/out" "$TMP/hop.json"
    json_check "$TMP/hop.json" "abs(d['outputs']['em'] - $4) <= 1e-4"
    json_check "$TMP/hop.json" "d['initial'].endswith('hop_initial.json') and d['nband'] is None"
  done
  # The shipped olivine hop: one Li moves, E_m is printed.
  run predict --model "$BAND_MODEL" "$LFP_I" "$LFP_F"
  expect_rc 0
  expect_empty err
  expect_in out "E_m = "
  # Two identical end points: no atom moves, the library says so (exit 1).
  run predict --model "$BAND_MODEL" "$LFP_I" "$LFP_I"
  expect_rc 1
  expect_in err "migbar predict: "

  # Ensembles: tests/data/gnn/ensemble/ensemble.json (three tiny members, std_scale 1.5,
  # a domain of 11 elements and hops up to 5 A) and reference.json, the members' mean and
  # std (ddof 1) x 1.5 on three em bands computed by PyTorch and numpy
  # (tests/data/gnn/ensemble/make_members.py); tolerance 1e-4 eV.
  ENS="$GNN/ensemble/ensemble.json"
  if ! "$PYTHON" - "$GNN/ensemble/reference.json" "$TMP" <<'EOF'
import json, sys
ref = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
with open(tmp + "/ens_refs.txt", "w") as out:
    for k, c in enumerate(ref["inputs"]):
        out.write("%d %r %r\n" % (k, c["mean"][0], c["std"][0]))
entries = [{"jid": "JV-%d" % k, "target": 9.99, "atoms": c["atoms"]}
           for k, c in enumerate(ref["inputs"])]
del entries[1]["jid"]
json.dump(entries, open(tmp + "/ens_set.json", "w"), indent=1)
a = ref["inputs"][2]["atoms"]
for name, image in (("ens_initial", 0), ("ens_final", 4)):
    keep = [image] + list(range(5, len(a["elements"])))
    json.dump({"lattice_mat": a["lattice_mat"], "cartesian": a["cartesian"],
               "coords": [a["coords"][i] for i in keep],
               "elements": [a["elements"][i] for i in keep]},
              open("%s/%s.json" % (tmp, name), "w"))
# a Li hop of 0.45 x 12 = 5.4 A among O and Xe: both outside the domain
for name, x in (("xe_initial", 0.1), ("xe_final", 0.55)):
    json.dump({"lattice_mat": [[12, 0, 0], [0, 12, 0], [0, 0, 12]], "cartesian": False,
               "coords": [[x, 0.2, 0.2], [0.5, 0.5, 0.5], [0.6, 0.9, 0.1], [0.3, 0.7, 0.8]],
               "elements": ["Li", "O", "Xe", "O"]}, open("%s/%s.json" % (tmp, name), "w"))
EOF
  then
    fail "cannot prepare the ensemble inputs from ensemble/reference.json"
  fi
  # shellcheck disable=SC2046
  set -- $(sed -n '3p' "$TMP/ens_refs.txt")
  run predict --model "$ENS" "$TMP/ens_initial.json" "$TMP/ens_final.json"
  expect_rc 0
  expect_in out " +/- "
  expect_value "E_m =" "$2" 0.0006
  checks=$((checks + 1))
  v=$(sed -n 's/^E_m = [-0-9.]* +\/- \([0-9.]*\) eV$/\1/p' "$TMP/out")
  if [ -z "$v" ] || ! near "$v" "$3" 0.0006; then
    fail "'$last': the spread is '$v', expected $3 +- 0.0006"
    show
  fi
  run predict --model "$ENS" --json -T 300 --d0 0.001 "$TMP/ens_initial.json" \
    "$TMP/ens_final.json"
  expect_rc 0
  cp "$TMP/out" "$TMP/ens.json"
  json_check "$TMP/ens.json" \
    "abs(d['outputs']['em'] - $2) <= 1e-4 and abs(d['std']['em'] - $3) <= 1e-4"
  json_check "$TMP/ens.json" "d['members'] == 3 and isinstance(d['warnings'], list)"
  # D = D0 exp(-E_m / kB T), kB = 8.617333262e-5 eV/K (CODATA 2018)
  json_check "$TMP/ens.json" "abs(d['D'] / (1e-3 * __import__('math').exp(\
-d['outputs']['em'] / (8.617333262e-5 * 300))) - 1) < 1e-8"
  MIGBAR_MODEL="$ENS"
  export MIGBAR_MODEL
  run predict "$TMP/ens_initial.json" "$TMP/ens_final.json"
  unset MIGBAR_MODEL
  expect_rc 0
  expect_value "E_m =" "$2" 0.0006
  # A single model has no spread.
  run predict --model "$BAND_MODEL" "$TMP/ens_initial.json" "$TMP/ens_final.json"
  expect_rc 0
  checks=$((checks + 1))
  if grep -q "+/-" "$TMP/out"; then
    fail "'$last' printed a spread for a single model"
    show
  fi
  # Outside the training domain: warnings on stderr, the prediction still made.
  run predict --model "$ENS" "$TMP/xe_initial.json" "$TMP/xe_final.json"
  expect_rc 0
  expect_in err "migbar: warning: element Xe is absent from the training data"
  expect_in err "migbar: warning: the hop of ion 0 is 5.40 A long"
  expect_in out "E_m = "
  # A data set, streamed as JSON lines (predictions only: no score against "target").
  run predict --model "$ENS" --dataset "$TMP/ens_set.json" --threads 2
  expect_rc 0
  expect_empty err
  checks=$((checks + 1))
  if ! "$PYTHON" - "$TMP/out" "$TMP/ens_refs.txt" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
refs = [l.split() for l in open(sys.argv[2])]
assert len(lines) == len(refs) == 3, lines
assert [l["jid"] for l in lines] == ["JV-0", None, "JV-2"], lines
for l, (k, mean, std) in zip(lines, refs):
    assert set(l) <= {"jid", "em", "std", "warnings"}, l
    assert abs(l["em"] - float(mean)) <= 1e-4 and abs(l["std"] - float(std)) <= 1e-4, (l, mean)
EOF
  then
    fail "'$last': JSON lines differ from ensemble/reference.json"
    show
  fi
  "$MIGBAR" predict --model "$ENS" --dataset - <"$TMP/ens_set.json" >"$TMP/out" 2>"$TMP/err"
  rc=$? last="migbar predict --dataset - < ens_set.json"
  expect_rc 0
  expect_in out '"jid": "JV-2"'
  # A bad entry gets an error line, the others still come; exit 1.
  sed 's/"Na"/"Qq"/' "$TMP/ens_set.json" >"$TMP/ens_bad.json"
  run predict --model "$ENS" --dataset "$TMP/ens_bad.json"
  expect_rc 1
  expect_in out '"em": null, "std": null, "error": '
  expect_in out '"jid": "JV-0", "em": 0.'
  expect_in err "could not be predicted"
  printf '{"atoms": 1}' >"$TMP/ens_notarray.json"
  run predict --model "$ENS" --dataset "$TMP/ens_notarray.json"
  expect_rc 1
  expect_in err "JSON array"
else
  echo "note: $GNN lacks the tiny models or reference.json; predict checks on them skipped"
fi

# ---- info --no-symmetry and implausible cells (issue 12) -------------------------------
# The space-group search took a minute for 8,000 atoms; --no-symmetry skips it. A
# cell of density 1e7 g/cm^3 was described without a word.
run info --no-symmetry "$NACL"
expect_rc 0
expect_in out "space group:   not searched (--no-symmetry)"
expect_in out "density:       2.16"
expect_empty err
run info --json --no-symmetry "$NACL"
expect_rc 0
cp "$TMP/out" "$TMP/nosym.json"
json_check "$TMP/nosym.json" "d['symmetry_searched'] is False and d['spacegroup'] is None"
run info --json "$NACL"
cp "$TMP/out" "$TMP/sym.json"
json_check "$TMP/sym.json" "d['symmetry_searched'] is True and d['spacegroup']['number'] == 225"
run info --help
expect_in out "--no-symmetry"
# 8,000 random atoms: no symmetry to find, so spglib takes about a minute; without the
# search, well under the timeout.
"$PYTHON" -c "
import random
random.seed(1)
n, L = 8000, 40.0
print('random\n1.0\n%g 0 0\n0 %g 0\n0 0 %g\nLi\n%d\nDirect' % (L, L, L, n))
for i in range(n):
    print('%.6f %.6f %.6f' % (random.random(), random.random(), random.random()))
" >"$TMP/big.vasp"
timeout 20 "$MIGBAR" info --no-symmetry "$TMP/big.vasp" >"$TMP/out" 2>"$TMP/err"
rc=$? last="migbar info --no-symmetry big.vasp (8000 atoms, under timeout 20)"
expect_rc 0
expect_in out "atoms:         8000"
printf 'c\n0.01\n3 0 0\n0 3 0\n0 0 3\nPb\n1\nDirect\n0 0 0\n' >"$TMP/tiny.vasp"
run info --no-symmetry "$TMP/tiny.vasp"
expect_rc 0
expect_in err "migbar: warning: $TMP/tiny.vasp: density 1.274e+07 g/cm^3"
expect_in err "check the lattice"
run info --no-symmetry "$LFP_I"
expect_empty err

# ---- CIF species (issue 12) ------------------------------------------------------------
# 'Wat' (AMCSD's water oxygen) was tungsten and upper-case CA/NB were C/N, with exit 0.
CIFDATA="${MB_TEST_DATA:-$MB_SRCDIR/tests/data}/cif"
run info "$CIFDATA/amcsd_water.cif"
expect_rc 0
expect_in out "formula:       CaO4S (reduced CaO4S)"
run info "$CIFDATA/upper_labels.cif"
expect_rc 0
expect_in out "formula:       CaNb2O2 (reduced CaNb2O2)"
run info "$CIFDATA/ambiguous_label.cif"
expect_rc 1
expect_in err "ambiguous_label.cif:16: atom site 'CO1': the label is ambiguous"

# ---- terminal escapes (issue 12) -----------------------------------------------------
# A message quoting the file echoed ESC ] 0 ; ... BEL to the terminal: control bytes
# (and bytes that are not UTF-8) are written as \xNN.
printf 'c\n1.0\n3 0 0\n0 3 0\n0 0 3\n\033]0;pwned\007\377\n1\nDirect\n0 0 0\n' >"$TMP/esc.vasp"
run info "$TMP/esc.vasp"
expect_rc 1
expect_in err "esc.vasp:6: '\\x1b]0;pwned\\x07\\xff' is not a chemical element"
checks=$((checks + 1))
if LC_ALL=C grep -q "$(printf '[\001-\037\177]')" "$TMP/err"; then
  fail "'$last' wrote control bytes to stderr"
  show
fi
run info "$(printf '%s/\033[2Jx.vasp' "$TMP")"
expect_rc 1
expect_in err "/\\x1b[2Jx.vasp: cannot open"

# ---- bounded reads (issue 12) ----------------------------------------------------
# /dev/zero, an endless pipe, an endless FIFO and 20 GB sparse files grew migbar to
# gigabytes or read a model whole before its header. Each run is under `timeout` so a
# regression fails here instead of hanging; structure files stop at MB_TEXT_FILE_LIMIT
# (256 MiB) or at the first NUL byte, model files after the header.
# trun ARGS...: run, but killed after 60 s (exit 124).
trun() {
  timeout 60 "$MIGBAR" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  last="migbar $* (under timeout 60)"
}
trun info /dev/zero
expect_rc 1
expect_in err "migbar info: /dev/zero:1: a NUL byte at byte 0"
timeout 60 "$MIGBAR" info - </dev/zero >"$TMP/out" 2>"$TMP/err"
rc=$? last="migbar info - < /dev/zero"
expect_rc 1
expect_in err "<stdin>: a NUL byte"
yes | timeout 60 "$MIGBAR" info - >"$TMP/out" 2>"$TMP/err"
rc=$? last="yes | migbar info -"
expect_rc 1
expect_in err "<stdin>: more than 256 MiB, the limit"
if mkfifo "$TMP/fifo.cif"; then
  yes >"$TMP/fifo.cif" 2>/dev/null & # ends with SIGPIPE when migbar closes the FIFO
  trun info "$TMP/fifo.cif"
  expect_rc 1
  expect_in err "fifo.cif: more than 256 MiB, the limit"
  wait
fi
if truncate -s 20G "$TMP/sparse.cif" 2>/dev/null; then
  trun info "$TMP/sparse.cif"
  expect_rc 1
  expect_in err "sparse.cif: 21474836480 bytes, larger than the limit of 256 MiB"
  rm -f "$TMP/sparse.cif"
fi
trun predict --model /dev/zero "$NACL"
expect_rc 1
expect_in err "/dev/zero: header length 0 is not sane"
if truncate -s 20G "$TMP/sparse.safetensors" 2>/dev/null; then
  trun predict --model "$TMP/sparse.safetensors" "$LFP_I" "$LFP_F"
  expect_rc 1
  expect_in err "sparse.safetensors: header length 0 is not sane"
  rm -f "$TMP/sparse.safetensors"
  if [ -f "$BAND_MODEL" ]; then # a valid model, then 20 GB of holes
    cp "$BAND_MODEL" "$TMP/sparse.safetensors"
    truncate -s 20G "$TMP/sparse.safetensors"
    trun predict --model "$TMP/sparse.safetensors" "$LFP_I" "$LFP_F"
    expect_rc 1
    expect_in err "sparse.safetensors: 21474836480 bytes, but its header describes"
    rm -f "$TMP/sparse.safetensors"
  fi
fi
if [ -f "$BAND_MODEL" ] && mkfifo "$TMP/fifo.safetensors"; then
  # A model through a FIFO loads (no more is read than its header describes) ...
  cat "$BAND_MODEL" >"$TMP/fifo.safetensors" &
  trun predict --model "$TMP/fifo.safetensors" "$LFP_I" "$LFP_F"
  expect_rc 0
  expect_in out "E_m = "
  wait
  # ... and one followed by endless zeros is refused.
  (cat "$BAND_MODEL" /dev/zero >"$TMP/fifo.safetensors") 2>/dev/null &
  trun predict --model "$TMP/fifo.safetensors" "$LFP_I" "$LFP_F"
  expect_rc 1
  expect_in err "more data after the"
  wait
fi

# ---- damaged models (issue 12) -------------------------------------------------------
# A NaN weight printed "E_m = nan eV" with exit 0: refused at load, naming the tensor.
if [ -f "$BAND_MODEL" ]; then
  for bad in nan inf; do
    if "$PYTHON" - "$BAND_MODEL" "$TMP/$bad.safetensors" "$bad" <<'EOF'
import json, struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", data[:8])[0]
begin = json.loads(data[8:8 + n])["head.weight"]["data_offsets"][0]
data[8 + n + begin + 4:8 + n + begin + 8] = struct.pack("<f", float(sys.argv[3]))
open(sys.argv[2], "wb").write(data)
EOF
    then
      run predict --model "$TMP/$bad.safetensors" "$LFP_I" "$LFP_F"
      expect_rc 1
      expect_in err "$bad.safetensors: tensor 'head.weight': element 1 is"
      expect_empty out
    else
      fail "cannot write $bad.safetensors"
    fi
  done
fi

echo "test_cli.sh: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
