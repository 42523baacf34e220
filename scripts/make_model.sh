#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# make model: the default models (configs/models/{payload,trace,actor}.mwm)
# from meshwatch-gen's DVD-rental traffic, and their evaluation on a test
# capture whose seed training never saw. inference/MODEL_CARD.md quotes the
# numbers this prints (WORK/eval.txt, WORK/eval.json, WORK/plots/*.png).
#
#   make_model.sh BUILD OUT WORK
#
# Seeds: 101 train, 102 validation (thresholds), 201 test. Every capture
# goes through the appliance (pre-filter on, redaction off) to become the
# event log the tools read, exactly as on a live system.
set -eu
BUILD=$1 OUT=$2 WORK=$3
GEN=$BUILD/perf/gen/meshwatch-gen MW=$BUILD/app/meshwatch
TRAIN=$BUILD/inference/train/meshwatch-train EVAL=$BUILD/inference/train/meshwatch-eval
APP=configs/apps/dvdrental.conf RULES=configs/signatures
mkdir -p "$WORK" "$OUT"
"$GEN" --app $APP --seed 101 --requests 300000 --attack all=0.02 --out "$WORK/train" --quiet
"$GEN" --app $APP --seed 102 --requests 60000 --attack all=0.01 --out "$WORK/val" --quiet
"$GEN" --app $APP --seed 201 --requests 60000 --attack all=0.01 --out "$WORK/test" --quiet
for s in train val test; do
	echo "appliance: $s capture -> event log"
	sh scripts/events.sh "$MW" "$WORK/$s" $RULES "$WORK/cache"
done
"$TRAIN" --events "$WORK/train.events.jsonl" --labels "$WORK/train" \
	--val-events "$WORK/val.events.jsonl" --val-labels "$WORK/val" --out "$OUT" --seed 1 \
	--epochs 10 --seq-epochs 16 \
	${MW_TRAIN_ARGS:-}
mkdir -p "$WORK/plots"
"$EVAL" --events "$WORK/test.events.jsonl" --labels "$WORK/test" --models "$OUT" \
	--json "$WORK/eval.json" --plot "$WORK/plots" | tee "$WORK/eval.txt"
ls -l "$OUT"
