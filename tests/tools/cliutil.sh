# Helpers shared by the shell tests of the migbar tool (sourced; needs $TMP and
# $MIGBAR). run ARGS...: migbar with the arguments, output in $TMP/out and
# $TMP/err, status in $rc; the expect_* checks count in $checks and report
# failures (with the output) in $failures.
failures=0
checks=0
fail() {
  failures=$((failures + 1))
  echo "FAIL: $*"
}
run() {
  "$MIGBAR" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  last="migbar $*"
}
show() {
  echo "  --- stdout of '$last':"
  sed -n '1,15p' "$TMP/out" | sed 's/^/  | /'
  echo "  --- stderr:"
  sed -n '1,15p' "$TMP/err" | sed 's/^/  | /'
}
expect_rc() {
  checks=$((checks + 1))
  if [ "$rc" -ne "$1" ]; then
    fail "'$last' exited with $rc, expected $1"
    show
  fi
}
# expect_in out|err FIXED-STRING: that output contains the string.
expect_in() {
  checks=$((checks + 1))
  if ! grep -F -q -- "$2" "$TMP/$1"; then
    fail "std$1 of '$last' lacks '$2'"
    show
  fi
}
expect_empty() {
  checks=$((checks + 1))
  if [ -s "$TMP/$1" ]; then
    fail "std$1 of '$last' is not empty"
    show
  fi
}
