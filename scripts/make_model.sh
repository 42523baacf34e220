#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# make model: the default models (configs/models/{payload,trace,actor}.mwm)
# from meshwatch-gen's DVD-rental traffic, and their evaluation on a test
# capture whose seed training never saw. inference/MODEL_CARD.md quotes the
# numbers this prints (WORK/eval.txt, WORK/eval.json, WORK/plots/*.png).
#
#   make_model.sh BUILD OUT WORK
#
# Seeds: 101 and 104 to 107 train, 102 and 103 validation (thresholds, and
# which of MW_SEEDS training seeds ships), 201 test. Every capture
# goes through the appliance (pre-filter on, redaction off) to become the
# event log the tools read, exactly as on a live system.
set -eu
BUILD=$1 OUT=$2 WORK=$3
GEN=$BUILD/perf/gen/meshwatch-gen MW=$BUILD/app/meshwatch
TRAIN=$BUILD/inference/train/meshwatch-train EVAL=$BUILD/inference/train/meshwatch-eval
APP=configs/apps/dvdrental.conf RULES=configs/signatures
mkdir -p "$WORK" "$OUT"
# Five training captures, not one five times as long (as for validation
# below): a capture holds 115 to 150 attacking actors of each behavioral
# class, and the models were short of them. Validation behavioral macro
# F1 per actor, training seeds 1 2 3 (2026-12-07): one capture 0.929
# 0.936 0.934, two 0.940 0.942 0.939, three 0.949 0.944 0.952, five 0.948
# 0.952 0.952. The trainer's --events/--labels pairs collect in "$@".
set --
n=0 captures=
for cseed in 101 104 105 106 107; do
	n=$((n + 1))
	"$GEN" --app $APP --seed $cseed --requests 300000 --attack all=0.02 \
		--out "$WORK/train$n" --quiet
	captures="$captures train$n"
	set -- "$@" --events "$WORK/train$n.events.jsonl" --labels "$WORK/train$n"
done
"$GEN" --app $APP --seed 102 --requests 120000 --attack all=0.01 --out "$WORK/val" --quiet
# A second validation capture, not one twice as long (longer histories
# would shift the actor features): with one, the actor thresholds held
# 0.5% of its 2 552 benign actors and alerted on 0.66-0.77% of another
# seed's; with both, 0.54-0.58%.
"$GEN" --app $APP --seed 103 --requests 120000 --attack all=0.01 --out "$WORK/val2" --quiet
"$GEN" --app $APP --seed 201 --requests 120000 --attack all=0.01 --out "$WORK/test" --quiet
for s in $captures val val2 test; do
	echo "appliance: $s capture -> event log"
	sh scripts/events.sh "$MW" "$WORK/$s" $RULES "$WORK/cache"
done
# One model set per training seed (MW_SEEDS, 1 2 3 by default); the one the
# validation seed likes best ships (the test seed stays unseen). Even with
# weight averaging, two event logs that differ in a few hundred calls gave
# seed 1 0.928 and 0.913 on validation (mass assignment's threshold landed
# on the other side of its attackers): three draws cost about twelve
# minutes each.
best=-1
for seed in ${MW_SEEDS:-1 2 3}; do
	"$TRAIN" "$@" \
		--val-events "$WORK/val.events.jsonl" --val-labels "$WORK/val" \
		--val-events "$WORK/val2.events.jsonl" --val-labels "$WORK/val2" \
		--out "$WORK/seed$seed" --seed $seed --epochs 10 --seq-epochs 16 \
		${MW_TRAIN_ARGS:-}
	"$EVAL" --events "$WORK/val.events.jsonl" --labels "$WORK/val" \
		--events "$WORK/val2.events.jsonl" --labels "$WORK/val2" --models "$WORK/seed$seed" \
		--json "$WORK/seed$seed/val.json" > "$WORK/seed$seed/val.txt"
	f1=$(jq .actor.behavioral_macro_f1 "$WORK/seed$seed/val.json")
	echo "seed $seed: validation behavioral macro F1 per actor $f1"
	if awk -v a="$f1" -v b="$best" 'BEGIN { exit !(a > b) }'; then
		best=$f1 pick=$seed
	fi
done
echo "shipping seed $pick (validation $best)"
cp "$WORK/seed$pick"/*.mwm "$OUT/"
mkdir -p "$WORK/plots"
"$EVAL" --events "$WORK/test.events.jsonl" --labels "$WORK/test" --models "$OUT" \
	--json "$WORK/eval.json" --plot "$WORK/plots" | tee "$WORK/eval.txt"
ls -l "$OUT"
