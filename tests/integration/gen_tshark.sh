#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Generates a capture and checks it the way a skeptical user would, with
# tshark: no bad checksum at any layer, no TCP analysis complaint, no
# malformed packet (but tshark 4.0's own chunked-trailer quirk, see
# gen_check.c), and every HTTP request tshark decodes matches its label one
# to one (method, URI, trace ids), and the other way round.
#
# usage: gen_tshark.sh GEN CHECK APP OUTDIR NAME [meshwatch-gen options...]
set -eu
GEN=$1 CHECK=$2 APP=$3 DIR=$4 NAME=$5
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR" "$NAME"
shift 5
mkdir -p "$DIR"
OUT="$DIR/$NAME"
"$GEN" --app "$APP" --out "$OUT" --quiet "$@"

# Services listen on arbitrary ports: tell tshark they speak HTTP.
DECODE=""
for p in $(grep -o 'port = [0-9]*' "$APP" | awk '{print $3}' | sort -u); do
	DECODE="$DECODE -d tcp.port==$p,http"
done
TS="tshark -n -r $OUT.pcap -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE $DECODE"

# shellcheck disable=SC2086
$TS -Y 'ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0 ||
	(tcp.analysis.flags && !tcp.analysis.window_update) || _ws.malformed' \
	-T fields -e frame.number -e tcp.stream -e _ws.malformed -e _ws.col.Info \
	-E occurrence=l > "$OUT.problems.tsv" 2>/dev/null
STREAMS=$(awk -F'\t' '$3 != "" {print $2}' "$OUT.problems.tsv" | sort -un | paste -sd, -)
OTHER=$(awk -F'\t' '$3 == ""' "$OUT.problems.tsv" | wc -l)
if [ "$OTHER" -ne 0 ]; then
	echo "$NAME: $OTHER frames with bad checksums or TCP analysis problems:" >&2
	head -5 "$OUT.problems.tsv" >&2
	exit 1
fi

# shellcheck disable=SC2086
$TS -Y http.request -T fields -E occurrence=a -E aggregator="$(printf '\036')" \
	-e frame.number -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst \
	-e tcp.dstport -e http.request.method -e http.request.uri -e http.request.line \
	> "$OUT.requests.tsv" 2>/dev/null

SEGS=""
if [ -n "$STREAMS" ]; then
	# shellcheck disable=SC2086
	$TS -Y "tcp.stream in {$STREAMS} && tcp.len > 0" -T fields -E occurrence=l \
		-e frame.number -e tcp.stream -e tcp.srcport -e tcp.len -e tcp.payload \
		-e _ws.malformed > "$OUT.segments.tsv" 2>/dev/null
	SEGS="$OUT.segments.tsv"
fi
echo "$NAME:"
# shellcheck disable=SC2086
"$CHECK" "$OUT.requests.jsonl" "$OUT.requests.tsv" $SEGS
