#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Event-to-verdict latency with every model on (payload, trace, actor; the
# hand-built test models at hidden size 64) and the pre-filter: first the
# maximum rate (the capture replayed from memory as fast as it goes), then
# the same capture paced (ports[].replay_pps) at 25%, 50% and 90% of it.
# Latency runs from the rx burst that completed a call to the end of the
# batch that scored it (histogram in the binary, 1 us buckets).
# usage: latency_bench.sh MESHWATCH GEN MAKE_MODEL [SECONDS] [OUTDIR] [RULES_DIR]
# MW_EAL_EXTRA: more EAL arguments as libconfig strings, e.g. '"-d", "PMD.so"'.
# MW_PRECISION: models.precision (f32, the default, or bf16).
set -eu
MW=$1 GEN=$2 MK=$3 SECS=${4:-8} DIR=${5:-perf/results} RULES=${6:-configs/signatures}
mkdir -p "$DIR/pf-cache"
CAP="$DIR/bench-dvdrental"
"$GEN" --app configs/apps/dvdrental.conf --seed 10 --requests 20000 \
	--loop-clean --attack all=0.00063 --start now --out "$CAP" --quiet	# dated now: see bench.sh
"$MK" --kind payload "$DIR/lat-payload.mwm"
"$MK" --kind trace --hidden 64 "$DIR/lat-trace.mwm"
"$MK" --kind actor --hidden 64 "$DIR/lat-actor.mwm"
CPUS=$(nproc)
# the inference lcore gets a CPU of its own; with two, the main lcore
# (which only drains rings here) shares the rx lcore's
if [ "$CPUS" -ge 3 ]; then MAP="0@0,1@1,2@2"; else MAP="0@1,1@1,2@0"; fi

run() {	# NAME PPS
	cat > "$DIR/lat-$1.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "2048", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"${MW_EAL_EXTRA:+, $MW_EAL_EXTRA}];
ports = ( { device = "net_pcap_lat,rx_pcap=$CAP.pcap,infinite_rx=1"; timestamps = false;
            replay_pps = $2; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "$MAP"; event_pool = 65535; };
mempool = { mbufs = 262143; };
flows = { capacity = 65536; };
prefilter = { rules = ["$RULES/*.rules"]; cache = "$DIR/pf-cache"; };
models = { payload = "$DIR/lat-payload.mwm"; trace = "$DIR/lat-trace.mwm";
           actor = "$DIR/lat-actor.mwm"; batch = 64; deadline_us = 50;
           precision = "${MW_PRECISION:-f32}"; };
output = { stats_interval = 1; stats = "$DIR/lat-$1.stats.jsonl";
           actor_key = "00112233445566778899aabbccddeeff"; };
CONF
	rm -f "$DIR/lat-$1.stats.jsonl"
	"$MW" -c "$DIR/lat-$1.conf" --check-config > /dev/null
	timeout -s INT "$SECS" "$MW" -c "$DIR/lat-$1.conf" > "$DIR/lat-$1.log" 2>&1 || true
	tail -1 "$DIR/lat-$1.stats.jsonl"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $CPUS CPUs, lcores $MAP"
max=$(run max 0)
up=$(echo "$max" | jq .uptime_s)
# the maximum is what the slower side sustained: rx, or inference (whose
# shortfall shows as events dropped at the ring)
pps=$(echo "$max" | jq "[.counters.rx_packets / $up * ([1, .counters.events_out / .counters.events] | min)] | .[0] | floor")
cps=$(echo "$max" | jq ".counters.events_out / $up | floor")
echo "maximum: $pps packets/s, $cps calls/s scored (all models on)"
# rx_wait / inf_wait: the share of the run each lcore's thread waited for
# its CPU while it could run (the kernel's run_delay): time it was
# preempted, which every call it held waited too
waits() {	# STATS_LINE UPTIME
	echo "$1" | jq -r "[.lcores[] | .cpu_wait_ms / $2 / 10 | . * 100 | floor / 100 | tostring + \"%\"] | join(\" \")"
}
printf '%-8s %12s %10s %8s %8s %8s %8s %8s %8s\n' load packets/s calls/s p50_us p99_us p999_us drops \
	rx_wait inf_wait
printf '%-8s %12s %10s %8s %8s %8s %8s %8s %8s\n' 100% "$pps" "$cps" $(echo "$max" |
	jq -r '"\(.latency_us.p50) \(.latency_us.p99) \(.latency_us.p999) \(.drops_total)"') \
	$(waits "$max" "$up")
for f in 25 50 90; do
	r=$(run "$f" $((pps * f / 100)))
	u=$(echo "$r" | jq .uptime_s)
	printf '%-8s %12s %10s %8s %8s %8s %8s %8s %8s\n' "$f%" $(echo "$r" | jq -r "\"\(.counters.rx_packets / $u | floor) \(.counters.events / $u | floor) \(.latency_us.p50) \(.latency_us.p99) \(.latency_us.p999) \(.drops_total)\"") \
		$(waits "$r" "$u")
done
grep -E "^(trace|actor) model:" "$DIR/lat-max.log"
