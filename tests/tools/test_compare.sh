#!/bin/sh
# examples/functionals/compare.py (issue 13): E_m of one hop by functional. The Li vacancy
# hop of examples/dft-neb with LDA and PBE (one image, a loose force criterion, seconds):
# both barriers in comparison.json, one profile per functional in profiles.svg, the table;
# a "+U" functional without --hubbard is an error row, not a crash. Skipped without the
# HGH Li of abinit-data.
MIGBAR="${MB_BUILDDIR:-.}/tools/migbar"
PSP=${MB_PSP_DIR:-/usr/share/abinit/psp}
PYTHON=${PYTHON:-python3}
if [ ! -f "$PSP/3li.1.hgh" ]; then
  echo "SKIP: no $PSP/3li.1.hgh"
  exit 77
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/migbar-compare.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
"$PYTHON" "$MB_SRCDIR/examples/functionals/compare.py" --functionals LDA,PBE,PBE+U \
  --images 1 --fmax 0.5 --migbar "$MIGBAR" -o "$TMP/run" >"$TMP/out" 2>&1
rc=$?
if [ $rc -ne 1 ]; then # 1: a functional (PBE+U) failed; the others are still reported
  echo "FAIL: compare.py exited $rc, expected 1"
  cat "$TMP/out"
  exit 1
fi
"$PYTHON" - "$TMP/run" <<'PY' || { cat "$TMP/out"; exit 1; }
import json, os, sys
run = sys.argv[1]
rows = {r["functional"]: r for r in json.load(open(os.path.join(run, "comparison.json")))}
for f in ("LDA", "PBE"):
    r = rows[f]
    assert 0.05 < r["forward_eV"] < 0.5, (f, r["forward_eV"])
    assert abs(r["forward_eV"] - r["backward_eV"]) < 0.02, r
    assert r["family"] == ("lda" if f == "LDA" else "gga"), r
assert "needs --hubbard" in rows["PBE+U"]["error"], rows["PBE+U"]
svg = open(os.path.join(run, "profiles.svg")).read()
assert svg.count("<polyline") == 2 and "LDA:" in svg and "PBE:" in svg
table = open(os.path.join(run, "comparison.md")).read()
assert "LDA" in table and "PBE+U" in table
print("test_compare.sh: LDA %.4f eV, PBE %.4f eV" % (rows["LDA"]["forward_eV"],
                                                       rows["PBE"]["forward_eV"]))
PY
