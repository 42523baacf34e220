#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Real attack tools' traffic through the appliance and the default models:
# sqlmap, wapiti and dirb (Debian's) and wfuzz's injection word lists, run on
# loopback against a stand-in API (scripts/stand_in_api.py, 200 and a small
# JSON answer to everything, an HTML page with a link and a form for
# wapiti's crawler, 404 to dirb's guesses but for a few paths), captured
# with tcpdump, then read by meshwatch like any capture. Nothing here was
# used to train or choose anything: it is a held-out test of what the
# generator taught the models.
#
#   attack_tools.sh BUILD MODELS WORK
#
# MW_TOOLS names the tools to run (default: "sqlmap wfuzz wapiti dirb").
# Each tool and list has a path of its own, which is how its calls are
# told apart; prints, per source, the share of its calls that raised an
# alert (payload or trace level) and the share with the expected class,
# and WORK/tools.json. sqlmap's calls that carry the value it started from
# unaltered (sent first and between tests) are the benign baseline, but
# for its header tests, which alter only a header; the same for wapiti's
# calls that carry the link's query or the form as the page gave them (its
# crawl, and its first look at each parameter); for shellshock, which
# attacks headers, the calls without its function definition in
# User-Agent. wapiti's xss module sends random words first and its payloads
# only where they come back in the answer, which a JSON API never does:
# its calls are benign probes, and every alert on them a false one.
# dirb guesses paths (its common word list) where the API answers 404 but
# for a few; what it does is only seen whole, so the actor alerts on each
# source's client are listed too.
set -eu
BUILD=$1 MODELS=$2 WORK=$3
MW=$BUILD/app/meshwatch
PORT=${MW_TOOLS_PORT:-18080}
LISTS=/usr/share/wfuzz/wordlist/Injections
TOOLS=" ${MW_TOOLS:-sqlmap wfuzz wapiti dirb} "
runs() { case $TOOLS in *" $1 "*) return 0 ;; esac; return 1; }
mkdir -p "$WORK"
rm -f "$WORK/tools.pcap" "$WORK/tools.events.jsonl" "$WORK/tools.alerts.jsonl"
python3 scripts/stand_in_api.py "$PORT" &
api=$!
tcpdump -i lo -s 0 -U -w "$WORK/tools.pcap" "tcp port $PORT" 2> "$WORK/tcpdump.log" &
dump=$!
trap 'kill $api $dump 2>/dev/null || true' EXIT INT TERM
for i in $(seq 50); do
	grep -q "listening on" "$WORK/tcpdump.log" 2>/dev/null &&
		curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
	sleep 0.2
done
URL=http://127.0.0.1:$PORT
# sqlmap: every technique on a query and a JSON body, once more with
# tamper scripts that hide its payloads, and its User-Agent and Referer
# tests on their own (their calls keep the query as it was)
sqlmap="timeout 900 sqlmap --batch --level 2 --risk 2 --random-agent --flush-session -v 0
	--output-dir $WORK/sqlmap"
q="films/search?q=drama&limit=10"
runs sqlmap && {
	$sqlmap -u "$URL/sqlmap/$q" || true
	$sqlmap -u "$URL/sqlmap-json/films/101/reviews" --data '{"rating":4,"body":"great film"}' ||
		true
	$sqlmap -u "$URL/sqlmap-tamper/$q" --tamper between,randomcase,space2comment,charencode ||
		true
	$sqlmap -u "$URL/sqlmap-headers/$q" --level 3 -p "user-agent,referer" || true
} > "$WORK/sqlmap.log" 2>&1
runs wfuzz && for l in SQL XSS Traversal All_attack; do
	timeout 300 wfuzz -z file,$LISTS/$l.txt,urlencode --hc 999 \
		"$URL/wfuzz-$l/films/search?q=FUZZ" > "$WORK/wfuzz-$l.log" 2>&1 || true
