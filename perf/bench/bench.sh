#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The benchmark suite (make bench): in one run, on one loop-clean
# meshwatch-gen capture (dvdrental, ~1% attack requests), the framework's
# limit (testpmd io forwarding), the full pipeline (pre-filter and the
# shipped models on) with 1 rx lcore and, given 4 CPUs, 2; cycles per
# stage from a -Dstage_cycles build, alternated A B A B A B with the plain
# one; Hyperscan's and oneDNN's own limits; event-to-verdict latency at
# 25/50/90% of the measured maximum; memory per flow and per sequence key
# at 100k and 1M; plots. Tables go to OUTDIR/summary.md (and stdout), raw
# stats and logs beside them.
# usage: bench.sh BUILD_DIR STAGES_BUILD_DIR [OUTDIR [SECONDS]]
set -eu
B=$1 BS=$2 DIR=${3:-perf/results} SECS=${4:-6}
MW=$B/app/meshwatch GEN=$B/perf/gen/meshwatch-gen
mkdir -p "$DIR/pf-cache"
DIR=$(cd "$DIR" && pwd)
OUT="$DIR/summary.md"
CPUS=$(nproc)
T0=$(date +%s)

machine() {
	printf 'machine: %s; %s CPUs (%s cores per socket, %s sockets); %s GiB; flags: %s; %s, %s\n' \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$CPUS" \
		"$(lscpu | sed -n 's/^Core(s) per socket: *//p')" "$(lscpu | sed -n 's/^Socket(s): *//p')" \
		"$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" \
		"$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'sse4_2|avx2|avx512f|avx512bw|avx512_vnni|avx512_bf16|amx_tile|amx_bf16|amx_int8' | tr '\n' ' ' | sed 's/ $//')" \
		"Linux $(uname -r)" "$(date -u +%Y-%m-%dT%H:%MZ)"
}
MACHINE=$(machine)
table() {	# TITLE: a table follows, with the machine it ran on
	printf '\n## %s\n\n%s\n\n' "$1" "$MACHINE" | tee -a "$OUT"
}
row() { printf '%s\n' "$*" | tee -a "$OUT"; }
: > "$OUT"
row "# meshwatch benchmark, $(git describe --always --dirty 2>/dev/null || echo unknown)"

# ---- the capture: the standard mix ----
# Made afresh, dated now: net_pcap's infinite_rx gives no capture times, so
# the appliance reads the wall clock, and the capture's tokens (15 minutes)
# must still be valid then, or the trace model sees every call carry an
# expired token (broken authentication: an alert on 6 traces in 10).
CAP="$DIR/mix"
"$GEN" --app configs/apps/dvdrental.conf --seed 10 --requests 20000 \
	--loop-clean --attack all=0.0004 --start now --out "$CAP" --quiet
PKTS=$(jq .net.packets "$CAP.summary.json")
CALLS=$(jq .requests "$CAP.summary.json")
MAL=$(jq '[.malicious_requests_by_class[]] | add' "$CAP.summary.json")
row ""
row "capture: dvdrental, seed 10, $CALLS requests ($MAL attack requests, $(echo "$MAL $CALLS" |
	awk '{ printf "%.2f", 100 * $1 / $2 }')%), $PKTS packets, $(jq .net.bytes "$CAP.summary.json") bytes, loop-clean, dated at the start of the run"

# ---- 1. the framework's limit: testpmd io, net_pcap -> net_null ----
# stopped (SIGINT) once it printed SECS + 2 periods; start-up time varies
dpdk-testpmd --no-huge -m 2048 --no-pci --no-shconf -l 0,1 \
	--log-level lib.eal:error --vdev "net_pcap0,rx_pcap=$CAP.pcap,infinite_rx=1" \
	--vdev net_null0,no-rx=1 -- --forward-mode=io --stats-period 1 \
	--total-num-mbufs 262143 < /dev/null > "$DIR/testpmd.log" 2>&1 &
pid=$!
end=$(( $(date +%s) + 120 ))
while kill -0 $pid 2>/dev/null && [ "$(grep -c 'Rx-pps' "$DIR/testpmd.log")" -lt $((2 * SECS + 4)) ] &&
		[ "$(date +%s)" -lt $end ]; do
	sleep 0.2
