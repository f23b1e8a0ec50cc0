#!/bin/sh
# The shared library exports exactly the MB_API functions of include/migbar.h
# (nothing else: no internal mb__ helpers, no symbols of the libraries it uses),
# has the soname libmigbar.so.MAJOR, and matches the committed ABI baseline; the
# static library defines no global symbol outside the mb_ prefix.
set -u
lib="$MB_BUILDDIR/lib/.libs/libmigbar.so"
hdr="$MB_SRCDIR/include/migbar.h"
fail=0
check() { if [ "$1" -ne 0 ]; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }

exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
declared=$(sed -n 's/^MB_API [^(]*[ *]\(mb_[a-z0-9_]*\)(.*/\1/p' "$hdr" | sort)
[ -n "$exported" ] && [ -n "$declared" ]; check $? "found exported and declared symbols"

bad=$(echo "$exported" | grep -v '^mb_[a-z]' || true)
[ -z "$bad" ]; check $? "only mb_ symbols exported (extra: $(echo $bad))"

missing=$(printf '%s\n' "$declared" | while read -r f; do echo "$exported" | grep -qx "$f" || echo "$f"; done)
[ -z "$missing" ]; check $? "every MB_API function is exported (missing: $(echo $missing))"

extra=$(printf '%s\n' "$exported" | while read -r f; do echo "$declared" | grep -qx "$f" || echo "$f"; done)
[ -z "$extra" ]; check $? "every export is declared in migbar.h (undeclared: $(echo $extra))"

major=$(sed -n 's/^#define MB_VERSION_MAJOR \([0-9]*\)/\1/p' "$hdr")
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libmigbar.so.$major" ]; check $? "soname is libmigbar.so.$major (got $soname)"
real=$(basename "$(readlink -f "$lib")")
ver=$(sed -n 's/^#define MB_VERSION_STRING "\(.*\)"/\1/p' "$hdr")
[ "$real" = "libmigbar.so.$ver" ]; check $? "library file is libmigbar.so.$ver (got $real)"
[ -f "$MB_BUILDDIR/lib/.libs/libmigbar.a" ]; check $? "static library built"
# Linking the static library must not claim names outside the library's prefix:
# every global symbol it defines is mb_ (public) or mb__ (internal).
static_bad=$(nm -g --defined-only "$MB_BUILDDIR/lib/.libs/libmigbar.a" 2>/dev/null |
  awk 'NF == 3 && $2 ~ /^[TDBRVWCi]$/ {print $3}' | grep -v '^mb_' |
  grep -v '^__odr_asan\.\|^__asan\|^__ubsan\|^__sancov' | sort -u)  # sanitizer bookkeeping
[ -z "$static_bad" ]; check $? "libmigbar.a defines only mb_ symbols (others: $(echo $static_bad))"

if command -v abidw >/dev/null 2>&1 && command -v abidiff >/dev/null 2>&1; then
  out=$(make -s -C "$MB_BUILDDIR" abi-check 2>&1); rc=$?
  echo "$out" | tail -n 20
  check $rc "ABI compatible with abi/libmigbar.abi (make abi-check)"
else
  echo "FAIL: abidw/abidiff not installed (sudo apt-get install abigail-tools)"; fail=1
fi
exit $fail
