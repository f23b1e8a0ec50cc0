#!/bin/sh
# NEB over MPI (builds configured --with-mpi): tests/neb/test_mpi with mpirun -np 1
# and -np 2 must print the same band to the last digit (mpirun -np 2 gives the same
# result as one process). Skipped (77) in builds without MPI.
set -u
prog="$MB_BUILDDIR/tests/neb/test_mpi"
[ -x "$prog" ] || { echo "SKIP: built without MPI (configure --with-mpi)"; exit 77; }
run() {
  # --oversubscribe: CI machines may have fewer cores than ranks; root in containers
  mpirun --oversubscribe --allow-run-as-root -np "$1" "$prog" 2>&1
}
one=$(run 1) || { echo "FAIL: mpirun -np 1"; echo "$one"; exit 1; }
two=$(run 2) || { echo "FAIL: mpirun -np 2"; echo "$two"; exit 1; }
echo "$one"
if [ "$(echo "$one" | grep -v '^ranks agree')" != "$(echo "$two" | grep -v '^ranks agree')" ]; then
  echo "FAIL: -np 2 differs from -np 1:"; echo "$two"; exit 1
fi
echo "$two" | grep -q "ranks agree: 1 (of 2)" || { echo "FAIL: ranks disagree"; echo "$two"; exit 1; }
echo "ok: mpirun -np 2 gives the same band as one process"

# The tool: migbar neb under mpirun -np 2 writes the same neb.json as one process
# (rank 0 writes; the energies to the last digit).
migbar="$MB_BUILDDIR/tools/migbar"
ex="$MB_SRCDIR/examples/neb"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/migbar-mpi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
for np in 1 2; do
  mpirun --oversubscribe --allow-run-as-root -np $np "$migbar" neb --initial "$ex/POSCAR_initial" \
    --final "$ex/POSCAR_final" --images 3 --potential emt --climb --quiet -o "$tmp/np$np" \
    >"$tmp/out$np" 2>&1 || { echo "FAIL: mpirun -np $np migbar neb"; cat "$tmp/out$np"; exit 1; }
done
e1=$(grep -A6 '"energies"' "$tmp/np1/neb.json")
e2=$(grep -A6 '"energies"' "$tmp/np2/neb.json")
[ -n "$e1" ] && [ "$e1" = "$e2" ] || { echo "FAIL: migbar neb energies differ:"; echo "$e1"; echo "$e2"; exit 1; }
[ "$(grep -c 'forward barrier' "$tmp/out2")" = 1 ] || { echo "FAIL: not exactly one rank printed"; cat "$tmp/out2"; exit 1; }
echo "ok: mpirun -np 2 migbar neb writes the same band as one process"
