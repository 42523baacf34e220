#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The API inventory and service graph:
# - on benign captures of both apps, it lists exactly the app config's
#   services, endpoints (method + path template) and callers that the
#   capture used, by the labels; the DOT graph has exactly those arrows;
# - unauthenticated calls between two services (an edge service's excepted)
#   are findings, once per caller and endpoint, exactly where the inventory
#   counts such calls;
# - with attacks and the benign inventory as baseline, every endpoint the
#   baseline lacks is a new-endpoint finding, and no other;
# - a baseline that is no inventory stops start-up with a clear message.
#
# usage: appliance_inventory.sh MESHWATCH GEN APPS OUTDIR
set -eu
MW=$1 GEN=$2 APPS=$3 DIR=$4/inventory
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
mkdir -p "$DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

conf() {	# conf NAME APP INVENTORY-KEYS
	{
		cat <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "512", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_inv,rx_pcap=$DIR/$1.pcap"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1"; backpressure = true; };
flows = { capacity = 16384; };
output = { alerts = "$DIR/$1.alerts.jsonl"; stats_interval = 0;
           actor_key = "00112233445566778899aabbccddeeff"; };
inventory = { $3 };
services = (
CONF
		# the app's services: name, addresses, and whether it is the edge
		sed -n '/^services = (/,/^);/p' "$2" | grep '{ name' | awk '
			{
				match($0, /name = "[^"]*"/); name = substr($0, RSTART, RLENGTH)
				match($0, /addrs = \[[^]]*\]/); addrs = substr($0, RSTART, RLENGTH)
				line[n++] = "  { " name "; " addrs ";" ($0 ~ /edge = true/ ? " edge = true;" : "") " }"
			}
			END { for (i = 0; i < n; i++) print line[i] (i < n - 1 ? "," : "") }'
		echo ");"
	} > "$DIR/$1.conf"
}
run() {	# run NAME
	rm -f "$DIR/$1.alerts.jsonl" "$DIR/$1.inv.json" "$DIR/$1.dot"
	timeout 300 "$MW" -c "$DIR/$1.conf" --idle-exit 1 > "$DIR/$1.log" 2>&1 ||
		{ tail -20 "$DIR/$1.log" >&2; fail "$1: meshwatch failed"; }
}
# "SERVICE METHOD TEMPLATE" of each config endpoint id, values as {id}
paths() {
	grep 'id = "[^"]*"; *service = ' "$1" |
		sed 's/.*id = "\([^"]*\)"; *service = "\([^"]*\)"; *method = "\([^"]*\)"; *path = "\([^"]*\)".*/\1 \2 \3 \4/' |
		sed 's/{[^}]*}/{id}/g'
}

