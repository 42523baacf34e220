#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# meshwatch-gen throughput on one core: requests per minute, capture MB/s.
# Three runs, median reported; results appended to perf/results/gen.txt.
# usage: gen_bench.sh GEN [REQUESTS]
set -eu
GEN=$1
N=${2:-300000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$ROOT/perf/results"
for app in dvdrental ridehail; do
	rates=""
	for i in 1 2 3; do
		# One core: the generator is single-threaded; pin it so the
		# number is per core, not per machine.
		taskset -c 0 "$GEN" --app "$ROOT/configs/apps/$app.conf" --seed "$i" --requests "$N" \
			--attack all=0.002 --out "$TMP/b" --quiet
		r=$(jq -r '"\(.requests / .wall_seconds) \(.net.bytes / .wall_seconds / 1e6) \(.net.packets / .wall_seconds)"' "$TMP/b.summary.json")
		rates="$rates$r
"
	done
	med=$(printf '%s' "$rates" | sort -n | sed -n 2p)
	line=$(echo "$med" | awk -v app="$app" -v n="$N" '{printf "%s: %d requests/run, median of 3: %.0f requests/s = %.2f M requests/min, %.0f MB/s, %.0f packets/s\n", app, n, $1, $1 * 60 / 1e6, $2, $3}')
	echo "$line"
	echo "$(date -u +%Y-%m-%dT%H:%MZ) $(uname -n) $line" >> "$ROOT/perf/results/gen.txt"
done
# Streaming: peak memory does not grow with the capture. Ten times the
# requests must not take ten times the memory.
for n in $((N / 10)) "$N"; do
	kb=$(/usr/bin/time -f "%M" taskset -c 0 "$GEN" --app "$ROOT/configs/apps/dvdrental.conf" \
		--requests "$n" --out "$TMP/m" --quiet 2>&1 | tail -1)
	mb=$(jq -r '.net.bytes / 1e6 | floor' "$TMP/m.summary.json")
	line="memory: $n requests, $mb MB capture, peak RSS $((kb / 1024)) MB"
	echo "$line"
	echo "$(date -u +%Y-%m-%dT%H:%MZ) $(uname -n) $line" >> "$ROOT/perf/results/gen.txt"
done
