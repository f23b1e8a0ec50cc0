#!/bin/sh
# Tests of `migbar dft`: help, usage errors, a Si run with --json parsed by Python, the
# SCF lines on stderr, a missing pseudopotential, and an SCF forced not to converge
# (exit 3, CLI_EXIT_NOT_CONVERGED, with the residual in the message).
#
# Run by `make check` with MB_BUILDDIR, MB_SRCDIR (and PYTHON) set.
#
# Reference: the Si case of tests/dft/test_scf.c (ABINIT 9.6.2, tests/data/dft/scf/
# reference.txt, case si_pbe_libxc): diamond Si, a = 10.26 Bohr, PseudoDojo PBE psp8,
# ecut 10 Ha = 272.11386245988 eV, 2x2x2 grid shifted by 1/2, E = -8.45511417073225 Ha
# = -230.0753774 eV (Ha = 27.211386245988 eV); highest occupied eigenvalue 0.13328 Ha
# = 3.6267 eV. The shifted grid breaks the diamond symmetry, so the forces are equal
# and opposite rather than zero.
set -u

: "${MB_BUILDDIR:?MB_BUILDDIR is not set (run through make check)}"
: "${MB_SRCDIR:?MB_SRCDIR is not set (run through make check)}"
PYTHON=${PYTHON:-python3}
MIGBAR="$MB_BUILDDIR/tools/migbar"
PSP=${MB_PSP_DIR:-/usr/share/abinit/psp}

if [ ! -x "$MIGBAR" ]; then
  echo "FAIL: $MIGBAR is missing or not executable (build first)"
  exit 1
fi
if [ ! -f "$PSP/Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8" ]; then
  echo "SKIP: $PSP lacks the abinit-data pseudopotentials"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/migbar-dft.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT HUP INT TERM

. "$(dirname "$0")/cliutil.sh"
run() {
  "$MIGBAR" dft "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  last="migbar dft $*"
}

# Si diamond, a = 10.26 Bohr = 5.42935818 A (primitive fcc cell)
SI="$TMP/Si.vasp"
cat >"$SI" <<'EOF'
Si
 1.0
  0.0000000000000000 2.7146790919323895 2.7146790919323895
  2.7146790919323895 0.0000000000000000 2.7146790919323895
  2.7146790919323895 2.7146790919323895 0.0000000000000000
Si
2
Direct
  0.00 0.00 0.00
  0.25 0.25 0.25
EOF
ECUT=272.11386245988

# ---- help and usage errors -------------------------------------------------
run --help
expect_rc 0
expect_in out "Usage: migbar dft STRUCTURE --ecut EV --kpts AxBxC --functional F"
expect_in out "Exit status:"
expect_in out "dft exits with 3"
"$MIGBAR" --help >"$TMP/out" 2>"$TMP/err"
rc=$? last="migbar --help"
expect_in out "dft "

run --ecut 300 --kpts 2 --functional PBE
expect_rc 2
expect_in err "give the structure file"
run "$SI" --kpts 2 --functional PBE
expect_rc 2
expect_in err "--ecut"
run "$SI" --ecut 300 --functional PBE
expect_rc 2
expect_in err "--kpts"
run "$SI" --ecut 300 --kpts 2
expect_rc 2
expect_in err "--functional"
run "$SI" --ecut -5 --kpts 2 --functional PBE
expect_rc 2
run "$SI" --ecut 300 --kpts 2x0x2 --functional PBE
expect_rc 2
expect_in err "--kpts"
run "$SI" --ecut 300 --kpts 2 --kshift 0.5,0.25,0 --functional PBE
expect_rc 2
expect_in err "--kshift"
run "$SI" --ecut 300 --kpts 2 --functional B3LYP
expect_rc 2
expect_in err "B3LYP"
run "$SI" --ecut 300 --kpts 2 --functional PBE --smearing warm:0.1
expect_rc 2
expect_in err "--smearing"
run "$SI" --ecut 300 --kpts 2 --functional PBE --smearing mv:-1
expect_rc 2
run "$SI" --ecut 300 --kpts 2 --functional PBE --pseudo Si
expect_rc 2
expect_in err "EL=FILE"
run "$SI" --ecut 300 --kpts 2 --functional PBE --pseudo Qq=x.psp8
expect_rc 2
run "$SI" --ecut 300 --kpts 2 --functional PBE --max-scf 0
expect_rc 2
run "$SI" --ecut 300 --kpts 2 --functional PBE --bogus
expect_rc 2

# ---- failures ----------------------------------------------------------------
run "$TMP/missing.vasp" --ecut 300 --kpts 1 --functional PBE
expect_rc 1
run "$SI" --ecut 300 --kpts 1 --functional PBE --pseudo Si="$TMP/none.psp8"
expect_rc 1
expect_in err "none.psp8"
mkdir "$TMP/empty"
run "$SI" --ecut 300 --kpts 1 --functional PBE --pseudo-dir "$TMP/empty"
expect_rc 1
expect_in err "no pseudopotential for Si"
expect_in err "$TMP/empty"

