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
