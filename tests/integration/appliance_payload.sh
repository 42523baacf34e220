#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The payload model through the real binary: every call the pre-filter
# flagged for a payload is scored on an inference lcore (one oneDNN
# execution per batch) and its event says so; nothing else is scored (a
# call flagged only by hint rules, massassign or recon, is not a payload);
# no model error. The model
# has random weights (made by make-test-model): the plumbing is under test,
# not the verdicts, which training (issue 6) will make meaningful. Log-ins
# (a password and a user name in one request) carry their account: one
# keyed hash per user name, on log-ins only.
# usage: appliance_payload.sh MESHWATCH GEN MAKE_MODEL APP RULESDIR OUTDIR
set -eu
MW=$1 GEN=$2 MK=$3 APP=$4 RULES=$5 DIR=$6/payload
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
mkdir -p "$DIR/cache"
OUT="$DIR/run"
"$GEN" --app "$APP" --out "$OUT" --seed 41 --requests 6000 --attack all=0.02 --quiet
"$MK" "$DIR/payload.mwm"
cat > "$OUT.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "1024", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_pm,rx_pcap=$OUT.pcap"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1";
           event_pool = 8191; ring_size = 1024; backpressure = true; };
prefilter = { rules = ["$RULES/*.rules"]; cache = "$DIR/cache"; };
models = { payload = "$DIR/payload.mwm"; batch = 32; };
output = { events = "$OUT.events.jsonl"; stats = "$OUT.stats.jsonl";
           actor_key = "00112233445566778899aabbccddeeff"; };
CONF
rm -f "$OUT.stats.jsonl" "$OUT.events.jsonl"
timeout 600 "$MW" -c "$OUT.conf" --idle-exit 1 > "$OUT.log" 2>&1 || { tail -20 "$OUT.log" >&2; exit 1; }
grep "^payload model:" "$OUT.log"
# flagged for a payload: by a rule that is no mere hint (massassign, recon)
payload='select(.prefilter and ([.prefilter.matches[].category] |
	any(. != "massassign" and . != "recon")))'
flagged=$(jq -c "$payload" "$OUT.events.jsonl" | wc -l)
hints=$(grep -c '"prefilter"' "$OUT.events.jsonl")
hints=$((hints - flagged))
scored=$(grep -c '"payload_model"' "$OUT.events.jsonl")
both=$(jq -c "$payload | select(.payload_model)" "$OUT.events.jsonl" | wc -l)
stray=$(jq -c "select(.payload_model) | select(($payload) | not)" "$OUT.events.jsonl" | wc -l)
errors=$(tail -1 "$OUT.stats.jsonl" | jq .counters.model_errors)
counted=$(tail -1 "$OUT.stats.jsonl" | jq .counters.payload_scored)
echo "flagged by the pre-filter for a payload: $flagged (and $hints by hints alone);" \
	"scored by the payload model: $scored ($counted counted); model errors: $errors"
[ "$flagged" -gt 0 ] && [ "$scored" -eq "$flagged" ] && [ "$both" -eq "$flagged" ] &&
	[ "$stray" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$counted" -eq "$scored" ]

logins=$(jq -c 'select(.method == "POST" and (.req_body // "" | test("username=.*password=")))' \
	"$OUT.events.jsonl" | wc -l)
with=$(jq -c 'select(.account)' "$OUT.events.jsonl" | wc -l)
elsewhere=$(jq -c 'select(.account and (.req_body // "" | test("password") | not))' \
	"$OUT.events.jsonl" | wc -l)
# user name -> accounts: exactly one each (where the query names no other user)
split=$(jq -r 'select(.account and .query == null) |
	[(.req_body | capture("username=(?<u>[^&]*)").u), .account] |
	@tsv' "$OUT.events.jsonl" | sort -u | cut -f1 | uniq -d | wc -l)
users=$(jq -r 'select(.account) | .req_body | capture("username=(?<u>[^&]*)").u' \
	"$OUT.events.jsonl" | sort -u | wc -l)
echo "log-ins: $logins; with an account: $with ($users user names, $split with two accounts;" \
	"$elsewhere accounts without a password field)"
[ "$logins" -gt 0 ] && [ "$with" -eq "$logins" ] && [ "$elsewhere" -eq 0 ] && [ "$split" -eq 0 ] &&
	[ "$users" -gt 1 ]

# A user's successful log-ins all carry one password tag (but where an
# injection took the password's place); and no password reaches the event
# log in clear (redaction is on).
tags=$(jq -r 'select(.account and .status == 200 and (.prefilter | not)) |
	[.account, .password_tag] | @tsv' \
	"$OUT.events.jsonl" | sort -u | cut -f1 | uniq -d | wc -l)
typos=$(jq -r 'select(.account and .status == 401 and (.req_body | test("password=\\[redacted\\]")))' \
	"$OUT.events.jsonl" | jq -s length)
echo "accounts with two password tags among their successful log-ins: $tags; failed log-ins: $typos"
[ "$tags" -eq 0 ] && [ "$typos" -gt 0 ]