# ---- a Si run ------------------------------------------------------------------
run "$SI" --ecut $ECUT --kpts 2x2x2 --kshift 0.5,0.5,0.5 --functional auto --scf-tol 1e-8 \
  --pseudo Si="$PSP/Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8" --json
expect_rc 0
expect_in err "scf 1"
checks=$((checks + 1))
if ! tail -n 1 "$TMP/out" | "$PYTHON" -c '
import json, sys
d = json.loads(sys.stdin.read())
ref = -8.45511417073225 * 27.211386245988
assert abs(d["energy"] - ref) < 1e-5, (d["energy"], ref)
assert d["free_energy"] == d["energy"]
assert d["converged"] is True and 2 < d["scf_steps"] < 40
assert abs(d["fermi_level"] - 0.13328 * 27.211386245988) < 3e-3
f = d["forces"]
assert len(f) == 2 and all(len(r) == 3 for r in f)
assert all(abs(f[0][k] + f[1][k]) < 1e-4 for k in range(3)), f
'; then
  fail "'$last': the JSON line does not match the reference"
  show
fi

# text output, quiet, Gamma only, smearing: the forces vanish by symmetry
run "$SI" --ecut 150 --kpts 1 --functional PBE --smearing mv:0.2 -q
expect_rc 0
expect_empty err
expect_in out "free energy:"
expect_in out "forces (eV/A):"

# ---- PBEsol through the functional handle (issue 13) -----------------------------
# The si_pbesol_test case of tests/data/dft/parity (ABINIT 9.6.2, ixc -116133, the second
# atom displaced to 0.257 0.25 0.25): F = -8.43731362085219 Ha.
SID="$TMP/Si_displaced.vasp"
sed 's/^  0.25 0.25 0.25$/  0.257 0.25 0.25/' "$SI" >"$SID"
run "$SID" --ecut $ECUT --kpts 2x2x2 --kshift 0.5,0.5,0.5 --functional PBEsol --scf-tol 1e-8 \
  --pseudo Si="$PSP/Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8" --json -q
expect_rc 0
checks=$((checks + 1))
if ! tail -n 1 "$TMP/out" | "$PYTHON" -c '
import json, sys
d = json.loads(sys.stdin.read())
ref = -8.43731362085219 * 27.211386245988
assert abs(d["free_energy"] - ref) < 1e-4, (d["free_energy"], ref)
'; then
  fail "'$last': PBEsol does not match ABINIT"
  show
fi
# SCAN: refused with Debian's core-corrected Si (as ABINIT), and with the PseudoDojo Si
# without core correction (../shared/psp) the si_scan_test reference of
# tests/data/dft/parity (ABINIT 9.6.2, ixc -263267, usekden 1): F = -7.87541058993968 Ha
run "$SI" --ecut 150 --kpts 1 --functional SCAN
expect_rc 1
expect_in err "without non-linear core correction"
NOCC="${MB_SHARED_PSP:-$MB_SRCDIR/../shared/psp}/pseudodojo-nc-sr-04-pbe-nocc/Si.psp8"
if [ -f "$NOCC" ]; then
  run "$SID" --ecut $ECUT --kpts 2x2x2 --kshift 0.5,0.5,0.5 --functional SCAN --scf-tol 1e-8 \
    --pseudo Si="$NOCC" --json -q
  expect_rc 0
  checks=$((checks + 1))
  if ! tail -n 1 "$TMP/out" | "$PYTHON" -c '
import json, sys
d = json.loads(sys.stdin.read())
ref = -7.87541058993968 * 27.211386245988
assert abs(d["free_energy"] - ref) < 1e-4, (d["free_energy"], ref)
'; then
    fail "'$last': SCAN does not match ABINIT"
    show
  fi
fi
# a charged cell: the si_charged_test reference (ABINIT "charge 2", Gaussian 0.01 Ha, 6
# bands): F = -8.66228396732604 Ha
run "$SID" --ecut $ECUT --kpts 2x2x2 --kshift 0.5,0.5,0.5 --functional PBE --charge 2 \
  --smearing gaussian:0.27211386245988 --extra-bands 3 --scf-tol 1e-8 \
  --pseudo Si="$PSP/Pseudodojo_nc_sr_04_pbe_standard_psp8/Si.psp8" --json -q
expect_rc 0
checks=$((checks + 1))
if ! tail -n 1 "$TMP/out" | "$PYTHON" -c '
import json, sys
d = json.loads(sys.stdin.read())
ref = -8.66228396732604 * 27.211386245988
assert abs(d["free_energy"] - ref) < 1e-4, (d["free_energy"], ref)
'; then
  fail "'$last': the charged cell does not match ABINIT"
  show
