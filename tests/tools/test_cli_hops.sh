#!/bin/sh
# Tests of `migbar hops`: help, usage errors and library errors (exit 1 with a clear
# message), the table and JSON of olivine LiFePO4 (tests/data/hops) with the
# geometric proxy (the note on stderr), with a model and with user barriers, end
# points written for migbar neb (read back, and one NEB step with lj on them), and the
# SVG plot.
#
# Run by `make check` with MB_BUILDDIR, MB_SRCDIR (and PYTHON) set.
set -u

: "${MB_BUILDDIR:?MB_BUILDDIR is not set (run through make check)}"
: "${MB_SRCDIR:?MB_SRCDIR is not set (run through make check)}"
PYTHON=${PYTHON:-python3}
MIGBAR="$MB_BUILDDIR/tools/migbar"
OLIVINE="$MB_SRCDIR/tests/data/hops/LiFePO4_olivine.vasp"
LAYERED="$MB_SRCDIR/tests/data/hops/layered.vasp"
MODEL="$MB_SRCDIR/tests/data/gnn/ensemble/ensemble.json"

if [ ! -x "$MIGBAR" ]; then
  echo "FAIL: $MIGBAR is missing or not executable (build first)"
  exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/migbar-hops.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
. "$(dirname "$0")/cliutil.sh"
# The shipped model must not be picked up from the environment here.
unset MIGBAR_MODEL

# ---- help and usage ----------------------------------------------------------------
run hops --help
expect_rc 0
expect_in out "Usage: migbar hops --ion EL"
expect_in out "Exit status:"
run help hops
expect_rc 0
expect_in out "--write-bands DIR"
run --help
expect_in out "hops      migration network"
run hops "$OLIVINE"
expect_rc 2
expect_in err "--ion EL is required"
run hops --ion Li
expect_rc 2
expect_in err "no structure file given"
run hops --ion Li --max-length -1 "$OLIVINE"
expect_rc 2
expect_in err "--max-length"
run hops --ion Li --proxy --model "$MODEL" "$OLIVINE"
expect_rc 2
expect_in err "at most one of --model, --barriers and --proxy"

# ---- library errors --------------------------------------------------------------------
run hops --ion Na "$OLIVINE"
expect_rc 1
expect_in err "migbar hops: hops: the structure has no Na atom"
run hops --ion Qq "$OLIVINE"
expect_rc 1
expect_in err "unknown chemical symbol 'Qq'"
run hops --ion Li --max-length 2 "$OLIVINE"
expect_rc 1
expect_in err "no two sites are within the max length 2 A"
run hops --ion Li --proxy --max-atoms 100 --write-bands "$TMP/small" "$OLIVINE"
expect_rc 1
expect_in err "more than the max atoms 100"
run hops --ion Li "$TMP/missing.vasp"
expect_rc 1
run hops --ion Li --model "$TMP/missing.json" "$OLIVINE"
expect_rc 1

# ---- the proxy -------------------------------------------------------------------------
run hops --ion Li "$OLIVINE"
expect_rc 0
expect_in out "2 distinct, 8 per unit cell (undirected)"
if [ -f "$MB_BUILDDIR/models/em/ensemble.json" ]; then
  # the shipped model (copied into the build tree) is the default
  expect_in out "barriers:       model"
  expect_in out " +/- "
  # hops longer than any in the training data are predicted with a warning each
  run hops --ion Li --max-length 9.5 "$OLIVINE"
  expect_rc 0
  expect_in err "warning: hop 12: "
  expect_in err "longer than any in the training data"
else
  expect_in out "geometric proxy"
  expect_in err "note: no model"
fi
run hops --ion Li --proxy "$OLIVINE"
expect_rc 0
expect_in out "geometric proxy"
expect_in out "1D  E_m = 0.357 eV, limiting hop 0"
expect_in out "3D  never (not with hops up to 5 A)"
expect_empty err
run hops --ion Li --proxy --max-length 6 --json "$OLIVINE"
expect_rc 0
checks=$((checks + 1))
if ! "$PYTHON" - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ion"] == "Li" and d["barrier_source"] == "proxy" and d["model"] is None
assert [h["multiplicity"] for h in d["hops"]] == [4, 4, 8, 8], d["hops"]
assert [h["blocked"] for h in d["hops"]] == [False, False, True, True]
assert d["hops_per_cell"] == 24 and len(d["sites"]) == 4
p = d["percolation"]
assert p["1D"]["limiting_hop"] == 0 and p["2D"]["limiting_hop"] == 1
assert p["3D"]["em"] > p["2D"]["em"] > p["1D"]["em"]
PY
then fail "hops --json: unexpected content"; show; fi

# ---- a model and user barriers ---------------------------------------------------------
run hops --ion Li --model "$MODEL" "$OLIVINE"
expect_rc 0
expect_in out "barriers:       model"
expect_in out " +/- "
MIGBAR_MODEL="$MODEL" "$MIGBAR" hops --ion Li "$OLIVINE" >"$TMP/out" 2>"$TMP/err"
rc=$?
last="MIGBAR_MODEL=... migbar hops --ion Li"
expect_rc 0
expect_in out "barriers:       model"
printf '# layered: in plane, diagonal, across\n0.3 0.05\n0.45\n1.2 0.1\n' >"$TMP/barriers.txt"
run hops --ion Li --barriers "$TMP/barriers.txt" "$LAYERED"
expect_rc 0
expect_in out "2D  E_m = 0.300 eV, limiting hop 0"
expect_in out "3D  E_m = 1.200 eV, limiting hop 2"
printf '0.3\n0.4\n' >"$TMP/short.txt"
run hops --ion Li --barriers "$TMP/short.txt" "$LAYERED"
expect_rc 1
expect_in err "2 barriers for 3 distinct hops"
printf '0.3\nabc\n1\n' >"$TMP/bad.txt"
run hops --ion Li --barriers "$TMP/bad.txt" "$LAYERED"
expect_rc 1
expect_in err "bad.txt:2: expected a barrier"

# ---- end points and the plot -------------------------------------------------------------
run hops --ion Li --proxy --write-bands "$TMP/bands" --svg "$TMP/hops.svg" "$OLIVINE"
expect_rc 0
for f in hop-0/POSCAR_initial hop-0/POSCAR_final hop-1/POSCAR_initial hop-1/POSCAR_final; do
  checks=$((checks + 1))
  [ -s "$TMP/bands/$f" ] || fail "--write-bands did not write $f"
done
run info "$TMP/bands/hop-0/POSCAR_initial"
expect_rc 0
expect_in out "atoms:         111"
checks=$((checks + 1))
grep -q "<svg" "$TMP/hops.svg" && grep -q "1D</text>" "$TMP/hops.svg" || fail "hops.svg lacks the plot"
checks=$((checks + 1))
# the network: the cell clip path, 8 hops per cell drawn twice (periodic), 4 Li sites
[ "$(grep -c '<title>hop class' "$TMP/hops.svg")" -eq 16 ] &&
  [ "$(grep -c 'r="5" fill="#222"' "$TMP/hops.svg")" -eq 4 ] &&
  grep -q 'clip-path="url(#cell)"' "$TMP/hops.svg" || fail "hops.svg lacks the network picture"
run neb --initial "$TMP/bands/hop-0/POSCAR_initial" --final "$TMP/bands/hop-0/POSCAR_final" \
  --images 1 --potential lj --max-steps 1 -o "$TMP/neb"
checks=$((checks + 1))
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then fail "migbar neb on the written end points exited $rc"; show; fi

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
