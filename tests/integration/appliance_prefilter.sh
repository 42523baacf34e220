#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The pre-filter through the real binary: a capture with every payload attack
# class (all techniques, placements and evasions the generator has) at a seed
# the rules were never looked at against; recall (flagged with the right
# category) and the flag rate on benign calls are printed and held to the
# targets, and every call still gets exactly one event.
#
# usage: appliance_prefilter.sh MESHWATCH GEN CHECK APP RULESDIR OUTDIR NAME MIN_RECALL MAX_FLAG [gen options...]
set -eu
MW=$1 GEN=$2 CHECK=$3 APP=$4 RULES=$5 DIR=$6/prefilter NAME=$7 MINR=$8 MAXF=$9
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR" "$NAME"
shift 9
mkdir -p "$DIR/cache"
OUT="$DIR/$NAME"
"$GEN" --app "$APP" --out "$OUT" --quiet "$@"
cat > "$OUT.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "1024", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_$NAME,rx_pcap=$OUT.pcap"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1";
           event_pool = 8191; ring_size = 1024; backpressure = true; };
prefilter = { rules = ["$RULES/*.rules"]; cache = "$DIR/cache"; };
output = { events = "$OUT.events.jsonl"; stats = "$OUT.stats.jsonl"; redact = false;
           actor_key = "00112233445566778899aabbccddeeff"; };
CONF
rm -f "$OUT.stats.jsonl" "$OUT.events.jsonl"
timeout 600 "$MW" -c "$OUT.conf" --idle-exit 1 > "$OUT.log" 2>&1 || {
	echo "$NAME: meshwatch failed (exit $?):" >&2
	tail -20 "$OUT.log" >&2
	exit 1
}
grep -A16 "^prefilter:" "$OUT.log" | head -17
grep -q '"rule_hits":{"' "$OUT.stats.jsonl" || { echo "$NAME: no rule_hits in the stats" >&2; exit 1; }
"$CHECK" "$OUT.requests.jsonl" "$OUT.events.jsonl" --prefilter "$MINR" "$MAXF"