fi
run "$SI" --ecut 150 --kpts 1 --functional PBE --charge 9
expect_rc 1
expect_in err "leaves -1 electrons"
run "$SI" --ecut 150 --kpts 1 --functional PBE --charge two
expect_rc 2
run "$SI" --ecut 150 --kpts 1 --functional gga_x_pbe+
expect_rc 2
expect_in err "ends with '+'"

# ---- DFT+U -----------------------------------------------------------------------
# NaCoO2 with U = 4 eV on Co d against Quantum ESPRESSO 6.7: the gamma_u4 case of
# tests/data/dft/hubbard (25 Ha, Gamma, Gaussian 0.01 Ha; reference.txt): E_U =
# 7.4721535e-2 Ha, 8.09070848 electrons in the Co d projection; QE's F = -218.348431345
# Ha, from which migbar's differs by 9e-5 Ha (the local potential's tail, see
# tests/dft/test_hubbard.c)
UPF="${MB_SHARED_PSP:-$MB_SRCDIR/../shared/psp}/pseudodojo-nc-sr-04-pbe-nocc"
if [ -f "$UPF/Co-sp.upf" ]; then
  NACOO2="$TMP/NaCoO2.vasp"
  cat >"$NACOO2" <<'EOF'
NaCoO2 (tests/data/dft/hubbard/gamma_u4.in)
1.0
  1.444500000000000 -0.833982463844414 5.203000000000000
  0.000000000000000 1.667964927688829 5.203000000000000
  -1.444500000000000 -0.833982463844414 5.203000000000000
Co Na O
1 1 2
Direct
  0.000 0.00 0.00
  0.500 0.50 0.50
  0.272 0.27 0.27
 -0.270 -0.27 -0.27
EOF
  PSPS="--pseudo Co=$UPF/Co-sp.upf --pseudo Na=$UPF/Na-sp.upf --pseudo O=$UPF/O.upf"
  # shellcheck disable=SC2086
  run "$NACOO2" --ecut 680.28465614970 --kpts 1 --functional PBE --hubbard Co:d:4 \
    --smearing gaussian:0.27211386245988 --scf-tol 1e-8 --threads 2 $PSPS --json -q
  expect_rc 0
  checks=$((checks + 1))
  if ! tail -n 1 "$TMP/out" | "$PYTHON" -c '
import json, sys
d = json.loads(sys.stdin.read())
ha = 27.211386245988
assert abs(d["hubbard_energy"] - 7.4721535e-2 * ha) < 1e-5, d["hubbard_energy"]
assert abs(d["free_energy"] + 218.348431345 * ha) < 5e-3, d["free_energy"]
h = d["hubbard"]
assert len(h) == 1 and h[0]["atom"] == 0 and h[0]["element"] == "Co" and h[0]["shell"] == "d", h
assert abs(h[0]["electrons"] - 8.09070848) < 1e-4, h[0]["electrons"]
n = h[0]["occupations"]
assert len(n) == 1 and len(n[0]) == 5 and all(len(r) == 5 for r in n[0]), n
assert abs(2 * sum(n[0][i][i] for i in range(5)) - h[0]["electrons"]) < 1e-8
'; then
    fail "'$last': DFT+U does not match Quantum ESPRESSO"
    show
  fi
  # shellcheck disable=SC2086
  run "$NACOO2" --ecut 300 --kpts 1 --functional PBE --hubbard Co:d:4 $PSPS
  expect_in out "hubbard energy:"
  expect_in out "electrons in the projected shell"
  run "$NACOO2" --ecut 300 --kpts 1 --functional PBE --hubbard Co:d:4 \
    --pseudo Co="$UPF/Co-sp.psp8" --pseudo Na="$UPF/Na-sp.upf" --pseudo O="$UPF/O.upf"
  expect_rc 1
  expect_in err "Co-sp.psp8: DFT+U projects on the pseudo-atomic orbitals of a UPF file"
  run "$NACOO2" --ecut 300 --kpts 1 --functional auto --hubbard Co:d:4
  expect_rc 2
  expect_in err "not auto"
  run "$NACOO2" --ecut 300 --kpts 1 --functional PBE --hubbard Co:e:4
  expect_rc 2
  expect_in err "--hubbard expects EL:L:U_EV"
  run "$NACOO2" --ecut 300 --kpts 1 --functional PBE --hubbard Co:d:25
  expect_rc 2
fi

# ---- not converged -------------------------------------------------------------
run "$SI" --ecut 150 --kpts 1 --functional PBE --max-scf 2 --json
expect_rc 3
expect_in err "not converged"
expect_in err "residual"
expect_in out "\"converged\": false"
expect_in out "\"energy\": null"

echo "test_cli_dft.sh: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
