#!/bin/sh
# The training pipeline's pytest suite (train/tests) on CPU with Debian's torch:
# graph building against brute force, safetensors, BatchNorm folding, masked
# loss, a short reproducible training run. Fails when torch is missing (the
# README's first command installs python3-torch).
set -u
srcdir=${MB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
py=
for cand in "${PYTHON:-}" /usr/bin/python3 python3; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import numpy, pytest, torch' >/dev/null 2>&1; then py=$cand; break; fi
done
if [ -z "$py" ]; then
  echo "FAIL: no Python with numpy, pytest and torch (apt-get install python3-torch python3-pytest)"
  exit 1
fi
if [ -n "${MB_SANITIZED:-}" ]; then
  LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
  ASAN_OPTIONS=detect_leaks=0
  export LD_PRELOAD ASAN_OPTIONS
fi
MIGBAR_DATA="${MB_SHARED_DATA:-$srcdir/../shared/data}"
PYTHONDONTWRITEBYTECODE=1
OMP_NUM_THREADS=1
export MIGBAR_DATA PYTHONDONTWRITEBYTECODE OMP_NUM_THREADS
cd "$srcdir/train" || exit 1
"$py" -m pytest -q -p no:cacheprovider -rs tests
rc=$?
[ $rc -eq 5 ] && { echo "FAIL: pytest collected no tests"; exit 1; }
exit $rc
