#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The inference models alone on one core, random weights: the payload CNN
# in fields/s and the sequence GRU in element steps/s, at batch 64, at the
# shapes of perf/RESULTS.md, in f32 and (where the CPU has AVX-512 BF16) bf16.
# usage: model_bench.sh BUILD_DIR [SECONDS] [OUTDIR]
set -eu
B=$1 SECS=${2:-3} DIR=${3:-perf/results}
mkdir -p "$DIR"
CPU=$(( $(nproc) - 1 ))
PRECS=f32
grep -q avx512_bf16 /proc/cpuinfo && PRECS="f32 bf16"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), one core (CPU $CPU)"
for shape in "256 32 64 5" "128 16 64 5" "96 16 32 3"; do
	for p in $PRECS; do
		OMP_NUM_THREADS=1 taskset -c $CPU "$B/perf/bench/meshwatch-payloadbench" 64 "$SECS" $shape $p
	done
done | tee "$DIR/model-payload.txt"
for shape in "64 64" "32 32"; do
	for p in $PRECS; do
		OMP_NUM_THREADS=1 taskset -c $CPU "$B/perf/bench/meshwatch-grubench" 64 "$SECS" $shape $p
	done
done | tee "$DIR/model-gru.txt"