done
kill -INT $pid 2>/dev/null || true
wait $pid || true
# the per-second lines of port 0 (the pcap side); the first two warm up
[ -n "$(grep -m1 Rx-pps "$DIR/testpmd.log")" ] || { echo "testpmd did not forward: $DIR/testpmd.log" >&2; exit 1; }
TP_PPS=$(awk '/NIC statistics for port 0/ { p = 1 } /NIC statistics for port 1/ { p = 0 }
	p && /Rx-pps:/ { n++; if (n > 2) print $2 }' "$DIR/testpmd.log" | sort -n |
	awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')
TP_BPS=$(awk '/NIC statistics for port 0/ { p = 1 } /NIC statistics for port 1/ { p = 0 }
	p && /Rx-bps:/ { n++; if (n > 2) print $4 }' "$DIR/testpmd.log" | sort -n |
	awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }')

# ---- a meshwatch run: NAME BINARY PPS RX_LCORES ----
# It runs until the stats file has SECS lines after a 2 s warm-up, then
# stops (SIGINT: every call in flight is flushed and counted).
MAP1="0@0,1@1,2@0"
[ "$CPUS" -ge 3 ] && MAP1="0@0,1@1,2@2"
run() {
	name=$1 bin=$2 pps=$3 nrx=$4
	conf="$DIR/run-$name.conf" stats="$DIR/run-$name.stats.jsonl"
	if [ "$nrx" = 2 ]; then
		ports="{ device = \"net_pcap_b0,rx_pcap=$CAP.pcap,infinite_rx=1\"; timestamps = false; replay_pps = $pps; },
	 { device = \"net_pcap_b1,rx_pcap=$CAP.pcap,infinite_rx=1\"; timestamps = false; replay_pps = $pps; }"
		lcores="main = 0; rx = [1, 2]; inference = [3]; map = \"0@0,1@1,2@2,3@3\";"
		mbufs=524287
	else
		ports="{ device = \"net_pcap_b,rx_pcap=$CAP.pcap,infinite_rx=1\"; timestamps = false; replay_pps = $pps; }"
		lcores="main = 0; rx = [1]; inference = [2]; map = \"$MAP1\";"
		mbufs=262143
	fi
	cat > "$conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "$((mbufs / 128 + 1024))", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( $ports );
lcores = { $lcores event_pool = 65535; };
mempool = { mbufs = $mbufs; };
flows = { capacity = 65536; };
prefilter = { rules = ["configs/signatures/*.rules"]; cache = "$DIR/pf-cache"; };
models = { payload = "configs/models/payload.mwm"; trace = "configs/models/trace.mwm";
           actor = "configs/models/actor.mwm"; };
output = { stats_interval = 1; stats = "$stats"; actor_key = "00112233445566778899aabbccddeeff"; };
CONF
	rm -f "$stats"
	"$bin" -c "$conf" > "$DIR/run-$name.log" 2>&1 &
	pid=$!
	end=$(( $(date +%s) + 120 ))	# a run that never gets going fails below
	while kill -0 $pid 2>/dev/null && [ "$(cat "$stats" 2>/dev/null | wc -l)" -lt $((SECS + 2)) ] &&
			[ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
	kill -INT $pid 2>/dev/null || true
	wait $pid || { echo "meshwatch run $name failed: $DIR/run-$name.log" >&2; exit 1; }
	[ "$(wc -l < "$stats")" -ge 4 ] || { echo "meshwatch run $name: too few stats lines" >&2; exit 1; }
}

. perf/bench/stats_lib.sh

# ---- 2 and 3: full pipeline, A (plain) B (stage counters) x 3 ----
for i in 1 2 3; do
	run "A$i" "$MW" 0 1
	run "B$i" "$BS/app/meshwatch" 0 1
done
for i in 1 2 3; do rates "$DIR/run-A$i.stats.jsonl"; echo; done > "$DIR/A.rates"
PPS=$(awk '{ print $1 }' "$DIR/A.rates" | median)
BPS=$(awk '{ print $2 }' "$DIR/A.rates" | median)
CPS=$(awk '{ print $3 }' "$DIR/A.rates" | median)
HZ=$(jq -s '.[-1].tsc_hz' "$DIR/run-A1.stats.jsonl")

table "Throughput: framework limit and full pipeline (pre-filter, payload, trace and actor models)"
row "| run | packets/s | Gbit/s | API calls/s | share of testpmd's packet rate |"
row "|---|---|---|---|---|"
row "| dpdk-testpmd io, net_pcap -> net_null (median of 1 s intervals) | $TP_PPS | $(echo "$TP_BPS" | awk '{ printf "%.2f", $1 / 1e9 }') | | 100% |"
row "| meshwatch, 1 rx lcore (median of 3 runs) | $PPS | $(echo "$BPS" | awk '{ printf "%.2f", $1 / 1e9 }') | $CPS | $(echo "$PPS $TP_PPS" | awk '{ printf "%.1f%%", $2 ? 100 * $1 / $2 : 0 }') |"
if [ "$CPUS" -ge 4 ]; then
	run R2 "$MW" 0 2
	set -- $(rates "$DIR/run-R2.stats.jsonl")
	row "| meshwatch, 2 rx lcores (each replays the capture) | $1 | $(echo "$2" | awk '{ printf "%.2f", $1 / 1e9 }') | $3 | $(echo "$1 $TP_PPS" | awk '{ printf "%.1f%%", $2 ? 100 * $1 / $2 : 0 }') |"
else
	row "| meshwatch, 2 rx lcores | not run: $CPUS CPUs, it needs 4 (main, 2 rx, inference) | | | |"
fi
row ""
row "Targets: 10 Gbit/s on one rx lcore; 25% of testpmd's packet rate."
row ""
row "| run | drops | events per pass: intervals min-max, whole run (capture: $CALLS calls) | passes |"
row "|---|---|---|---|"
for r in A1 A2 A3 B1 B2 B3 $( [ "$CPUS" -ge 4 ] && echo R2 ); do
	set -- $(passes "$DIR/run-$r.stats.jsonl")
	row "| $r | $(drops "$DIR/run-$r.stats.jsonl") | $1-$2, $3 | $4 |"
done

table "Cycles per stage (B runs: -Dstage_cycles build; medians of 3, alternated with A)"
for i in 1 2 3; do stages_rx "$DIR/run-B$i.stats.jsonl"; done > "$DIR/B.rx"
for i in 1 2 3; do stages_inf "$DIR/run-B$i.stats.jsonl"; done > "$DIR/B.inf"
for i in 1 2 3; do jq -s -r '.[-1].lcores[] | select(.role == "rx") | .busy_cycles / .rx_packets | floor' \
	"$DIR/run-A$i.stats.jsonl"; done > "$DIR/A.busy"
col() { awk -v k="$2" '{ print $k }' "$1" | median; }
STAGES="rx decode flow http prefilter handoff"
row "rx lcore, busy cycles per packet: plain build $(median < "$DIR/A.busy"), with the counters $(col "$DIR/B.rx" 1)"
row ""
row "| rx stage | cycles/packet | cycles/call | packets/s if it were alone |"
row "|---|---|---|---|"
k=2
for s in $STAGES; do
	c=$(col "$DIR/B.rx" $k) cc=$(col "$DIR/B.rx" $((k + 6)))
	row "| $s | $c | $cc | $(echo "$HZ $c" | awk '{ printf "%.0f", $2 ? $1 / $2 : 0 }') |"
	echo "$s $c" >> "$DIR/stages.dat.tmp"
	k=$((k + 1))
done
mv "$DIR/stages.dat.tmp" "$DIR/stages.dat"
row ""
row "| inference stage | cycles/call | cycles per unit |"
row "|---|---|---|"
k=1
for s in poll payload trace actor handoff; do
	unit=""
	case $s in
	payload) unit="$(col "$DIR/B.inf" 6) per window" ;;
	trace) unit="$(col "$DIR/B.inf" 7) per trace step" ;;
	actor) unit="$(col "$DIR/B.inf" 8) per actor step" ;;
	esac
	row "| $s | $(col "$DIR/B.inf" $k) | $unit |"
	k=$((k + 1))
