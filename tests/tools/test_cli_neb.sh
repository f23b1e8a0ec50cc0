#!/bin/sh
# Tests of `migbar neb`: help and usage errors, a converged EMT run and its outputs
# (neb.json, profile.svg, band.xyz, NN/POSCAR) read back by Python and ASE, --json,
# progress lines, non-convergence (exit 3), restart, checkpoints every N steps and
# on SIGINT/SIGTERM (exit 130/143) and restarting from them; refused bands (atoms
# swapped between the end points, every atom fixed), --allow-exchange, and the
# temporary files of a killed run removed by --restart (issue 12).
#
# Run by `make check` with MB_BUILDDIR, MB_SRCDIR (and PYTHON) set.
#
# The problem is examples/neb: a Au adatom hopping between two hollow sites of Al(100)
# (13 atoms, EMT). Reference: examples/neb/reference.json, written by
# examples/neb/make_example.py with ASE 3.22.1's own climbing-image NEB (EMT, 5
# intermediate images, idpp, BFGS to fmax 0.05 eV/A): forward = backward barrier
# 0.3744 eV, saddle at image 3 (the path is symmetric). migbar converged to fmax 0.01
# eV/A must agree within 0.002 eV (the energy error of a climbing image whose force
# is below 0.05 eV/A, curvature ~0.5 eV/A^2 at the top: 0.05^2 / (2 x 0.5) < 0.003).
set -u

: "${MB_BUILDDIR:?MB_BUILDDIR is not set (run through make check)}"
: "${MB_SRCDIR:?MB_SRCDIR is not set (run through make check)}"
PYTHON=${PYTHON:-python3}
MIGBAR="$MB_BUILDDIR/tools/migbar"
EX="$MB_SRCDIR/examples/neb"
INI="$EX/POSCAR_initial"
FIN="$EX/POSCAR_final"
NACL="$MB_SRCDIR/examples/NaCl/POSCAR"

if [ ! -x "$MIGBAR" ]; then
  echo "FAIL: $MIGBAR is missing or not executable (build first)"
  exit 1
fi
if ! "$PYTHON" -c 'import ase' 2>/dev/null; then
  echo "SKIP: $PYTHON has no ASE (Debian: apt-get install python3-ase)"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/migbar-neb.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM

. "$(dirname "$0")/cliutil.sh"
# run ARGS...: migbar neb with the arguments (cliutil.sh has the rest).
run() {
  "$MIGBAR" neb "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  last="migbar neb $*"
}
# py_check DIR PYTHON-CODE: the code (asserts) passes with d = DIR/neb.json loaded, ref =
# examples/neb/reference.json, D = DIR, and ase.io imported.
py_check() {
  checks=$((checks + 1))
  if ! "$PYTHON" - "$1" "$EX/reference.json" "$2" <<'EOF'
import json, os, sys
import numpy as np
import ase.io
D = sys.argv[1]
with open(sys.argv[2]) as f:
    ref = json.load(f)
try:
    with open(os.path.join(D, 'neb.json')) as f:
        d = json.load(f)
    exec(sys.argv[3])
except Exception as e:
    print('  %s: %s' % (type(e).__name__, e))
    sys.exit(1)
EOF
  then
    fail "'$last': check failed on $1: $2"
  fi
}

# ---- help and usage errors -------------------------------------------------
run --help
expect_rc 0
expect_in out "Usage: migbar neb --initial A --final B --potential P -o OUTDIR"
expect_in out "--restart OUTDIR"
expect_in out "Exit status:"
expect_in out "neb exits with 3"
"$MIGBAR" --help >"$TMP/out" 2>"$TMP/err"
rc=$? last="migbar --help"
expect_in out "neb "

run
expect_rc 2
expect_in err "give --initial and --final"
for args in "-i $INI -p emt -o $TMP/u" "-i $INI -f $FIN -o $TMP/u" "-i $INI -f $FIN -p emt" \
  "-i $INI -f $FIN -p xyz -o $TMP/u" "-i $INI -f $FIN -p emt --sigma 2 -o $TMP/u" \
  "-i $INI -f $FIN -p lj --r0 2 -o $TMP/u" "-i $INI -f $FIN -p emt -n 0 -o $TMP/u" \
  "-i $INI -f $FIN -p emt --optimizer bfgs -o $TMP/u" "-i $INI -f $FIN -p emt --fmax -1 -o $TMP/u" \
  "-i $INI -f $FIN -p emt --interpolation cubic -o $TMP/u" "--restart $TMP/u -i $INI" \
  "--restart $TMP/u -p lj" "-i $INI -f $FIN -p emt -o $TMP/u extra" "--frobnicate"; do
  # shellcheck disable=SC2086
  run $args
  expect_rc 2
  expect_in err "migbar neb: "
  expect_in err "Try 'migbar neb --help'"
