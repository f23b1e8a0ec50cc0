#!/bin/sh
# Install into a staging directory (make install DESTDIR=...), then build a C
# program with `pkg-config --cflags --libs libmigbar` alone (shared and static),
# run it, and import the installed Python package with no hint where the
# library is.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
fail=0
# Under `make check-asan` the library needs the sanitizer runtimes.
san=""; pre=""
if [ -n "${MB_SANITIZED:-}" ]; then
  san="-fsanitize=address,undefined"
  pre="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=detect_leaks=0
fi
check() { if [ "$1" -ne 0 ]; then echo "FAIL: $2"; fail=1; else echo "ok: $2"; fi; }

${MAKE:-make} -s -C "$MB_BUILDDIR" install DESTDIR="$root" >"$tmp/install.log" 2>&1
rc=$?; [ $rc -eq 0 ] || tail -n 30 "$tmp/install.log"
check $rc "make install DESTDIR=$root"

prefix=$(sed -n 's/^prefix=//p' "$MB_BUILDDIR/pkgconfig/libmigbar.pc")
pcdir=$(dirname "$(find "$root" -name libmigbar.pc | head -n 1)")
libdir=$(dirname "$(find "$root" -name 'libmigbar.so.*.*.*' | head -n 1)")
for f in include/migbar.h bin/migbar share/man/man1/migbar.1; do
  [ -f "$root$prefix/$f" ]; check $? "installed $prefix/$f"
done
[ -f "$libdir/libmigbar.a" ]; check $? "installed libmigbar.a"

export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs libmigbar); check $? "pkg-config --cflags --libs libmigbar: $flags"
${CC:-cc} $san -o "$tmp/consumer" "$MB_SRCDIR/tests/install/consumer.c" $flags
check $? "compile a consumer with pkg-config flags"
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/consumer"); check $? "run it: $out"
ldd_out=$(LD_LIBRARY_PATH="$libdir" ldd "$tmp/consumer" | grep libmigbar)
echo "$ldd_out" | grep -q "$root"; check $? "it uses the installed library ($ldd_out)"

sflags=$(pkg-config --static --cflags --libs libmigbar)
${CC:-cc} $san -static-libgcc -o "$tmp/consumer_static" "$MB_SRCDIR/tests/install/consumer.c" \
  -Wl,-Bstatic $(pkg-config --cflags --libs-only-L libmigbar) -lmigbar -Wl,-Bdynamic \
  $(echo "$sflags" | sed 's/-lmigbar//g')
check $? "link statically against libmigbar.a ($sflags)"
out=$("$tmp/consumer_static"); check $? "run the static consumer: $out"

pkgdir=$(dirname "$(find "$root" -path '*/migbar/__init__.py' | head -n 1)")
[ -n "$pkgdir" ]; check $? "installed the Python package ($pkgdir)"
out=$(cd "$tmp" && env -u MIGBAR_LIBRARY LD_PRELOAD="$pre" PYTHONPATH="$(dirname "$pkgdir")" ${PYTHON:-python3} -c '
import migbar, sys
lib = migbar._lib.library_path()
print(migbar.__version__, migbar.__file__, lib)
assert migbar.__file__.startswith(sys.argv[1]), migbar.__file__
assert lib.startswith(sys.argv[1]), lib
s = migbar.Structure([[5.64,0,0],[0,5.64,0],[0,0,5.64]], [[0,0,0],[.5,.5,.5]], ["Na","Cl"])
assert s.formula() == "ClNa"
' "$root" 2>&1)
check $? "import the installed Python package: $out"
exit $fail