done
# wapiti: one module at a time, each under a path of its own; it finds the
# parameters to attack by crawling the page at the prefix
runs wapiti && for m in exec sql blindsql file ssrf xxe crlf shellshock xss; do
	timeout 300 wapiti -u "$URL/wapiti-$m/" --scope folder -m $m --flush-session \
		--max-scan-time 250 -f txt -o "$WORK/wapiti-$m.txt" > "$WORK/wapiti-$m.log" 2>&1 || true
done
runs dirb && timeout 600 dirb "$URL/dirb/" /usr/share/dirb/wordlists/common.txt -S -r \
	-o "$WORK/dirb.txt" > "$WORK/dirb.log" 2>&1 || true
sleep 1
kill $dump
wait $dump 2>/dev/null || true
kill $api
trap - EXIT INT TERM
sh scripts/events.sh "$MW" "$WORK/tools" configs/signatures "$WORK/cache" "$MODELS"
python3 - "$WORK" <<'EOF'
import collections, json, sys

work = sys.argv[1]
expect = {"sqlmap": "sqli", "sqlmap-json": "sqli", "sqlmap-tamper": "sqli",
          "sqlmap-headers": "sqli", "wfuzz-SQL": "sqli", "wfuzz-XSS": "xss", "wfuzz-Traversal": "traversal",
          "wfuzz-All_attack": None, "wapiti-exec": "cmdi", "wapiti-sql": "sqli",
          "wapiti-blindsql": "sqli", "wapiti-file": "traversal", "wapiti-ssrf": "ssrf",
          "wapiti-xxe": None, "wapiti-crlf": None, "wapiti-shellshock": "cmdi",
          "wapiti-xss": None, "dirb": None}
page = {" ", "q=drama&limit=10 ", " body=great+film&rating=4"}
base = {"sqlmap": {"q=drama&limit=10 "}, "sqlmap-tamper": {"q=drama&limit=10 "},
        "sqlmap-json": {' {"rating":4,"body":"great film"}'}}
base.update({k: page for k in expect if k.startswith("wapiti-") and k != "wapiti-shellshock"})
alerted = collections.defaultdict(set)
actor = []  # (class, timestamps of the calls it names)
with open(f"{work}/tools.alerts.jsonl") as f:
    for line in f:
        m = json.loads(line)["meshwatch"]
        ts = [el["ts"] for el in m.get("explanation", [])]
        if m["kind"] in ("payload", "trace"):
            for t in ts:
                alerted[t].add(m["class"])
        elif m["kind"] == "actor":
            actor.append((m["class"], ts))
source = {}
rows = collections.defaultdict(lambda: [0, 0, 0])
with open(f"{work}/tools.events.jsonl") as f:
    for line in f:
        e = json.loads(line)
        src = e["path"].split("/")[1]
        if src not in expect:
            continue
        source[e["ts"]] = src
        value = (e.get("query") or "") + " " + (e.get("req_body") or "")
        plain = (value in base.get(src, ()) if src != "wapiti-shellshock"
                 else "() {" not in (e.get("user_agent") or ""))
        key = src + (" (unaltered)" if plain else "")
        r = rows[key]
        got = alerted.get(e["ts"], set())
        r[0] += 1
        r[1] += bool(got)
        r[2] += expect[src] in got if expect[src] else bool(got)
out = {}
print(f"{'source':28} {'calls':>6} {'alerted':>8} {'as expected':>12}")
for k in sorted(rows):
    n, a, x = rows[k]
    out[k] = {"calls": n, "alerted": a, "expected_class": x}
    print(f"{k:28} {n:6} {100 * a / n:7.1f}% {100 * x / n:11.1f}%")
by = collections.defaultdict(collections.Counter)
for c, ts in actor:
    for src in {source[t].split("-")[0] for t in ts if t in source}:
        by[src][c] += 1
print("actor alerts, by the tool whose calls they name:")
for src in sorted(by):
    print(f"  {src:12} " + ", ".join(f"{c} {n}" for c, n in by[src].most_common()))
out["actor_alerts"] = {k: dict(v) for k, v in by.items()}
json.dump(out, open(f"{work}/tools.json", "w"), indent=1)
EOF
