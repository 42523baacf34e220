#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Model files: test-model writes a small model and damaged copies and checks
# the loader; then meshwatch --check-model describes the good one and refuses
# each damaged one with a clear message and a non-zero exit.
# usage: model_errors.sh TEST_MODEL MESHWATCH DIR
set -u
T=$1 MW=$2 DIR=$3
mkdir -p "$DIR"
"$T" "$DIR" || exit 1
fail=0
"$MW" --check-model "$DIR/good.mwm" || { echo "FAIL good model refused"; fail=1; }
for f in truncated bitflip not-a-model version out-of-bounds nan threshold tiny missing; do
	out=$("$MW" --check-model "$DIR/$f.mwm" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] || ! printf '%s' "$out" | grep -q "$f.mwm: "; then
		echo "FAIL $f: exit $rc: $out"; fail=1
	else
		echo "ok   $f: $out"
	fi
done
exit $fail
