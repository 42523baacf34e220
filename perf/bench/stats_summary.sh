#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# What a meshwatch run counted, summarized the way `make bench` does: for a
# run on real ports driven by pktgen-dpdk (perf/pktgen/README.md) with the
# benchmark's capture. STATS is the run's output.stats file (stats_interval
# = 1), SUMMARY the capture's meshwatch-gen summary (packets and calls per
# pass).
# usage: stats_summary.sh STATS SUMMARY
set -eu
[ $# -eq 2 ] || { echo "usage: stats_summary.sh STATS SUMMARY.json" >&2; exit 2; }
[ "$(wc -l < "$1")" -ge 4 ] || { echo "$1: fewer than 4 stats lines; run longer" >&2; exit 1; }
PKTS=$(jq .net.packets "$2")
. "$(dirname "$0")/stats_lib.sh"
set -- "$1" "$(jq .requests "$2")"
r=$(rates "$1")
echo "$r" | awk '{ printf "steady: %d packets/s, %.2f Gbit/s, %d API calls/s\n", $1, $2 / 1e9, $3 }'
echo "drops: $(drops "$1")"
passes "$1" | awk -v want="$2" '{ printf "events per pass: %d-%d per interval, %d over the run (capture: %d calls), %d passes\n", $1, $2, $3, want, $4 }'
jq -s -r '.[-1].latency_us | "event-to-verdict latency: p50 \(.p50) us, p99 \(.p99) us, p99.9 \(.p999) us"' "$1"
jq -s -r '.[-1].lcores[] | "lcore \(.lcore) (\(.role)): waited \(.cpu_wait_ms | floor) ms for its CPU"' "$1"
if jq -s -e '.[-1].lcores[0].stage_cycles' "$1" > /dev/null; then
	stages_rx "$1" | awk '{ printf "rx lcore: %d busy cycles/packet; per packet: rx %d decode %d flow %d http %d prefilter %d handoff %d; per call: rx %d decode %d flow %d http %d prefilter %d handoff %d\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }'
	stages_inf "$1" | awk '{ printf "inference lcore: cycles/call: poll %d payload %d trace %d actor %d handoff %d; %d per payload window, %d per trace step, %d per actor step\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
fi
