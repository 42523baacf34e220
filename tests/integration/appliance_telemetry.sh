#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Telemetry while a capture is replayed (net_pcap, infinite_rx): the
# Prometheus endpoint answers GET /metrics with well-formed text whose
# counters move between two scrapes, and only that; DPDK's dpdk-telemetry.py
# reads every /meshwatch/ command; a bad or busy prometheus address stops
# start-up with a message naming the key; SIGTERM closes the endpoint.
#
# usage: appliance_telemetry.sh MESHWATCH GEN CONFIGS OUTDIR
set -eu
MW=$1 GEN=$2 CONFIGS=$3 DIR=$4/telemetry
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"	# the EXIT trap below calls tidy_outputs
mkdir -p "$DIR"
OUT="$DIR/cap"
PREFIX="mwtel$$"
fail() { echo "FAIL: $*" >&2; [ -f "$DIR/run.log" ] && tail -15 "$DIR/run.log" >&2; exit 1; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
rm -f "$DIR/inv.json"
"$GEN" --app "$CONFIGS/apps/dvdrental.conf" --seed 28 --requests 3000 --attack all=0.02 \
	--out "$OUT" --quiet
conf() {	# conf FILE PROMETHEUS
	cat > "$1" <<CONF
eal = ["--no-huge", "--no-pci", "-m", "1024", "--file-prefix", "$PREFIX",
       "--log-level", "lib.eal:error", "--log-level", "user1:warning"];
ports = ( { name = "mirror0"; device = "net_pcap_tel,rx_pcap=$OUT.pcap,infinite_rx=1";
            replay_pps = 40000; } );
mempool = { mbufs = 65535; };
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@0"; event_pool = 16383; };
flows = { capacity = 32768; };
prefilter = { rules = ["$CONFIGS/signatures/*.rules"]; cache = "$DIR"; };
models = { payload = "$CONFIGS/models/payload.mwm"; trace = "$CONFIGS/models/trace.mwm";
           actor = "$CONFIGS/models/actor.mwm"; };
output = { alerts = "$DIR/alerts.jsonl"; stats_interval = 0;
           actor_key = "00112233445566778899aabbccddeeff"; };
telemetry = { prometheus = "$2"; };
inventory = { file = "$DIR/inv.json"; };
CONF
}

# ---- bad addresses: refused before anything starts ----
for bad in "localhost:9464" "127.0.0.1:99999" "127.0.0.1" "[::1:9464"; do
	conf "$DIR/bad.conf" "$bad"
	if "$MW" -c "$DIR/bad.conf" --check-config > "$DIR/bad.log" 2>&1; then
		fail "telemetry.prometheus = \"$bad\" was accepted"
	fi
	grep -qF "bad.conf:13: telemetry.prometheus: \"$bad\" is not a numeric ADDRESS:PORT" \
		"$DIR/bad.log" || { cat "$DIR/bad.log" >&2; fail "no clear error for \"$bad\""; }
done
echo "bad addresses: refused with the key named"

# ---- a port someone else holds: start-up stops ----
BUSY=$(free_port)
python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $BUSY)); s.listen(); time.sleep(120)" &
HOLDER=$!
MWPID=
cleanup() {
	rc=$?
	kill $HOLDER 2>/dev/null || true
	[ -z "$MWPID" ] || kill -9 $MWPID 2>/dev/null || true
	tidy_outputs $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sleep 0.5
conf "$DIR/busy.conf" "127.0.0.1:$BUSY"
if timeout 120 "$MW" -c "$DIR/busy.conf" > "$DIR/busy.log" 2>&1; then
	fail "started although 127.0.0.1:$BUSY is taken"
fi
grep -q "telemetry.prometheus: cannot listen on 127.0.0.1:$BUSY" "$DIR/busy.log" ||
	{ cat "$DIR/busy.log" >&2; fail "no clear error for a busy port"; }
grep -q "^rx lcore" "$DIR/busy.log" && fail "rx started although the endpoint could not listen"
kill $HOLDER
echo "busy port: refused, nothing started"

# ---- the running appliance ----
conf "$DIR/run.conf" "127.0.0.1:$PORT"
"$MW" -c "$DIR/run.conf" > "$DIR/run.log" 2>&1 &
MWPID=$!
URL="http://127.0.0.1:$PORT/metrics"
scrape() {	# scrape FILE: waits for rx to have counted packets
	for _ in $(seq 1 120); do
		if curl -sf -m 5 "$URL" -o "$1" &&
				grep -Eq '^meshwatch_rx_packets_total\{[^}]*\} [1-9]' "$1"; then
			return 0
		fi
		kill -0 $MWPID 2>/dev/null || fail "meshwatch exited"
		sleep 0.5
	done
	fail "no answer with packets from $URL in 60 s"
}
metric() {	# metric FILE PATTERN: the sum of the samples matching PATTERN
	awk -v p="$2" '!/^#/ && $1 ~ p { s += $2 } END { printf "%.0f\n", s }' "$1"
}
scrape "$DIR/a.prom"
sleep 2
scrape "$DIR/b.prom"

# the exposition format: every sample is NAME{LABELS} NUMBER of a family
# declared by # TYPE before it
awk '
	/^# HELP / { next }
	/^# TYPE / { typed[$3] = $4; next }
	{
		if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? ([-+]?[0-9.]+([eE][-+]?[0-9]+)?|\+Inf|NaN)$/) {
			print "bad sample line: " $0; bad = 1; next
		}
		name = $1; sub(/\{.*/, "", name)
		base = name; sub(/_(bucket|sum|count)$/, "", base)
		if (!(name in typed) && !(base in typed)) { print "no TYPE for " name; bad = 1 }
	}
	END { exit bad }' "$DIR/b.prom" || fail "malformed exposition"
for fam in meshwatch_rx_packets_total meshwatch_http_requests_total meshwatch_events_total \
		meshwatch_drops_total meshwatch_port_packets_total meshwatch_rule_hits_total \
		meshwatch_inference_events_in_total meshwatch_alerts_total meshwatch_ring_entries \
		meshwatch_ring_drops_total meshwatch_verdict_latency_microseconds \
		meshwatch_flows meshwatch_model_threshold meshwatch_inventory_endpoints \
		meshwatch_inventory_findings_total; do
	grep -q "^# TYPE $fam " "$DIR/b.prom" || fail "no family $fam"
done
pa=$(metric "$DIR/a.prom" '^meshwatch_rx_packets_total')
pb=$(metric "$DIR/b.prom" '^meshwatch_rx_packets_total')
[ "$pb" -gt "$pa" ] || fail "rx packets did not move between scrapes ($pa, then $pb)"
for m in '^meshwatch_http_requests_total\{lcore="1",stage="http"\}' \
		'^meshwatch_events_total' '^meshwatch_port_packets_total\{port="mirror0"\}' \
		'^meshwatch_rule_hits_total' '^meshwatch_inference_events_in_total\{lcore="2"\}' \
		'^meshwatch_alerts_total\{level="payload"' '^meshwatch_verdict_latency_microseconds_count' \
		'^meshwatch_prefilter_scans_total'; do
	[ "$(metric "$DIR/b.prom" "$m")" -gt 0 ] || fail "$m is 0 while traffic flows"
done
grep -q '^meshwatch_ring_capacity{ring="rx0_inf0",kind="rx_to_inference"} [1-9]' "$DIR/b.prom" ||
	fail "the rx-to-inference ring is not listed"
grep -q '^meshwatch_drops_total{lcore="1",stage="decode",reason="ip_bad_cksum"} ' "$DIR/b.prom" ||
	fail "drops by reason are not listed"
echo "prometheus: $(grep -vc '^#' "$DIR/b.prom") samples; rx packets $pa -> $pb in 2 s"

# only GET /metrics
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404 ] ||
	fail "GET / is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$URL")" = 405 ] ||
	fail "POST /metrics is not 405"

