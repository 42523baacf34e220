#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Hot reload under traffic. A capture is replayed once, paced so that it
# lasts the whole test, while the rules and models are reloaded:
# - SIGHUP with nothing changed: "unchanged", nothing swapped;
# - a new rule: swapped in, and calls after the swap carry its matches;
# - a rule file that does not compile, a truncated model, a model with other
#   classes: each rejected with the file and the reason, and the running
#   rules and models keep working (the new rule keeps counting hits);
# - new thresholds through /meshwatch/reload: the models swapped in, visible
#   in /meshwatch/models, while the rx lcores keep their unchanged rules.
# Then every call of the capture must be in the event log exactly once
# (event-check) and no packet, event or alert dropped anywhere: the swaps
# cost nothing a user can see.
#
# usage: appliance_reload.sh MESHWATCH GEN EVENT-CHECK MAKE-TEST-MODEL CONFIGS OUTDIR
set -eu
MW=$1 GEN=$2 CHECK=$3 MKMODEL=$4 CONFIGS=$5 DIR=$6/reload
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"	# the EXIT trap below calls tidy_outputs
rm -rf "$DIR"
mkdir -p "$DIR/rules" "$DIR/models" "$DIR/cache"
OUT="$DIR/cap"
PREFIX="mwrel$$"
MWPID=
fail() { echo "FAIL: $*" >&2; [ -f "$DIR/run.log" ] && tail -20 "$DIR/run.log" >&2; exit 1; }
cleanup() {
	rc=$?
	[ -z "$MWPID" ] || kill -9 $MWPID 2>/dev/null || true
	tidy_outputs $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$GEN" --app "$CONFIGS/apps/dvdrental.conf" --seed 31 --requests 12000 --attack all=0.03 \
	--out "$OUT" --quiet
cp "$CONFIGS"/signatures/*.rules "$DIR/rules/"
cp "$CONFIGS"/models/*.mwm "$DIR/models/"
# The replay must outlast the reloads: under AddressSanitizer a Hyperscan
# compile (every malloc intercepted) takes minutes, not seconds. It stretches
# the capture's 27 s over two minutes or more, so a response the capture has
# 5 s after its request comes 30 s later here: the flow timeouts are
# wall-clock times, and are raised to match.
PPS=1000
ldd "$MW" | grep -q libasan && PPS=400
conf() {	# conf EXTRA-MODELS-KEYS
	cat > "$DIR/run.conf" <<CONF
eal = ["--no-huge", "--no-pci", "-m", "1024", "--file-prefix", "$PREFIX",
       "--log-level", "lib.eal:error", "--log-level", "user1:warning"];
ports = ( { name = "mirror0"; device = "net_pcap_rel,rx_pcap=$OUT.pcap"; replay_pps = $PPS; } );
mempool = { mbufs = 65535; };
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@0"; event_pool = 16383; };
flows = { capacity = 32768; response_timeout = 600; timeout_established = 900; };
prefilter = { rules = ["$DIR/rules/*.rules"]; cache = "$DIR/cache"; };
models = { payload = "$DIR/models/payload.mwm"; trace = "$DIR/models/trace.mwm";
           actor = "$DIR/models/actor.mwm"; $1 };
output = { events = "$DIR/events.jsonl"; alerts = "$DIR/alerts.jsonl"; stats = "$DIR/stats.jsonl";
           stats_interval = 5; actor_key = "00112233445566778899aabbccddeeff"; };
CONF
}
conf ""
echo "capture: $(wc -l < "$OUT.requests.jsonl") calls, replayed at $PPS packets/s"

"$MW" -c "$DIR/run.conf" --idle-exit 2 > "$DIR/run.log" 2>&1 &
MWPID=$!
# wait_for PATTERN [SECONDS [SEEN]]: a line of the log, more than SEEN of
# them (default 0: any), or fail
wait_for() {
	for _ in $(seq 1 $((${2:-60} * 4))); do
		[ "$(grep -c "$1" "$DIR/run.log")" -gt "${3:-0}" ] && return 0
		kill -0 $MWPID 2>/dev/null || fail "meshwatch exited while waiting for: $1"
		sleep 0.25
	done
	fail "no \"$1\" in the log within ${2:-60} s"
}
. "$(dirname "$0")/telemetry_lib.sh"
hits() {	# the hits of rule $1 so far
	tel_value "/meshwatch/rules,$1" '.hits // 0'
}
wait_for "^rx lcore"
sleep 1

# 1. nothing changed: nothing swapped
kill -HUP $MWPID
wait_for "reload: rules and models unchanged"
echo "ok   SIGHUP, nothing changed: nothing swapped"

# 2. a new rule: swapped in under traffic, and it fires
printf '%s\n' '9900001 recon low path - "reload canary: a films path" /\/films/' \
	> "$DIR/rules/canary.rules"
kill -HUP $MWPID
wait_for "reload: applied generation 2: [0-9]* rules" 300
tel /meshwatch/reload,status '.generation == 2 and .applied == 1 and .state == "idle"'
for _ in $(seq 1 40); do
	[ "$(hits 9900001)" -gt 0 ] && break
	sleep 0.25
done
h1=$(hits 9900001)
[ "$h1" -gt 0 ] || fail "the new rule never fired"
echo "ok   new rule swapped in: $(grep -o 'applied generation 2.*' "$DIR/run.log"); $h1 hits"

# 3. a rule that does not compile: rejected, the running rules go on
printf '%s\n' '9900002 sqli high any i "broken" /(union/' > "$DIR/rules/zz-broken.rules"
kill -HUP $MWPID
wait_for "reload: rejected: .*rules or models refused" 300
grep -q "zz-broken.rules:1: rule 9900002: " "$DIR/run.log" || fail "the broken rule is not named"
rm "$DIR/rules/zz-broken.rules"
tel /meshwatch/reload,status '.generation == 2 and .rejected == 1'
sleep 1
h2=$(hits 9900001)
[ "$h2" -gt "$h1" ] || fail "the running rules stopped after a rejected reload ($h1, then $h2)"
echo "ok   broken rule file rejected, the running rules still match ($h1 -> $h2 hits)"

# 4. a truncated model: rejected, through the telemetry command
mv "$DIR/models/payload.mwm" "$DIR/payload.good"
head -c 4000 "$DIR/payload.good" > "$DIR/models/payload.mwm"
# (the rejected rule file's line names generation 2 as well: wait for a new one)
seen=$(grep -c "reload: rejected: .*generation 2" "$DIR/run.log")
tel /meshwatch/reload '.requested == 1'
wait_for "reload: rejected: .*generation 2" 60 "$seen"
grep -q "models.payload: .*payload.mwm: " "$DIR/run.log" || fail "the truncated model is not named"
mv "$DIR/payload.good" "$DIR/models/payload.mwm"

# 5. a model with other classes: rejected, it needs a restart
mv "$DIR/models/trace.mwm" "$DIR/trace.good"
"$MKMODEL" --kind trace "$DIR/models/trace.mwm" > /dev/null
kill -HUP $MWPID
wait_for "reload: rejected: models.trace: .*other classes.*needs a restart" 60
mv "$DIR/trace.good" "$DIR/models/trace.mwm"
tel /meshwatch/reload,status '.generation == 2 and .rejected == 3'
echo "ok   truncated model and model with other classes rejected, generation 2 runs on"

# 6. new thresholds: the models are rebuilt and swapped in
conf "thresholds = { xss = 0.999; };"
tel /meshwatch/reload '.requested == 1'
wait_for "reload: applied generation 3: [0-9]* rules (unchanged)" 300
tel /meshwatch/models '.generation == 3 and (.payload.thresholds.xss > 0.998)'
echo "ok   thresholds swapped in: $(grep -o 'applied generation 3.*' "$DIR/run.log" | cut -c1-60)..."

h3=$(hits 9900001)
[ "$h3" -ge "$h2" ] || fail "the new rule's hits went back ($h2, then $h3): counters lost in a swap"
# the capture plays to its end, then --idle-exit stops meshwatch
rc=0
wait $MWPID || rc=$?
MWPID=
[ "$rc" -eq 0 ] || fail "meshwatch exited $rc"
grep -q "no packet for" "$DIR/run.log" || fail "the capture was over before the reloads were"

# every call once, nothing dropped
"$CHECK" "$OUT.requests.jsonl" "$DIR/events.jsonl" || fail "events lost or wrong across the swaps"
# the final report: drops at every ring, pool and port, summed
grep -q "^drops: 0$" "$DIR/run.log" || fail "$(grep '^drops: ' "$DIR/run.log")"
jq -se 'last | .counters.out_ring_full == 0 and .counters.event_ring_full == 0' \
	"$DIR/stats.jsonl" > /dev/null || fail "a ring between lcores was full"
n=$(jq -c 'select(.prefilter) | .prefilter.matches[] | select(.rule == 9900001)' \
	"$DIR/events.jsonl" | wc -l)
[ "$n" -gt 0 ] || fail "no event names the new rule"
echo "ok   every call an event, no drops; $n events name the new rule by id"
echo "reload: OK"
