#!/usr/bin/env bash
# The GPU training of the shipped E_m model (issue 4) in as few device calls as
# possible. From the repository root:
#
#   bash train/run_device.sh [options] pretrain   # call 1: graph caches + pre-training
#   bash train/run_device.sh [options] folds      # call 2: CV folds, baselines, ensemble
#   bash train/run_device.sh [options] all        # both (a machine without the 10 min limit)
#
# Options: --smoke (tiny CPU run of every stage, for tests), --out DIR (default $OUT,
# else train/runs/device-out), --work DIR (scratch: caches and runs, default
# /tmp/migbar-device), --data DIR (default $MIGBAR_DATA, shared/data, .devdata,
# ../shared/data), --pretrained CKPT (folds: the pre-trained checkpoint, default
# WORK/pretrain/checkpoint.pt), --seeds S (seeds per fold of the fine-tuned model,
# default 3), --deadline S (seconds this call may take, default 540). Environment:
# PYTHON (default python3), MIGBAR_LIBRARY, EXTRA_SET="key=value ..." (config overrides
# of every training run, e.g. deterministic=false).
#
# pretrain: graph caches of the 7 pretrain sets (16 processes); a 2-epoch probe times
#   an epoch; the pre-training then runs as many epochs as fit (at most the config's).
#   Gives OUT/pretrain-checkpoint.pt: carry it into call 2 (--pretrained).
# folds: caches of em/ and jarvis2d/; wave 1: 5 folds x S seeds fine-tuned from the
#   pre-trained model (5*S processes on the one GPU); wave 2: em from scratch (5 folds,
#   as many epochs as wave 1), jarvis2d fine-tuned and from scratch (5 folds each);
#   each wave probes 2 epochs first and picks the epochs that fit its share of the
#   deadline. Then the random-forest baseline on the same folds, the ensemble directory
#   (the 5 CV models, seed 0 of each fold; std_scale fitted on the seeds' spread) and
#   the report. All folds use fold seed 123, as cv.py with configs/finetune.toml.
#
# What comes back from OUT (at most 8 files, 16 MiB each): device.log, report.md,
# results.tar.gz (folds.json, train logs, configs, RF outputs, manifest and card),
# models.tar.part-* (models/em: members, ensemble.json, MODEL_CARD.md; split at
# 15 MiB), pretrain-checkpoint.pt. Needs on the device: python3 with torch, numpy,
# scikit-learn; a C compiler (libmigbar's k-nearest-neighbour code is compiled there
# unless MIGBAR_LIBRARY names a usable library); the data (carry it, see README.md).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PY=${PYTHON:-python3}
SMOKE=0; SEEDS=3; DEADLINE=540; STAGES=()
OUTDIR=${OUT:-$REPO/train/runs/device-out}; WORK=/tmp/migbar-device; DATA=""; PRE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --out) OUTDIR=$2; shift ;;
    --work) WORK=$2; shift ;;
    --data) DATA=$2; shift ;;
    --pretrained) PRE=$2; shift ;;
    --seeds) SEEDS=$2; shift ;;
    --deadline) DEADLINE=$2; shift ;;
    pretrain|folds|all) STAGES+=("$1") ;;
    *) echo "run_device.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#STAGES[@]} -gt 0 ] || { echo "usage: run_device.sh [options] pretrain|folds|all" >&2; exit 2; }
if [ -z "$DATA" ]; then
  for d in "${MIGBAR_DATA:-}" "$REPO/shared/data" "$REPO/.devdata" "$REPO/../shared/data"; do
    if [ -n "$d" ] && [ -f "$d/em/train.json" ]; then DATA=$d; break; fi
  done
fi
if [ -z "$DATA" ] || [ ! -f "$DATA/em/train.json" ]; then echo "no data (--data DIR)" >&2; exit 2; fi
mkdir -p "$OUTDIR" "$WORK"
OUTDIR=$(cd "$OUTDIR" && pwd); WORK=$(cd "$WORK" && pwd); DATA=$(cd "$DATA" && pwd)
export PYTHONPATH="$REPO/train" PYTHONUNBUFFERED=1
T0=$(date +%s)
LOG="$OUTDIR/device.log"

