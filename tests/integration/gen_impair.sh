#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Impaired captures (for the appliance's robustness tests): every packet still
# has correct checksums, the impairments asked for happened, and the labels
# say which requests they touched.
# usage: gen_impair.sh GEN APP OUTDIR
set -eu
GEN=$1 APP=$2 DIR=$3/impair
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
mkdir -p "$DIR"
fail=0
check() {
	name=$1
	shift
	"$GEN" --app "$APP" --out "$DIR/$name" --seed 21 --requests 8000 --quiet "$@"
	[ -s "$DIR/$name.pcap" ] || { echo "FAIL: $name: no capture" >&2; fail=1; }
	bad=$(tshark -n -r "$DIR/$name.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		-Y 'ip.checksum.status==0 || tcp.checksum.status==0' 2>/dev/null | wc -l)
	echo "$name: $bad packets with bad checksums; net: $(jq -c .net "$DIR/$name.summary.json")"
	[ "$bad" -eq 0 ] || fail=1
}
expect() {	# expect FILE JQ-FILTER MIN what
	n=$(jq -c "$2" "$1" | wc -l)
	echo "  $4: $n"
	[ "$n" -ge "$3" ] || { echo "  FAIL: expected at least $3" >&2; fail=1; }
}
check segs --impair reorder=0.02,dup=0.02,loss=0.005,overlap=0.02
expect "$DIR/segs.requests.jsonl" 'select(.gap)' 1 "requests with a capture gap"
expect "$DIR/segs.requests.jsonl" 'select(.overlap)' 1 "requests with conflicting overlaps"
# one connection in ten: at 0.03 over the capture's 60-odd connections,
# none at all happens one draw in seven (seed 21 after the 2026-12-07 mix)
check tiny --impair tiny=0.1 --requests 2000
[ "$(jq .net.tiny_conns "$DIR/tiny.summary.json")" -gt 0 ] || { echo "FAIL: no 1-byte connections" >&2; fail=1; }
check frag4 --impair frag=0.05
check frag6 --ipv6 --impair frag=0.05,ext6=0.05
# Fragments reassemble into the same HTTP requests the labels list.
n=$(tshark -n -r "$DIR/frag6.pcap" -Y http.request 2>/dev/null | wc -l)
l=$(wc -l < "$DIR/frag6.requests.jsonl")
echo "  frag6: tshark decodes $n of $l labeled requests after reassembly"
[ "$n" -eq "$l" ] || fail=1
check mid --midstart 10
expect "$DIR/mid.requests.jsonl" 'select(.midstream)' 1 "requests on connections opened before the capture"
first=$(tshark -n -r "$DIR/mid.pcap" -c 1 -T fields -e frame.time_epoch 2>/dev/null)
early=$(jq -r --arg f "$first" 'select(.ts / 1e9 < ($f | tonumber) - 0.001) | .ts' "$DIR/mid.requests.jsonl" | wc -l)
echo "  requests labeled before the first captured packet: $early"
[ "$early" -eq 0 ] || fail=1
exit $fail