done
row ""
row "rx: the loop (bursts: net_pcap copies each packet into an mbuf; frees), decode, flow table and TCP reassembly, HTTP parser and call fields, pre-filter (extract, normalize, Hyperscan), event hand-off. Inference: each model's features, store, oneDNN execution and alerts; cycles per call over every call."

# ---- 4. the libraries' own limits ----
table "Limits: Hyperscan and oneDNN on one core"
sh perf/bench/pf_bench.sh "$B" "$DIR" "$CAP" > "$DIR/pf.txt" 2>&1
row '```'
grep -vE '^machine' "$DIR/pf.txt" | tee -a "$OUT"
CPU=$((CPUS - 1))
PRECS=f32
grep -q avx512_bf16 /proc/cpuinfo && PRECS="f32 bf16"
for p in $PRECS; do
	for s in "1024 1024 1024" "64 128 96" "64 128 192"; do
		OMP_NUM_THREADS=1 taskset -c $CPU "$B/perf/bench/meshwatch-gemmbench" $s 2 $p
	done
	# the shipped shapes (configs/models; inference/MODEL_CARD.md)
	OMP_NUM_THREADS=1 taskset -c $CPU "$B/perf/bench/meshwatch-payloadbench" 64 2 128 16 64 3 $p
	OMP_NUM_THREADS=1 taskset -c $CPU "$B/perf/bench/meshwatch-grubench" 64 2 92 32 $p
	OMP_NUM_THREADS=1 taskset -c $CPU "$B/perf/bench/meshwatch-grubench" 64 2 128 32 $p
