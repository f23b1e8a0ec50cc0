#!/bin/sh
# Run the pytest suite of the Python package (bindings/python/tests) against the
# library just built (MIGBAR_LIBRARY, set by `make check`). Exits with pytest's
# status; "no tests collected" (pytest exit 5) counts as a failure, and so does
# a missing numpy/pytest (the README's first command installs them).
set -u
srcdir=${MB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}

# configure's $PYTHON first; it may lack numpy/pytest (a pyenv or venv python),
# so fall back to the system interpreter, where Debian's python3-numpy lives.
py=
for cand in "${PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$cand" ] || continue
  if "$cand" -c 'import numpy, pytest' >/dev/null 2>&1; then py=$cand; break; fi
  echo "note: $cand cannot import numpy and pytest; trying the next interpreter"
done
if [ -z "$py" ]; then
  echo "FAIL: no Python with numpy and pytest (apt-get install python3-numpy python3-pytest)"
  exit 1
fi
echo "python: $py ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
echo "library: ${MIGBAR_LIBRARY:-<search>}"

# Under `make check-asan` the library needs the sanitizer runtimes preloaded
# (Python itself is not instrumented, and leaks by design).
if [ -n "${MB_SANITIZED:-}" ]; then
  LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
  ASAN_OPTIONS=detect_leaks=0
  export LD_PRELOAD ASAN_OPTIONS
fi

PYTHONPATH="$srcdir/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
# Keep pytest's cache and the bytecode out of the (possibly read-only) source tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
"$py" -m pytest -q -p no:cacheprovider -rs "$srcdir/bindings/python/tests"
rc=$?
if [ $rc -eq 5 ]; then
  echo "FAIL: pytest collected no tests"
  exit 1
fi
exit $rc
