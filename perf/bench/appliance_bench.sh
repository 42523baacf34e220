#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# meshwatch end to end on one rx lcore: a loop-clean meshwatch-gen capture
# replayed from memory by net_pcap (infinite_rx=1) for SECONDS, no event log
# (events go through both rings and back to the pool), then the final stats.
# With RULES_DIR the pre-filter runs too (its databases cached in OUTDIR).
# usage: appliance_bench.sh MESHWATCH GEN [SECONDS] [OUTDIR] [RULES_DIR]
set -eu
MW=$1 GEN=$2 SECS=${3:-10} DIR=${4:-perf/results} RULES=${5:-}
mkdir -p "$DIR"
CAP="$DIR/bench-dvdrental"
"$GEN" --app configs/apps/dvdrental.conf --seed 10 --requests 20000 \
	--loop-clean --attack all=0.00063 --start now --out "$CAP" --quiet	# dated now: see bench.sh
CPUS=$(nproc)
if [ "$CPUS" -ge 3 ]; then MAP="0@0,1@1,2@2"; else MAP="0@0,1@1,2@0"; fi
cat > "$DIR/bench.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "2048", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_bench,rx_pcap=$CAP.pcap,infinite_rx=1"; timestamps = false; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "$MAP"; event_pool = 65535; };
mempool = { mbufs = 262143; };
flows = { capacity = 65536; };
output = { stats_interval = 1; actor_key = "00112233445566778899aabbccddeeff"; };
CONF
if [ -n "$RULES" ]; then
	mkdir -p "$DIR/pf-cache"
	echo "prefilter = { rules = [\"$RULES/*.rules\"]; cache = \"$DIR/pf-cache\"; };" >> "$DIR/bench.conf"
	"$MW" -c "$DIR/bench.conf" --check-config > /dev/null	# compiles once, fills the cache
fi
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $CPUS CPUs, lcores $MAP"
echo "capture: $(jq -r '"\(.requests) requests, \(.net.packets) packets, \(.net.bytes) bytes"' "$CAP.summary.json")"
timeout -s INT "$SECS" "$MW" -c "$DIR/bench.conf" > "$DIR/bench.log" 2>&1 || true
grep '^\[' "$DIR/bench.log" | tail -3
awk '/^rx lcores:/,/^drops/' "$DIR/bench.log" | grep -E "rx_packets|rx_bytes|events |flows_|drops|event_" || true
grep -E "cycles/packet|^prefilter: [0-9]" "$DIR/bench.log"
