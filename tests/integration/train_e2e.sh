#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The whole path of issue 6 on small captures: generate (train, validation
# and test seeds), run the appliance to write event logs, train all three
# models, evaluate them, load them into meshwatch and see alerts that name
# real calls. Asserts:
#   - training drives the loss down (last epoch well under the first) and
#     the models beat chance by a wide margin on the test seed;
#   - every model file says how it was made; meshwatch --check-model takes
#     them; thresholds were chosen on the validation set;
#   - the appliance with the trained models raises alerts, and every
#     explanation element is a call of its event log;
#   - a warm start with a small labeled fraction runs (transfer);
#   - bad input (not JSON, no labels, a corrupt model to warm-start from)
#     gives a clear error and a non-zero exit.
# usage: train_e2e.sh MESHWATCH GEN TRAIN EVAL APP RULESDIR OUTDIR
set -eu
MW=$1 GEN=$2 TRAIN=$3 EVAL=$4 APP=$5 RULES=$6 DIR=$7/train-e2e
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$DIR"
mkdir -p "$DIR"
"$GEN" --app "$APP" --seed 61 --requests 30000 --attack all=0.02 --out "$DIR/train" --quiet
"$GEN" --app "$APP" --seed 62 --requests 10000 --attack all=0.02 --out "$DIR/val" --quiet
"$GEN" --app "$APP" --seed 63 --requests 10000 --attack all=0.02 --out "$DIR/test" --quiet
for s in train val test; do sh "$SRC/scripts/events.sh" "$MW" "$DIR/$s" "$RULES" "$DIR/cache"; done

small="--payload-shape 64,8,32,3 --hidden 16 --epochs 4 --seq-epochs 4 --seed 5"
"$TRAIN" --events "$DIR/train.events.jsonl" --labels "$DIR/train" \
	--val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" --out "$DIR/m" $small \
	2> "$DIR/train.log" || { tail "$DIR/train.log"; exit 1; }
cat "$DIR/train.log"
"$EVAL" --events "$DIR/test.events.jsonl" --labels "$DIR/test" --models "$DIR/m" \
	--json "$DIR/eval.json" --errors "$DIR/errors.jsonl" --features "$DIR/features.jsonl" |
	tee "$DIR/eval.txt"

fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
# loss: first and last epoch of each model
for m in payload trace actor; do
	first=$(grep "^$m: epoch 1/" "$DIR/train.log" | awk '{print $5}')
	last=$(grep "^$m: epoch 4/" "$DIR/train.log" | awk '{print $5}')
	if awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < 0.8 * f) }'; then
		ok "$m loss $first -> $last"
	else
		bad "$m loss $first -> $last: did not go down"
	fi
done
# far better than chance (a coin has ROC AUC 0.5 and recall = FPR)
j() { jq -r "$1" "$DIR/eval.json"; }
check() {	# WHAT VALUE OP LIMIT
	if awk -v v="$2" -v l="$4" "BEGIN { exit !(v $3 l) }"; then ok "$1 $2 $3 $4"; else bad "$1 $2, want $3 $4"; fi
}
# The tiny payload model's threshold holds about 10 of the validation seed's
# benign calls above it (0.1%), so its recall swings with the draw (0.848 on
# one realization of the generator, at or above 0.85 on the one before,
# 0.794 on the 2026-12-07 traffic mix); its ranking does not. At an FPR of
# at most 0.5%, chance's recall is 0.005.
check "payload model recall" "$(j .request.payload_model.recall)" ">=" 0.75
check "payload model ROC AUC" "$(j .request.payload_model.roc_auc)" ">=" 0.99
check "payload model FPR" "$(j .request.payload_model.fpr)" "<=" 0.005
check "trace model ROC AUC" "$(j .trace.attack_vs_benign.roc_auc)" ">=" 0.9
check "actor model ROC AUC" "$(j .actor.attack_vs_benign.roc_auc)" ">=" 0.75
check "trace explanations with a malicious top call" "$(j .trace.explained)" ">=" 0.9

# what the model saw of each wrong verdict: one line per element of each
# sequence --errors lists, its features by schema name
for lv in trace actor; do
	want=$(jq -s "[.[] | select(.level == \"$lv\") | .elements] | add // 0" "$DIR/errors.jsonl")
	got=$(jq -c "select(.level == \"$lv\")" "$DIR/features.jsonl" | wc -l)
	[ "$want" -gt 0 ] && [ "$got" -eq "$want" ] && ok "$lv features: $got elements of wrong verdicts" ||
		bad "$lv features: $got lines for $want elements of wrong verdicts"
done
n=$(jq -c 'select(.level == "actor" and .features.calls > 0 and (.p.benign | type) == "number")' \
	"$DIR/features.jsonl" | wc -l)
[ "$n" -gt 0 ] && [ "$n" -eq "$(jq -c 'select(.level == "actor")' "$DIR/features.jsonl" | wc -l)" ] &&
	ok "every actor element names its features (calls) and scores" || bad "actor feature lines malformed"

# the model files: how they were made, accepted by the appliance
for m in payload trace actor; do
	"$MW" --check-model "$DIR/m/$m.mwm" > "$DIR/$m.check" 2>&1 || bad "--check-model $m"
	grep -q '"made_by":"meshwatch-train"' "$DIR/$m.check" && grep -q '"thresholds_from"' \
		"$DIR/$m.check" && ok "$m.mwm records how it was made" ||
		{ cat "$DIR/$m.check"; bad "$m.mwm lacks its training metadata"; }
