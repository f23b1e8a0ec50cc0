#!/bin/bash
# PBE climbing-image NEB of the Na vacancy hop in the 38-atom Na2S cell (README.md here):
# the settings of the 11-atom PBE run in ../ (examples/functionals/compare.py's
# `migbar neb` line): 3 images, climbing image, fmax 0.05 eV/A, 680 eV (25 Ha), Gamma,
# --charge -1, no smearing, PseudoDojo 0.4 PBE without core correction.
#
#   ./run.sh [OUTDIR]          (default: run-pbe in the current directory)
#
# Environment:
#   MIGBAR         the migbar binary (default: build/tools/migbar of this tree, else PATH)
#   MB_SHARED_PSP  the shared pseudopotential directory (default: ../shared/psp beside
#                  the repository, as the tests use it)
#   DFT_THREADS    threads per image (migbar neb --dft-threads; default 2: the two cores
#                  on one image at a time. `--threads` of migbar neb is images at once,
#                  kept at 1: 3 images on 2 threads leave one core idle every third image
#                  and double the memory)
#
# OUTDIR receives neb.json (energies, barriers, profile, statistics), profile.svg,
# band.xyz, 00/POSCAR..04/POSCAR (from migbar neb), result.txt (migbar's summary),
# neb.log (the engine's preflight lines and one line per NEB step), time.txt
# (/usr/bin/time -v, when there is one) and wall.txt (the wall time in seconds).
# An OUTDIR that already holds a run (neb.json: a checkpoint, or a run stopped with
# Ctrl-C or by --max-steps) is continued (migbar neb --restart with the same DFT options);
# neb.log is appended to, wall.txt and time.txt are those of the last invocation.
# Exit status: migbar's (0 converged, 3 not converged within --max-steps, 130/143
# interrupted; run ./run.sh OUTDIR again to continue).
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
PSP=${MB_SHARED_PSP:-$TOP/../shared/psp}/pseudodojo-nc-sr-04-pbe-nocc
PSP=$(cd "$PSP" 2>/dev/null && pwd || echo "$PSP")
OUT=${1:-run-pbe}
DFT_THREADS=${DFT_THREADS:-2}

if [ -z "${MIGBAR:-}" ]; then
  if [ -x "$TOP/build/tools/migbar" ]; then MIGBAR=$TOP/build/tools/migbar
  else MIGBAR=$(command -v migbar || true); fi
fi
if [ -z "$MIGBAR" ]; then
  echo "run.sh: no migbar (build the project or set MIGBAR)" >&2
  exit 2
fi
for f in "$PSP/Na-sp.psp8" "$PSP/S.psp8"; do
  if [ ! -r "$f" ]; then
    echo "run.sh: no $f (set MB_SHARED_PSP to the ../shared/psp directory)" >&2
    exit 2
  fi
done

dft=(--functional PBE --ecut 680 --kpts 1 --smearing none --charge -1
     --pseudo "Na=$PSP/Na-sp.psp8" --pseudo "S=$PSP/S.psp8")
opt=(--climb --fmax 0.05 --relax-endpoints --threads 1 --dft-threads "$DFT_THREADS")
if [ -f "$OUT/neb.json" ]; then  # an earlier run (checkpoint): continue it
  cmd=("$MIGBAR" neb --restart "$OUT" "${dft[@]}" "${opt[@]}")
else
  mkdir -p "$OUT"
  cmd=("$MIGBAR" neb -i "$HERE/POSCAR_initial" -f "$HERE/POSCAR_final" -n 3 -p dft
       "${dft[@]}" "${opt[@]}" -o "$OUT")
fi
{ echo "# $(date -u '+%Y-%m-%dT%H:%M:%SZ') on $(hostname), $(nproc) cores;" \
       "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%q ' "${cmd[@]}"; echo; } | tee -a "$OUT/neb.log"

t0=$(date +%s.%N)
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -v -o "$OUT/time.txt")
# Ctrl-C or SIGTERM: migbar finishes the step under way and writes its checkpoint; this
# script and the tee of its log wait for it (a dead tee would kill migbar by SIGPIPE).
trap ':' INT TERM
set +e
{ "${timer[@]}" "${cmd[@]}" 2>&1 > "$OUT/result.txt"; } |
  (trap '' INT TERM; exec tee -a "$OUT/neb.log") >&2
rc=${PIPESTATUS[0]}
set -e
trap - INT TERM
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "$wall" > "$OUT/wall.txt"
cat "$OUT/result.txt"
awk -v w="$wall" -v t="$DFT_THREADS" -v rc="$rc" 'BEGIN {
  printf "wall time: %.0f s (%.1f min), %d DFT thread(s), exit status %d\n",
         w, w / 60, t, rc }' |
  tee -a "$OUT/neb.log"
if [ -f "$OUT/time.txt" ]; then grep -E "Maximum resident|Elapsed" "$OUT/time.txt" || true; fi
exit "$rc"