log() { echo "[$(date +%H:%M:%S) +$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }
left() { echo $(( DEADLINE - ( $(date +%s) - T0 ) )); }
ens() { "$PY" -m migbar_train.ensemble "$@"; }

# --- settings: device run and smoke run ---------------------------------------------
CACHE="$WORK/cache"
COMMON=(--set "data_dir=$DATA" --set "cache_dir=$CACHE" --set num_threads=1)
for kv in ${EXTRA_SET:-}; do COMMON+=(--set "$kv"); done  # e.g. EXTRA_SET="deterministic=false"
if [ "$SMOKE" = 1 ]; then
  DEV=cpu; NPROC=2; FOLDS=3; PROBE_EPOCHS=1; SEEDS=${SMOKE_SEEDS:-2}
  TINY=(--set model.embedding=8 --set model.hidden=16 --set model.alignn_layers=1
        --set model.gcn_layers=1 --set batch_size=8)
  PRE_SET=(--set max_entries=3 "${TINY[@]}")
  EM_SET=(--set max_entries=18 "${TINY[@]}")
  J_SET=(--set max_entries=18 "${TINY[@]}")
  CAP_PRE=1; CAP_EM=2; CAP_J=1
else
  DEV=cuda; NPROC=16; FOLDS=5; PROBE_EPOCHS=2
  PRE_SET=(); EM_SET=(); J_SET=()
  CAP_PRE=$("$PY" -c "from migbar_train.train import load_config as l; print(l('train/configs/pretrain.toml')['epochs'])")
  CAP_EM=$("$PY" -c "from migbar_train.train import load_config as l; print(l('train/configs/finetune.toml')['epochs'])")
  CAP_J=$("$PY" -c "from migbar_train.train import load_config as l; print(l('train/configs/jarvis2d_finetune.toml')['epochs'])")
fi
PRE=${PRE:-$WORK/pretrain/checkpoint.pt}
PIDS=()

setup() {
  log "repo $REPO, data $DATA, work $WORK, out $OUTDIR, device $DEV, smoke $SMOKE"
  "$PY" -c "import sys, numpy, torch, sklearn; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'numpy', numpy.__version__, 'sklearn', sklearn.__version__)" | tee -a "$LOG"
  if [ "$DEV" = cuda ]; then
    "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(0))" | tee -a "$LOG"
  fi
  if [ -z "${MIGBAR_LIBRARY:-}" ] || [ ! -f "${MIGBAR_LIBRARY}" ]; then
    # only the k-nearest-neighbour list is needed: core + structure + neighbours, no
    # spglib / cJSON / BLAS; the same C code as libmigbar, so the same graphs
    mkdir -p "$WORK/lib"
    ${CC:-cc} -std=gnu11 -O2 -shared -fPIC -fvisibility=hidden -DMB_BUILDING_LIBRARY \
      -Iinclude -Ilib lib/core/*.c lib/structure/structure.c lib/structure/neighbors.c \
      lib/structure/geometry.c -o "$WORK/lib/libmigbar-knn.so" -lm -lpthread -Wl,--no-undefined
    export MIGBAR_LIBRARY="$WORK/lib/libmigbar-knn.so"
  fi
  "$PY" -c "from migbar_train import graph; graph._migbar = False; graph.knn_pairs([[3,0,0],[0,3,0],[0,0,3]], [[0,0,0]], ['H'], False, 2)"
  log "libmigbar: $MIGBAR_LIBRARY"
}

pack() {  # what comes back: small files of every run, the ensemble split at 15 MiB
  (cd "$WORK" && find runs rf models -type f ! -name '*.pt' ! -name '*.npz' 2>/dev/null \
     | sort | tar czf "$OUTDIR/results.tar.gz" -T -) || true
  if [ -d "$WORK/models" ]; then
    rm -f "$OUTDIR"/models.tar.part-*
    tar cf - -C "$WORK" models | split -b 15M - "$OUTDIR/models.tar.part-"
  fi
}

probe_epochs() {  # probe dirs..., budget, cap -> epochs
  local budget=$1 cap=$2; shift 2
  ens epochs --budget "$budget" --cap "$cap" "$@"
}

stage_pretrain() {
  log "pretrain: graph caches"
  ens cache train/configs/pretrain.toml --processes "$NPROC" "${COMMON[@]}" "${PRE_SET[@]}" | tee -a "$LOG"
  local t wall; t=$(date +%s)
  log "pretrain: probe ($PROBE_EPOCHS epochs)"
  rm -rf "$WORK/probe-pretrain"
  "$PY" -m migbar_train.train train/configs/pretrain.toml --device "$DEV" --run-dir "$WORK/probe-pretrain" \
    "${COMMON[@]}" --set num_threads=null "${PRE_SET[@]}" --set epochs=$PROBE_EPOCHS >> "$LOG" 2>&1
  wall=$(( $(date +%s) - t ))
  local ep
  ep=$("$PY" - "$WORK/probe-pretrain" "$wall" "$(( $(left) - 40 ))" "$CAP_PRE" <<'EOF'
import json, sys
from migbar_train.ensemble import choose_epochs
d, wall, budget, cap = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
ev = [json.loads(l) for l in open(d + "/train.log")]
ep = [e["seconds"] for e in ev if e.get("event") == "epoch"]
probe = {"members": [{"epochs": len(ep), "epoch_seconds": ep}], "processes": 1,
         "wall_seconds": wall}
print(choose_epochs([probe], budget, cap))
EOF
)
  log "pretrain: $ep epochs (cap $CAP_PRE, $(left) s left)"
  rm -rf "$WORK/pretrain"
  "$PY" -m migbar_train.train train/configs/pretrain.toml --device "$DEV" --run-dir "$WORK/pretrain" \
    "${COMMON[@]}" --set num_threads=null "${PRE_SET[@]}" --set epochs="$ep" >> "$LOG" 2>&1
  mkdir -p "$WORK/runs"; rm -rf "$WORK/runs/pretrain"; cp -r "$WORK/pretrain" "$WORK/runs/pretrain"
  cp "$WORK/pretrain/checkpoint.pt" "$OUTDIR/pretrain-checkpoint.pt"
  tail -n 1 "$WORK/pretrain/train.log" >> "$LOG"
  log "pretrain: done -> $OUTDIR/pretrain-checkpoint.pt"
}

folds_bg() {  # name config seeds epochs run_dir extra-set-array-name
  local name=$1 cfg=$2 seeds=$3 epochs=$4 dir=$5 setname="$6[@]"
  local jobs=$(( FOLDS * seeds )); local procs=$jobs
  [ "$SMOKE" = 1 ] && procs=$NPROC
  rm -rf "$dir"
  ens folds "$cfg" --folds "$FOLDS" --seeds "$seeds" --fold-seed 123 --processes "$procs" \
    --device "$DEV" --run-dir "$dir" "${COMMON[@]}" "${!setname}" --set epochs="$epochs" \
    >> "$WORK/$name.out" 2>&1 &
  PIDS+=($!)
}

wait_all() {  # wait for the background fold runs; stop (with their log tails) if one failed
  local rc=0 p
  for p in "${PIDS[@]}"; do wait "$p" || rc=1; done
  PIDS=()
  if [ $rc != 0 ]; then
    log "a fold run failed:"
    tail -n 25 "$WORK"/*.out >> "$LOG" 2>&1 || true
    pack
    exit 1
  fi
}

stage_folds() {
  [ -f "$PRE" ] || { log "no pre-trained checkpoint $PRE (--pretrained)"; exit 2; }
  PRE=$(cd "$(dirname "$PRE")" && pwd)/$(basename "$PRE")
  # shellcheck disable=SC2034  # used through folds_bg's indirect expansion
  EM_FT=("${EM_SET[@]}" --set "init_checkpoint=$PRE")
  # shellcheck disable=SC2034
  J_FT=("${J_SET[@]}" --set "init_checkpoint=$PRE")
  log "folds: graph caches (pre-trained model $PRE)"
  ens cache train/configs/finetune.toml --processes "$NPROC" "${COMMON[@]}" "${EM_SET[@]}" | tee -a "$LOG"
  ens cache train/configs/jarvis2d_finetune.toml --processes "$NPROC" "${COMMON[@]}" "${J_SET[@]}" | tee -a "$LOG"
  mkdir -p "$WORK/runs"; rm -f "$WORK"/*.out
  # wave 1: fine-tuned em folds x seeds; 55 % of what is left after the reserve
  local reserve=60 t w1 e1 w2 e2 e2j
  w1=$(( ( $(left) - reserve ) * 55 / 100 )); t=$(date +%s)
  log "wave 1: probe ($FOLDS folds x $SEEDS seeds, budget $w1 s)"
  folds_bg em-ft-probe train/configs/finetune.toml "$SEEDS" "$PROBE_EPOCHS" "$WORK/probe/em-finetune" EM_FT
  wait_all
  e1=$(probe_epochs $(( w1 - ( $(date +%s) - t ) )) "$CAP_EM" "$WORK/probe/em-finetune")
  log "wave 1: $e1 epochs (cap $CAP_EM)"
  folds_bg em-ft train/configs/finetune.toml "$SEEDS" "$e1" "$WORK/runs/em-finetune" EM_FT
  wait_all
  tail -n 1 "$WORK/em-ft.out" | tee -a "$LOG"
  # wave 2: em from scratch (epochs <= wave 1's), jarvis2d fine-tuned and from scratch
  w2=$(( $(left) - reserve )); t=$(date +%s)
  log "wave 2: probe (budget $w2 s)"
  folds_bg em-sc-probe train/configs/em_scratch.toml 1 "$PROBE_EPOCHS" "$WORK/probe/em-scratch" EM_SET
  folds_bg j-ft-probe train/configs/jarvis2d_finetune.toml 1 "$PROBE_EPOCHS" "$WORK/probe/jarvis2d-finetune" J_FT
  folds_bg j-sc-probe train/configs/jarvis2d_scratch.toml 1 "$PROBE_EPOCHS" "$WORK/probe/jarvis2d-scratch" J_SET
  wait_all
  local rest=$(( w2 - ( $(date +%s) - t ) ))
  # each group's epochs from its own probe (they ran side by side, as the real runs will)
  e2=$(probe_epochs "$rest" "$e1" "$WORK/probe/em-scratch")
  e2j=$(probe_epochs "$rest" "$CAP_J" "$WORK/probe/jarvis2d-finetune" "$WORK/probe/jarvis2d-scratch")
  log "wave 2: em scratch $e2 epochs, jarvis2d $e2j epochs"
  folds_bg em-sc train/configs/em_scratch.toml 1 "$e2" "$WORK/runs/em-scratch" EM_SET
  folds_bg j-ft train/configs/jarvis2d_finetune.toml 1 "$e2j" "$WORK/runs/jarvis2d-finetune" J_FT
  folds_bg j-sc train/configs/jarvis2d_scratch.toml 1 "$e2j" "$WORK/runs/jarvis2d-scratch" J_SET
  wait_all
  for n in em-sc j-ft j-sc; do tail -n 1 "$WORK/$n.out" | tee -a "$LOG"; done
  log "random forest on the same folds"
  local rfmax=()
  [ "$SMOKE" = 1 ] && rfmax=(--max-entries 18 --trees 20 --jobs 2)
  "$PY" -m migbar_train.baseline_rf --data "$DATA/em/train.json" --folds "$FOLDS" --seed 123 \
    --out "$WORK/rf" "${rfmax[@]}" | tee -a "$LOG"
  log "ensemble"
  rm -rf "$WORK/models"
  ens build "$WORK/runs/em-finetune" --out "$WORK/models/em" --members first-seed \
    --data-dir "$DATA" --baseline "em from scratch=$WORK/runs/em-scratch" \
    --baseline "random forest=$WORK/rf" | tee -a "$LOG"
  {
    ens report --title "E_m, $FOLDS-fold CV stratified by class (fold seed 123)" \
      "fine-tuned (mean of $SEEDS seeds)=$WORK/runs/em-finetune" \
      "from scratch=$WORK/runs/em-scratch" "random forest=$WORK/rf"
    echo
    ens report --title "jarvis2d transfer, $FOLDS-fold CV (standardized band gap)" \
      "fine-tuned from pre-training=$WORK/runs/jarvis2d-finetune" \
      "from scratch=$WORK/runs/jarvis2d-scratch"
    echo; echo "Epochs: fine-tuned $e1, em scratch $e2, jarvis2d $e2j; device $DEV."
  } > "$OUTDIR/report.md"
  cat "$OUTDIR/report.md" >> "$LOG"
  log "folds: done"
}

setup
for s in "${STAGES[@]}"; do
  case "$s" in
    pretrain) stage_pretrain ;;
    folds) stage_folds ;;
    all) stage_pretrain; pack; stage_folds ;;
  esac
  pack
done
log "finished in $(( $(date +%s) - T0 )) s"