for app in dvdrental ridehail; do
	A="$APPS/$app.conf"
	"$GEN" --app "$A" --seed 31 --requests 20000 --attack none --out "$DIR/$app" --quiet
	conf "$app" "$A" "file = \"$DIR/$app.inv.json\"; dot = \"$DIR/$app.dot\";"
	run "$app"
	paths "$A" > "$DIR/$app.paths"
	# what the capture used, by the labels: calls that succeeded
	jq -r 'select(.status >= 100 and .status < 400) | "\(.endpoint) \(.src)"' \
		"$DIR/$app.requests.jsonl" | sort -u > "$DIR/$app.used"
	awk 'NR == FNR { p[$1] = $2 " " $3 " " $4; next } ($1 in p) { print p[$1] }' \
		"$DIR/$app.paths" "$DIR/$app.used" | sort -u > "$DIR/$app.want"
	jq -r '.endpoints[] | "\(.service) \(.method) \(.template)"' "$DIR/$app.inv.json" |
		sort -u > "$DIR/$app.got"
	diff "$DIR/$app.want" "$DIR/$app.got" > "$DIR/$app.diff" ||
		{ cat "$DIR/$app.diff" >&2; fail "$app: the inventory's endpoints are not the capture's"; }
	# callers
	awk 'NR == FNR { p[$1] = $2 " " $3 " " $4; next } ($1 in p) { print $2 " " p[$1] }' \
		"$DIR/$app.paths" "$DIR/$app.used" | sort -u > "$DIR/$app.want-callers"
	jq -r '.endpoints[] | . as $e | .callers[] | "\(.service) \($e.service) \($e.method) \($e.template)"' \
		"$DIR/$app.inv.json" | sort -u > "$DIR/$app.got-callers"
	diff "$DIR/$app.want-callers" "$DIR/$app.got-callers" > "$DIR/$app.diff" ||
		{ cat "$DIR/$app.diff" >&2; fail "$app: the inventory's callers are not the capture's"; }
	# services, and the graph's arrows
	jq -r 'select(.status >= 100 and .status < 400) | .src, .service' "$DIR/$app.requests.jsonl" |
		sort -u > "$DIR/$app.want-svc"
	jq -r '.services[]' "$DIR/$app.inv.json" | sort -u > "$DIR/$app.got-svc"
	diff "$DIR/$app.want-svc" "$DIR/$app.got-svc" > "$DIR/$app.diff" ||
		{ cat "$DIR/$app.diff" >&2; fail "$app: the inventory's services are not the capture's"; }
	awk '{ print $1 " " $2 }' "$DIR/$app.want-callers" | sort -u > "$DIR/$app.want-arrows"
	sed -n 's/^\t"\([^"]*\)" -> "\([^"]*\)".*/\1 \2/p' "$DIR/$app.dot" | sort -u > "$DIR/$app.got-arrows"
	diff "$DIR/$app.want-arrows" "$DIR/$app.got-arrows" > "$DIR/$app.diff" ||
		{ cat "$DIR/$app.diff" >&2; fail "$app: the DOT graph's arrows are not the capture's"; }
	# unauthenticated calls between services: a finding each, no other
	edges=$(sed -n 's/.*name = "\([^"]*\)".*edge = true.*/\1/p' "$DIR/$app.conf" | head -1)
	jq -r --arg edge "$edges" '.endpoints[] | . as $e | .callers[] |
		select(.service != $edge and .authenticated < .calls) |
		"\(.service) \($e.service) \($e.method) \($e.template)"' "$DIR/$app.inv.json" |
		sort -u > "$DIR/$app.want-unauth"
	jq -r 'select(.meshwatch.finding == "unauthenticated_service_call") |
		"\(.meshwatch.src_service) \(.meshwatch.dst_service) \(.http.http_method) \(.meshwatch.template)"' \
		"$DIR/$app.alerts.jsonl" | sort > "$DIR/$app.got-unauth"
	diff "$DIR/$app.want-unauth" "$DIR/$app.got-unauth" > "$DIR/$app.diff" ||
		{ cat "$DIR/$app.diff" >&2; fail "$app: unauthenticated-call findings differ from the inventory"; }
	# each counts the unauthenticated calls of its caller to the merged
	# endpoint, as the inventory does (decided at exit: the capture is
	# shorter than a finding's grace period)
	jq -r --arg edge "$edges" '.endpoints[] | . as $e | .callers[] |
		select(.service != $edge and .authenticated < .calls) |
		"\(.service) \($e.service) \($e.method) \($e.template) \(.calls - .authenticated)"' \
		"$DIR/$app.inv.json" | sort > "$DIR/$app.want-unauth-n"
	jq -r 'select(.meshwatch.finding == "unauthenticated_service_call") |
		"\(.meshwatch.src_service) \(.meshwatch.dst_service) \(.http.http_method) \(.meshwatch.template) \(.meshwatch.unauthenticated_calls)"' \
		"$DIR/$app.alerts.jsonl" | sort > "$DIR/$app.got-unauth-n"
	diff "$DIR/$app.want-unauth-n" "$DIR/$app.got-unauth-n" > "$DIR/$app.diff" ||
		{ cat "$DIR/$app.diff" >&2; fail "$app: findings count other unauthenticated calls than the inventory"; }
	jq -e -s 'map(select(.meshwatch.kind == "inventory")) | all(.alert.severity == 3 and
		(.alert.signature_id | IN(9200001, 9200002)))' "$DIR/$app.alerts.jsonl" > /dev/null ||
		fail "$app: findings are not low-severity EVE alerts"
	echo "$app: $(wc -l < "$DIR/$app.got") endpoints, $(wc -l < "$DIR/$app.got-callers") callers," \
		"$(wc -l < "$DIR/$app.got-svc") services, exactly the capture's;" \
		"$(wc -l < "$DIR/$app.got-unauth") unauthenticated service calls found"
done

# ---- attacks, against the benign inventory as baseline ----
A="$APPS/dvdrental.conf"
"$GEN" --app "$A" --seed 32 --requests 20000 --attack all=0.02 --out "$DIR/attacks" --quiet
conf attacks "$A" "file = \"$DIR/attacks.inv.json\"; baseline = \"$DIR/dvdrental.inv.json\";"
run attacks
jq -r '.endpoints[] | "\(.service) \(.method) \(.template)"' "$DIR/attacks.inv.json" |
	sort -u > "$DIR/attacks.got"
comm -23 "$DIR/attacks.got" "$DIR/dvdrental.got" > "$DIR/attacks.want-new"
jq -r 'select(.meshwatch.finding == "new_endpoint") |
	"\(.meshwatch.dst_service) \(.http.http_method) \(.meshwatch.template)"' \
	"$DIR/attacks.alerts.jsonl" | sort > "$DIR/attacks.got-new"
diff "$DIR/attacks.want-new" "$DIR/attacks.got-new" > "$DIR/attacks.diff" ||
	{ cat "$DIR/attacks.diff" >&2; fail "new-endpoint findings are not the endpoints the baseline lacks"; }
unmatched=$(jq .unmatched_calls "$DIR/attacks.inv.json")
echo "attacks: $(wc -l < "$DIR/attacks.got-new") endpoints outside the baseline, each a finding;" \
	"$unmatched probes and failed calls matched none"

# ---- a baseline that is no inventory ----
echo '{"endpoints": 3}' > "$DIR/bad.json"
conf bad "$A" "baseline = \"$DIR/bad.json\";"
cp "$DIR/attacks.pcap" "$DIR/bad.pcap"
if timeout 120 "$MW" -c "$DIR/bad.conf" --idle-exit 1 > "$DIR/bad.log" 2>&1; then
	fail "a bad baseline was accepted"
fi
grep -q "inventory.baseline: \"$DIR/bad.json\" is not an inventory meshwatch wrote" "$DIR/bad.log" ||
	{ cat "$DIR/bad.log" >&2; fail "no clear message for a bad baseline"; }
echo "inventory: OK"