# ---- DPDK telemetry ----
. "$(dirname "$0")/telemetry_lib.sh"
tel /meshwatch/stats ".counters.rx_packets >= $pb and .counters.http_requests > 0 and .latency_us.p99 > 0"
tel /meshwatch/ports '.mirror0.ipackets > 0'
tel /meshwatch/lcores '.lcore_1.role == "rx" and .lcore_1.rx_packets > 0 and .lcore_2.role == "inference" and .lcore_2.events_in > 0'
tel /meshwatch/flows '.lcore_1.capacity == 32768 and .lcore_1.flows_created > 0'
tel /meshwatch/rules '.rules > 90 and .scans > 0 and (.hits | length) > 10'
tel /meshwatch/rules,1001 '.id == 1001 and .category == "sqli" and (.file | endswith("sqli.rules"))'
tel /meshwatch/rules,99999999 '.error == "no rule has that id"'
tel /meshwatch/models '(.payload.alerts | add) > 0 and .trace.classes == 17 and (.actor.thresholds | has("bola"))'
tel /meshwatch/rings '.rx0_inf0.kind == "rx_to_inference" and .rx0_inf0.capacity > 0'
tel /meshwatch/inventory '.endpoints > 10 and .services > 5 and (.list | length) == .endpoints and (.list | any(startswith("catalog GET /films/{id} ")))'
tel /meshwatch/inventory,dump '.dump == "requested"'
for _ in $(seq 1 20); do [ -s "$DIR/inv.json" ] && break; sleep 0.25; done
jq -e '.endpoints | length > 10' "$DIR/inv.json" > /dev/null || fail "/meshwatch/inventory,dump wrote no inventory"
echo "dpdk-telemetry.py: every /meshwatch/ command answered"

# ---- SIGTERM: a clean stop, the endpoint closed ----
kill -TERM $MWPID
rc=0
wait $MWPID || rc=$?
MWPID=
[ "$rc" -eq 0 ] || fail "meshwatch exited $rc on SIGTERM"
if curl -s -m 2 "$URL" -o /dev/null; then
	fail "the endpoint still answers after exit"
fi
echo "telemetry: OK"