done
checks=$((checks + 1))
[ -e "$TMP/u" ] && fail "a usage error created the output directory"

# ---- failures (exit 1) -------------------------------------------------------
run -i "$TMP/missing.vasp" -f "$FIN" -p emt -o "$TMP/u"
expect_rc 1
expect_in err "missing.vasp"
run -i "$NACL" -f "$NACL" -p emt -o "$TMP/u"
expect_rc 1
expect_in err "migbar neb: "
run -i "$INI" -f "$NACL" -p emt -o "$TMP/u"
expect_rc 1
expect_in err "atoms"
expect_in err "the final structure has"
checks=$((checks + 1))
grep -q "image 1" "$TMP/err" && fail "'$last': the final end point is called image 1"

# ---- end points that are not one system, a band that cannot move (exit 1) ----------
# The final structure lists top-layer Al atoms 8 and 11 in the other order (a swap of
# two file lines): without the check this ran to "converged" with a barrier of tens
# of eV. Atom lines start at line 10 of the POSCAR (atom 8 is line 18, 11 is line 21).
awk 'NR == 18 { l18 = $0 } NR == 21 { l21 = $0 } { line[NR] = $0 } END {
       for (i = 1; i <= NR; i++) print (i == 18 ? l21 : i == 21 ? l18 : line[i]) }' \
  "$FIN" >"$TMP/swapped.vasp"
run -i "$INI" -f "$TMP/swapped.vasp" -p emt -q -o "$TMP/sw"
expect_rc 1
expect_in err "not the same system atom by atom"
expect_in err "atoms 8 (Al) and 11 (Al) swap places"
expect_in err "--allow-exchange"
checks=$((checks + 1))
[ -e "$TMP/sw/neb.json" ] && fail "'$last': a refused band wrote neb.json"
run -i "$INI" -f "$TMP/swapped.vasp" -p emt --allow-exchange --max-steps 2 -q -o "$TMP/sw"
expect_rc 3
expect_in err "warning: atoms 8 (Al) and 11 (Al) swap places"
py_check "$TMP/sw" "assert d['options']['allow_exchange'] == 1"
# Every atom fixed (selective dynamics F F F on every line of the initial structure).
sed '10,$ s/ T/ F/g' "$INI" >"$TMP/fixed.vasp"
run -i "$TMP/fixed.vasp" -f "$FIN" -p emt -q -o "$TMP/fx"
expect_rc 1
expect_in err "every coordinate of all 13 atoms is fixed"
run --restart "$TMP/nothing"
expect_rc 1
expect_in err "neb.json"

# ---- a converged run -----------------------------------------------------------
R="$TMP/run"
run -i "$INI" -f "$FIN" -n 5 -p emt --climb --fmax 0.01 -q -o "$R"
expect_rc 0
expect_empty err
expect_in out "forward barrier:"
expect_in out "saddle image:     3"
expect_in out "converged:        yes"
for f in neb.json profile.svg band.xyz 00/POSCAR 03/POSCAR 06/POSCAR; do
  checks=$((checks + 1))
  [ -s "$R/$f" ] || fail "$R/$f was not written"
