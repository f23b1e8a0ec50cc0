#!/bin/sh
# Run the migbar tool under valgrind over every subcommand on the shipped
# examples, including failing inputs (missing, malformed and truncated files in
# every format, usage errors), and fail on any memory error or definite/indirect
# leak. Run by `make check-valgrind` with MB_SRCDIR, MB_BUILDDIR and VALGRIND set.
set -u

: "${MB_BUILDDIR:?MB_BUILDDIR is not set (run through make check-valgrind)}"
: "${MB_SRCDIR:?MB_SRCDIR is not set (run through make check-valgrind)}"
VALGRIND=${VALGRIND:-}
if [ -z "$VALGRIND" ] || ! command -v "$VALGRIND" >/dev/null 2>&1; then
  echo "valgrind_cli.sh: valgrind not found; install it (e.g. apt-get install valgrind)" \
    "and re-run configure"
  exit 1
fi
MIGBAR="$MB_BUILDDIR/tools/migbar"
LIBTOOL="$MB_BUILDDIR/libtool"
EX="$MB_SRCDIR/examples"
[ -x "$MIGBAR" ] || { echo "valgrind_cli.sh: $MIGBAR is missing (build first)"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/migbar-vg.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM

VG_RC=99
failures=0
runs=0
n=0

# vg EXPECTED-STATUS ARGS...: run migbar under valgrind; stdin from $VG_STDIN when set.
vg() {
  expected=$1
  shift
  n=$((n + 1))
  runs=$((runs + 1))
  log="$TMP/vg.$n.log"
  "$LIBTOOL" --mode=execute "$VALGRIND" -q --error-exitcode=$VG_RC --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --track-origins=yes --log-file="$log" \
    "$MIGBAR" "$@" <"${VG_STDIN:-/dev/null}" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" -eq "$VG_RC" ]; then
    failures=$((failures + 1))
    echo "FAIL (valgrind errors): migbar $*"
    sed 's/^/  | /' "$log"
  elif [ "$rc" -ne "$expected" ]; then
    failures=$((failures + 1))
    echo "FAIL (exit $rc, expected $expected): migbar $*"
    sed -n '1,10p' "$TMP/err" | sed 's/^/  | /'
  else
    echo "ok   (exit $rc) migbar $*"
  fi
}

# ---- inputs: the examples, and broken files in every format ----------------
cp "$EX/NaCl/POSCAR" "$TMP/nacl.vasp"
printf 'bad\n1.0\n4 0 0\n0 4 0\n0 0 4\nNa\n2\nDirect\n0 0 0\n0.5 zz 0.5\n' >"$TMP/bad.vasp"
head -n 8 "$EX/LiFePO4/POSCAR_initial" >"$TMP/truncated.vasp"
printf '3\nLattice="4 0 0 0 4 0 0 0 4" Properties=species:S:1:pos:R:3\nNa 0 0 0\nCl 2 2\n' \
  >"$TMP/bad.xyz"
printf 'data_x\n_cell_length_a 4\n_cell_length_b 4\nloop_\n_atom_site_label\n' >"$TMP/bad.cif"
printf '{"lattice_mat": [[4,0,0],[0,4,0]], "coords": [[0,0,0]], "elements": ["Na"]' \
  >"$TMP/bad.json"
printf '' >"$TMP/empty.vasp"

# ---- help, version, usage errors -------------------------------------------
vg 0 --version
vg 0 --help
vg 0 help info
vg 0 help convert
vg 0 info --help
vg 0 convert --help
vg 2
vg 2 frobnicate
vg 2 help frobnicate
vg 2 info --frobnicate "$TMP/nacl.vasp"
vg 2 info --index abc "$TMP/nacl.vasp"
vg 2 info --symprec -1 "$TMP/nacl.vasp"
vg 2 info --format foo "$TMP/nacl.vasp"
vg 2 info
vg 2 convert "$TMP/nacl.vasp"
vg 2 convert "$TMP/nacl.vasp" "$TMP/out.foo"
vg 2 convert "$TMP/nacl.vasp" -
vg 2 convert --supercell 0x1x1 "$TMP/nacl.vasp" "$TMP/x.xyz"

# ---- info on every example, text and JSON ------------------------------------
for f in "$EX/NaCl/POSCAR" "$EX/NaCl/NaCl.cif" "$EX/LiFePO4/POSCAR_initial" \
  "$EX/LiFePO4/POSCAR_final"; do
  vg 0 info "$f"
  vg 0 info --json --symprec 0.01 "$f"
done
VG_STDIN="$EX/NaCl/POSCAR" vg 0 info --format poscar -

# ---- convert through every format, supercell, wrap, stdout --------------------
vg 0 convert "$EX/LiFePO4/POSCAR_initial" "$TMP/lfp.xyz"
vg 0 convert "$TMP/lfp.xyz" "$TMP/lfp.cif"
vg 0 convert "$TMP/lfp.cif" "$TMP/lfp.json"
vg 0 convert "$TMP/lfp.json" "$TMP/lfp.vasp"
vg 0 convert -v --supercell 2x2x2 --wrap "$EX/NaCl/NaCl.cif" "$TMP/nacl222.xyz"
vg 0 convert --to cif "$EX/LiFePO4/POSCAR_final" -
VG_STDIN="$TMP/lfp.json" vg 0 convert --from json - "$TMP/stdin.vasp"
for f in "$TMP/lfp.xyz" "$TMP/lfp.cif" "$TMP/lfp.json"; do
  vg 0 info --json "$f"
done
cat "$TMP/lfp.xyz" "$TMP/nacl222.xyz" >"$TMP/two.xyz"
vg 0 info --index 1 "$TMP/two.xyz"
vg 0 convert --index 1 "$TMP/two.xyz" "$TMP/frame1.json"

# ---- failing inputs: the library's error paths ---------------------------------
vg 1 info "$TMP/does-not-exist.vasp"
vg 1 info "$TMP"
vg 1 info "$TMP/empty.vasp"
vg 1 info --index 5 "$TMP/two.xyz"
vg 1 info --index 1 "$TMP/nacl.vasp"
for f in bad.vasp truncated.vasp bad.xyz bad.cif bad.json; do
  vg 1 info "$TMP/$f"
  vg 1 convert "$TMP/$f" "$TMP/out.xyz"
done
VG_STDIN="$TMP/bad.json" vg 1 info --format json -
vg 1 convert "$EX/NaCl/POSCAR" "$TMP/no/such/dir/out.cif"

# ---- predict: usage errors, the tiny models of tests/data/gnn, failing models ----
GNN="${MB_TEST_DATA:-$MB_SRCDIR/tests/data}/gnn"
printf '\020\000\000\000\000\000\000\000{"broken": tru' >"$TMP/broken.safetensors"
vg 0 predict --help
vg 0 help predict
vg 2 predict "$EX/NaCl/POSCAR"  # the shipped band model needs --nband or two end points
vg 2 predict --model "$GNN/tiny_band.safetensors"
vg 2 predict --model "$GNN/tiny_band.safetensors" --nband x "$EX/NaCl/POSCAR"
vg 2 predict --model "$GNN/tiny_band.safetensors" --ion 1 "$EX/NaCl/POSCAR"
vg 1 predict --model "$TMP/does-not-exist.safetensors" "$EX/NaCl/POSCAR"
vg 1 predict --model "$TMP/broken.safetensors" "$EX/NaCl/POSCAR"
vg 1 predict --model "$TMP/nacl.vasp" "$EX/NaCl/POSCAR"
if [ -f "$GNN/tiny_band.safetensors" ] && [ -f "$GNN/tiny_mpt.safetensors" ]; then
  vg 0 predict --model "$GNN/tiny_mpt.safetensors" "$EX/NaCl/POSCAR"
  vg 0 predict --model "$GNN/tiny_mpt.safetensors" --json "$TMP/lfp.json"
  vg 0 predict --model "$GNN/tiny_band.safetensors" "$EX/LiFePO4/POSCAR_initial" \
    "$EX/LiFePO4/POSCAR_final"
  vg 0 predict --model "$GNN/tiny_band.safetensors" --json --ion 0 \
    "$EX/LiFePO4/POSCAR_initial" "$EX/LiFePO4/POSCAR_final"
  vg 0 predict --model "$GNN/tiny_band.safetensors" --nband 5 --index 1 "$TMP/two.xyz"
  vg 2 predict --model "$GNN/tiny_band.safetensors" "$EX/NaCl/POSCAR"
  vg 1 predict --model "$GNN/tiny_mpt.safetensors" "$EX/LiFePO4/POSCAR_initial" \
    "$EX/LiFePO4/POSCAR_final"
  vg 1 predict --model "$GNN/tiny_band.safetensors" "$EX/LiFePO4/POSCAR_initial" \
    "$EX/LiFePO4/POSCAR_initial"
  vg 1 predict --model "$GNN/tiny_band.safetensors" --nband 500 "$EX/NaCl/POSCAR"
  vg 1 predict --model "$GNN/tiny_mpt.safetensors" "$TMP/bad.json"
fi

# ---- predict with an ensemble; neb: a short run, a restart, failures -------------
ENS="$GNN/ensemble/ensemble.json"
vg 0 predict --model "$ENS" --temperature 300 --d0 1e-3 "$EX/LiFePO4/POSCAR_initial" \
  "$EX/LiFePO4/POSCAR_final"
vg 1 predict --model "$TMP/does-not-exist.json" "$EX/NaCl/POSCAR"
# hops: the proxy, a model, end points and the plot, failures
HOPS="$MB_SRCDIR/tests/data/hops/LiFePO4_olivine.vasp"
vg 0 hops --help
vg 2 hops "$HOPS"
vg 0 hops --ion Li --proxy --json "$HOPS"
vg 0 hops --ion Li --model "$ENS" --threads 2 --write-bands "$TMP/hops" --svg "$TMP/hops.svg" "$HOPS"
vg 1 hops --ion Na "$HOPS"
vg 1 hops --ion Li --max-length 2 "$HOPS"
vg 1 hops --ion Li --barriers "$TMP/does-not-exist.txt" "$HOPS"
NEB="$EX/neb"
vg 0 neb --help
vg 2 neb --initial "$NEB/POSCAR_initial"
vg 1 neb --initial "$NEB/POSCAR_initial" --final "$EX/NaCl/POSCAR" --potential emt -o "$TMP/nebx"
vg 0 neb --initial "$NEB/POSCAR_initial" --final "$NEB/POSCAR_final" --images 3 \
  --potential emt --climb --quiet -o "$TMP/neb"
vg 3 neb --restart "$TMP/neb" --fmax 0.001 --max-steps 2 --quiet
vg 3 neb --initial "$NEB/POSCAR_initial" --final "$NEB/POSCAR_final" --images 2 \
  --potential lj --optimizer fire --max-steps 3 --fmax 1e-4 --quiet --json -o "$TMP/neblj"

echo "valgrind_cli.sh: $runs runs under valgrind, $failures failed"
[ "$failures" -eq 0 ]