done

# into the appliance: alerts whose explanations name real calls
sh "$SRC/scripts/events.sh" "$MW" "$DIR/test" "$RULES" "$DIR/cache" "$DIR/m"
A="$DIR/test.alerts.jsonl" E="$DIR/test.events.jsonl"
n=$(jq -c 'select(.event_type == "alert")' "$A" | wc -l)
[ "$n" -gt 20 ] && ok "$n alerts from the trained models" || bad "only $n alerts"
jq -r '[.ts, .method, .template[:31], .status] | @tsv' "$E" | sort -u > "$DIR/calls"
jq -r 'select(.event_type == "alert") | .meshwatch.explanation[] |
	[.ts, .method, .template, .status] | @tsv' "$A" | sort -u > "$DIR/named"
k=$(comm -23 "$DIR/named" "$DIR/calls" | wc -l)
[ "$k" -eq 0 ] && ok "every explanation element is a call" || bad "$k explanation elements name no call"

# transfer: warm start, 10% of the labels, one level
"$TRAIN" --events "$DIR/train.events.jsonl" --labels "$DIR/train" \
	--val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" --out "$DIR/ft" $small \
	--init "$DIR/m" --label-fraction 0.1 --pretrain-epochs 1 --only trace,actor \
	2> "$DIR/ft.log" && grep -q "warm start from" "$DIR/ft.log" &&
	grep -q '"warm_start"' "$DIR/ft/trace.mwm" && ok "warm start and fine-tune" ||
	{ tail "$DIR/ft.log"; bad "warm start"; }
# a weight-space blend of the warm start and the fine-tuned model, which
# the model file records
"$TRAIN" --events "$DIR/train.events.jsonl" --labels "$DIR/train" \
	--val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" --out "$DIR/blend" $small \
	--init "$DIR/m" --label-fraction 0.1 --only actor --init-weight 0.5 2> "$DIR/blend.log" &&
	grep -q '"init_weight":0.5' "$DIR/blend/actor.mwm" && ok "fine-tune blended with its warm start" ||
	{ tail "$DIR/blend.log"; bad "blend"; }

# several captures as one training set: calls, traces and actors add up
# (the same principal names in two captures are two actors)
"$TRAIN" --events "$DIR/train.events.jsonl" --labels "$DIR/train" \
	--events "$DIR/val.events.jsonl" --labels "$DIR/val" \
	--val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" --out "$DIR/two" $small \
	--init "$DIR/m" --only actor --seq-epochs 1 2> "$DIR/two.log" || { tail "$DIR/two.log"; bad "two captures"; }
count() {	# FIELD LOG: the first load line's count of FIELD
	sed -n "s/.* \([0-9]*\) $1.*/\1/p" "$2" | head -1
}
for f in calls traces actors; do
	a=$(count $f "$DIR/train.log") b=$(grep -m1 "val.events.jsonl: " "$DIR/train.log" |
		sed -n "s/.* \([0-9]*\) $f.*/\1/p") t=$(count $f "$DIR/two.log")
	[ -n "$a" ] && [ -n "$b" ] && [ "$t" = $((a + b)) ] && ok "two captures: $t $f ($a + $b)" ||
		bad "two captures: '$t' $f, expected $a + $b"
done

# bad input
expect_error() {	# WHAT PATTERN ARGS...
	what=$1 pat=$2
	shift 2
	if "$TRAIN" "$@" > "$DIR/err.out" 2>&1; then
		bad "$what: exit 0"
	elif grep -q "$pat" "$DIR/err.out"; then
		ok "$what: $(tail -1 "$DIR/err.out")"
	else
		cat "$DIR/err.out"; bad "$what: no clear message"
	fi
}
printf '{"v":3,"ts":1}\nnot json at all\n' > "$DIR/bad.jsonl"
expect_error "event log with a broken line" "bad.jsonl:2: not a JSON object" --events "$DIR/bad.jsonl" \
	--labels "$DIR/train" --val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" --out "$DIR/x"
expect_error "missing labels" "nolabels.requests.jsonl: No such file" --events "$DIR/train.events.jsonl" \
	--labels "$DIR/nolabels" --val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" --out "$DIR/x"
mkdir -p "$DIR/cut"
head -c 3000 "$DIR/m/trace.mwm" > "$DIR/cut/trace.mwm"
cp "$DIR/m/payload.mwm" "$DIR/cut/"
expect_error "truncated model to warm-start from" "trace.mwm" --events "$DIR/train.events.jsonl" \
	--labels "$DIR/train" --val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" \
	--out "$DIR/x" --init "$DIR/cut" --only trace $small
expect_error "an event log without its labels" "usage" --events "$DIR/train.events.jsonl" \
	--labels "$DIR/train" --events "$DIR/val.events.jsonl" --val-events "$DIR/val.events.jsonl" \
	--val-labels "$DIR/val" --out "$DIR/x"
expect_error "a blend without a warm start" "usage" --events "$DIR/train.events.jsonl" \
	--labels "$DIR/train" --val-events "$DIR/val.events.jsonl" --val-labels "$DIR/val" \
	--out "$DIR/x" --init-weight 0.5
expect_error "no arguments" "usage"
exit $fail
