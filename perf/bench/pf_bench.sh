#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Pre-filter cost per core beside plain hs_scan (meshwatch-pfbench), on the
# fields of a dvdrental capture with ~1% attacks (event log written without
# redaction so the benchmark sees the raw fields).
# With CAPTURE (a meshwatch-gen output base, as bench.sh passes), its
# fields instead of a capture of its own.
# usage: pf_bench.sh BUILD_DIR OUTDIR [CAPTURE]
set -eu
B=$1 DIR=$2
mkdir -p "$DIR/pf-cache"
if [ $# -ge 3 ]; then
	cp "$3.pcap" "$DIR/pfbench.pcap"
	CAP="$DIR/pfbench"
else
	CAP="$DIR/pfbench"
	"$B/perf/gen/meshwatch-gen" --app configs/apps/dvdrental.conf --seed 31 --requests 30000 \
		--attack all=0.00063 --out "$CAP" --quiet
fi
cat > "$CAP.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "1024", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_pfb,rx_pcap=$CAP.pcap"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1"; backpressure = true; };
prefilter = { rules = ["configs/signatures/*.rules"]; cache = "$DIR/pf-cache"; };
output = { events = "$CAP.events.jsonl"; redact = false; stats_interval = 0;
           actor_key = "00112233445566778899aabbccddeeff"; };
CONF
rm -f "$CAP.events.jsonl"
"$B/app/meshwatch" -c "$CAP.conf" --idle-exit 1 > "$CAP.log" 2>&1
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), one core"
for mode in cache nocache; do
	"$B/perf/bench/meshwatch-pfbench" "$CAP.events.jsonl" configs/signatures "$DIR/pf-cache" 10 \
		$mode 2>&1 | grep -v "^EAL\|^TELEMETRY"
done