done 2>&1 | grep -v '^EAL\|^TELEMETRY' | tee -a "$OUT"
# the object table and endpoint baselines a call goes through before the trace model
taskset -c $CPU "$B/perf/bench/meshwatch-tablebench" 20000 64 5000000 | tee -a "$OUT"
row '```'

# ---- 5. latency at 25/50/90% of the maximum ----
table "Event-to-verdict latency (last packet of a call to its verdict), paced replay"
row "| load | packets/s | calls/s | p50 us | p99 us | p99.9 us | drops |"
row "|---|---|---|---|---|---|---|"
for f in 25 50 90; do
	run "L$f" "$MW" $((PPS * f / 100)) 1
	set -- $(rates "$DIR/run-L$f.stats.jsonl")
	row "| $f% | $1 | $3 | $(jq -s -r '.[-1] | "\(.latency_us.p50) | \(.latency_us.p99) | \(.latency_us.p999) | \(.drops_total)"' "$DIR/run-L$f.stats.jsonl") |"
	jq -s -r '.[-1].latency_us.histogram as $h | ($h | map(.[1]) | add) as $n |
		foreach $h[] as $b (0; . + $b[1]; "\($b[0]) \(. / $n)")' "$DIR/run-L$f.stats.jsonl" > "$DIR/latency-$f.dat"
done
row ""
row "Histogram buckets: 1 us below 1 ms, powers of two above. Each run's lcores' CPU waits: $(for f in 25 50 90; do jq -s -r '.[-1] | [.lcores[] | "\(.role) \(.cpu_wait_ms | floor) ms"] | join(", ")' "$DIR/run-L$f.stats.jsonl"; done | tr '\n' ';' | sed 's/;$//')."

# ---- 6. memory ----
table "Memory per tracked flow and per sequence key"
row '```'
for n in 100000 1000000; do
	"$B/perf/bench/meshwatch-membench" $n 32 2>/dev/null	# H of the shipped models
done | tee -a "$OUT"
row '```'
row "Target: 512 bytes per idle tracked flow (\"flows only\": the flow entry, its rte_hash slot and key)."

# ---- 7. plots ----
if command -v gnuplot > /dev/null; then
	{
		echo "testpmd-io $(echo "$TP_PPS" | awk '{ print $1 / 1e6 }')"
		echo "meshwatch $(echo "$PPS" | awk '{ print $1 / 1e6 }')"
		awk -v hz="$HZ" '$2 > 0 { print $1, hz / $2 / 1e6 }' "$DIR/stages.dat"
	} > "$DIR/throughput.dat"
	gnuplot <<PLOT
set terminal pngcairo size 900,500
set output "$DIR/throughput.png"
set title "Packets/s: testpmd, meshwatch (1 rx lcore), each rx stage alone"
set ylabel "Mpps"
set logscale y
set style fill solid 0.6
set boxwidth 0.6
set grid y
unset key
plot "$DIR/throughput.dat" using 0:2:xtic(1) with boxes
set output "$DIR/latency.png"
unset logscale y
set logscale x
set title "Event-to-verdict latency CDF"
set xlabel "us"
set ylabel "share of calls"
set key bottom right
plot "$DIR/latency-25.dat" using 1:2 with steps title "25%", \
     "$DIR/latency-50.dat" using 1:2 with steps title "50%", \
     "$DIR/latency-90.dat" using 1:2 with steps title "90%"
PLOT
	row ""
	row "plots: $DIR/throughput.png, $DIR/latency.png"
fi
row ""
row "bench time: $(( $(date +%s) - T0 )) s"