done
checks=$((checks + 1))
[ -e "$R/07" ] && fail "$R/07 exists: 7 images are 00..06"
for f in "$R"/*tmp* "$R"/*.part; do
  checks=$((checks + 1))
  [ -e "$f" ] && fail "temporary file left: $f"
done
py_check "$R" "
assert d['format'] == 'migbar-neb' and d['nimages'] == 7 and d['natoms'] == 13
b = d['barrier']
assert abs(b['forward'] - ref['forward_barrier']) < 0.002, (b, ref['forward_barrier'])
assert abs(b['backward'] - ref['backward_barrier']) < 0.002
assert b['saddle_image'] == ref['saddle_image'] == 3
assert d['stats']['converged'] is True and d['stats']['max_force'] < 0.01
assert d['stats']['force_calls_endpoints'] == 2
assert d['options']['climb'] == 1 and d['options']['fmax'] == 0.01
assert d['options']['optimizer'] == 'lbfgs'
assert len(d['profile']['coordinate']) == len(d['profile']['energy']) == 101
r = d['run']
assert r['status'] == 'converged' and r['potential']['kind'] == 'emt' and r['restarts'] == 0
assert r['initial'].endswith('POSCAR_initial') and r['interpolation'] == 'idpp'
assert r['total_steps'] == d['stats']['steps']
"
# The text result is neb.json's.
fwd=$(sed -n 's/^forward barrier: *\([-0-9.]*\) eV/\1/p' "$TMP/out")
py_check "$R" "assert abs(d['barrier']['forward'] - $fwd) < 1e-4"
# band.xyz as ASE reads it: energies and forces of every image, the fixed atoms, and
# the same positions as the POSCARs.
py_check "$R" "
frames = ase.io.read(os.path.join(D, 'band.xyz'), ':')
assert len(frames) == 7
for i, a in enumerate(frames):
    assert abs(a.get_potential_energy() - d['energies'][i]) < 1e-9
    assert a.get_forces().shape == (13, 3) and np.isfinite(a.get_forces()).all()
    assert a.info['image'] == i and a.pbc.all()
    p = ase.io.read(os.path.join(D, '%02d' % i, 'POSCAR'))
    assert np.abs(p.positions - a.positions).max() < 1e-8
    assert list(p.constraints[0].index) == list(range(8))  # the two lower Al layers
    # move_mask F F F: ASE 3.22 keeps FixCartesian's mask as the free directions
    fixed = [c.a for c in a.constraints if not c.mask.any()]
    assert fixed == list(range(8)), fixed
f0 = frames[0].get_forces()[-1]
assert np.abs(f0).max() < 0.02  # relaxed end point (ASE BFGS to 0.01 eV/A)
"
py_check "$R" "
import xml.etree.ElementTree as ET
root = ET.parse(os.path.join(D, 'profile.svg')).getroot()
ns = '{http://www.w3.org/2000/svg}'
assert root.tag == ns + 'svg'
assert len(root.findall('.//' + ns + 'polyline')) == 1
assert len(root.findall('.//' + ns + 'circle')) == 8  # 7 images + the legend
text = ' '.join(t.text or '' for t in root.iter(ns + 'text'))
assert 'forward barrier: %.3f eV' % d['barrier']['forward'] in text, text
"

# Progress lines on stderr without --quiet; --json prints neb.json on one line.
run -i "$INI" -f "$FIN" -p emt --climb --json -o "$TMP/run2"
expect_rc 0
expect_in err "step 1 "
checks=$((checks + 1))
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "--json printed $(wc -l <"$TMP/out") lines, expected 1"
cp "$TMP/out" "$TMP/run2/printed.json"
py_check "$TMP/run2" "
p = json.load(open(os.path.join(D, 'printed.json')))
assert p == d, 'the printed JSON differs from neb.json'
assert p['run']['status'] == 'converged'
"
# --relax-endpoints: the end points (relaxed by ASE to 0.01 eV/A) are relaxed to
# --fmax first: more than 2 end-point force calls.
run -i "$INI" -f "$FIN" -p emt --relax-endpoints --fmax 0.005 -q -o "$TMP/run3"
expect_rc 0
py_check "$TMP/run3" "
assert d['run']['endpoints_relaxed'] is True and d['options']['relax_endpoints'] == 1
assert d['stats']['force_calls_endpoints'] > 2 and d['stats']['max_force'] < 0.005
"

# ---- not converged (exit 3), then restart -----------------------------------------
N="$TMP/nc"
run -i "$INI" -f "$FIN" -p emt --climb --spring 0.2 --max-steps 1 -q -o "$N"
expect_rc 3
expect_in err "not converged"
expect_in err "--restart $N"
expect_in out "converged:        no"
py_check "$N" "
assert d['run']['status'] == 'not_converged' and d['stats']['steps'] == 1
assert d['stats']['converged'] is False
assert len(ase.io.read(os.path.join(D, 'band.xyz'), ':')) == 7
"
# A run killed while writing leaves temporary files; the restart removes those that
# migbar neb writes (of processes that are gone) and nothing else.
for f in neb.json.tmp neb.json.part neb.json.part.999999999.0.tmp band.xyz.999999999.3.tmp \
  profile.svg.999999999.0.tmp 03/POSCAR.999999999.1.tmp notes.tmp "band.xyz.$$.0.tmp"; do
  : >"$N/$f"
done
run --restart "$N"
expect_rc 0
expect_in out "over 2 runs"
expect_in err "removed 6 temporary files"
for f in neb.json.tmp neb.json.part neb.json.part.999999999.0.tmp band.xyz.999999999.3.tmp \
  profile.svg.999999999.0.tmp 03/POSCAR.999999999.1.tmp; do
  checks=$((checks + 1))
  [ -e "$N/$f" ] && fail "'$last': $N/$f was not removed"
done
for f in notes.tmp "band.xyz.$$.0.tmp"; do # not ours; a live process's
  checks=$((checks + 1))
  [ -e "$N/$f" ] || fail "'$last': $N/$f was removed"
done
py_check "$N" "
r = d['run']
assert r['status'] == 'converged' and r['restarts'] == 1
assert r['total_steps'] == d['stats']['steps'] > 1  # the band's counts are the totals
assert d['options']['spring'] == 0.2 and d['options']['climb'] == 1  # kept from the first run
assert r['initial'].endswith('POSCAR_initial')
assert abs(d['barrier']['forward'] - ref['forward_barrier']) < 0.005
"

# ---- checkpoints: every N steps, and on SIGTERM / SIGINT ---------------------------
# A run that cannot converge in seconds (each atom moves at most 1e-4 A a step).
slow="-i $INI -f $FIN -p emt --optimizer fire --max-move 0.0001 --fmax 0.001 --max-steps 10000000"
# start_slow DIR ARGS...: the slow run in the background; waits for its first step line.
start_slow() {
  dir=$1
  shift
  : >"$TMP/err" # empty before the job starts, so that no earlier step line is seen
  # shellcheck disable=SC2086
  "$MIGBAR" neb $slow -o "$dir" "$@" >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  last="migbar neb $slow -o $dir $*"
  i=0
  while [ $i -lt 600 ] && ! grep -q '^step ' "$TMP/err"; do
    sleep 0.05
    i=$((i + 1))
  done
}
C="$TMP/ckpt"
start_slow "$C" --checkpoint-every 5
i=0
while [ $i -lt 600 ] && ! grep -q '"status": "running"' "$C/neb.json" 2>/dev/null; do
  sleep 0.05
  i=$((i + 1))
done
py_check "$C" "assert d['run']['status'] == 'running' and d['stats']['steps'] % 5 == 0"
kill -TERM $pid
wait $pid
rc=$?
expect_rc 143
expect_in err "interrupted by SIGTERM; checkpoint written to $C"

I="$TMP/int"
start_slow "$I"
kill -INT $pid
wait $pid
rc=$?
expect_rc 130
expect_in err "interrupted by SIGINT"
expect_in err "migbar neb --restart $I"
py_check "$I" "
assert d['run']['status'] == 'interrupted' and d['stats']['steps'] >= 1
assert d['options']['max_move'] == 0.0001
assert len(ase.io.read(os.path.join(D, 'band.xyz'), ':')) == 7
open(os.path.join(D, 'steps0'), 'w').write(str(d['stats']['steps']))
"
steps0=$(cat "$I/steps0")
# The restart keeps the slow options (not converged in 3 steps: exit 3) ...
run --restart "$I" --max-steps 3 -q
expect_rc 3
py_check "$I" "
assert d['run']['restarts'] == 1 and d['stats']['steps'] == $steps0 + 3  # totals over the runs
assert d['run']['total_steps'] == $steps0 + 3 and d['options']['max_move'] == 0.0001
"
# ... and options on the command line win: it converges.
run --restart "$I" --max-move 0.2 --fmax 0.05 -q
expect_rc 0
py_check "$I" "
assert d['run']['restarts'] == 2 and d['run']['status'] == 'converged'
assert d['options']['max_move'] == 0.2
"

# ---- Ctrl-C during the IDPP interpolation (issue 12) --------------------------------
# A vacancy hop in a 4000-atom Cu cell with 20 images: IDPP takes seconds there. The
# interrupt is sent once IDPP has started (its first progress line) and must stop it
# with exit 130 and a message, nothing written.
"$PYTHON" - "$TMP" <<'EOF2'
import sys
from ase.build import bulk
c = bulk('Cu', 'fcc', a=3.61, cubic=True).repeat((10, 10, 10))
ini = c[1:]
fin = ini.copy()
fin.positions[0] = c.positions[0]
ini.write(sys.argv[1] + '/big0.vasp', format='vasp')
fin.write(sys.argv[1] + '/big1.vasp', format='vasp')
EOF2
: >"$TMP/err"
"$MIGBAR" neb -i "$TMP/big0.vasp" -f "$TMP/big1.vasp" -n 18 -p emt -o "$TMP/big" \
  >"$TMP/out" 2>"$TMP/err" &
pid=$!
last="migbar neb (4000 atoms, Ctrl-C during IDPP)"
i=0
while [ $i -lt 1200 ] && ! grep -q '^IDPP path: .* pairs' "$TMP/err"; do
  sleep 0.05
  i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
expect_rc 130
expect_in err "interrupted by SIGINT during the IDPP interpolation"
checks=$((checks + 1))
[ -e "$TMP/big/neb.json" ] && fail "'$last': neb.json written after an interrupted IDPP"

echo "test_cli_neb.sh: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
