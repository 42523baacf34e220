#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The appliance on a meshwatch-gen capture, through a net_pcap port: exactly
# one event per labeled request, with method, path, connection, status,
# sizes, trace ids and actors right (event-check), and no drops.
#
# usage: appliance_capture.sh MESHWATCH GEN CHECK APP OUTDIR NAME [gen options...]
set -eu
MW=$1 GEN=$2 CHECK=$3 APP=$4 DIR=$5/appliance NAME=$6
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR" "$NAME"
shift 6
mkdir -p "$DIR"
OUT="$DIR/$NAME"
"$GEN" --app "$APP" --out "$OUT" --quiet "$@"
cat > "$OUT.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "512", "--log-level", "lib.eal:error", "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_$NAME,rx_pcap=$OUT.pcap"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1";
           event_pool = 8191; ring_size = 1024; backpressure = true; };
flows = { capacity = 16384; };
output = { events = "$OUT.events.jsonl"; stats = "$OUT.stats.jsonl";
           actor_key = "00112233445566778899aabbccddeeff"; };
CONF
rm -f "$OUT.stats.jsonl" "$OUT.events.jsonl"
timeout 300 "$MW" -c "$OUT.conf" --idle-exit 1 > "$OUT.log" 2>&1 || {
	echo "$NAME: meshwatch failed (exit $?):" >&2
	tail -20 "$OUT.log" >&2
	exit 1
}
sed -n '/== meshwatch stats ==/,$p' "$OUT.log"
drops=$(tail -1 "$OUT.stats.jsonl" | sed 's/.*"drops_total":\([0-9]*\).*/\1/')
echo "$NAME: drops_total $drops"
"$CHECK" "$OUT.requests.jsonl" "$OUT.events.jsonl"
[ "$drops" -eq 0 ] || { echo "$NAME: $drops packets or events dropped" >&2; exit 1; }
