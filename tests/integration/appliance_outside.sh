#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The shipped default models (configs/models) on traffic meshwatch-gen never
# made, through the real binary:
# - browser headers (tests/data/browser_headers.tsv): what Chrome, Edge,
#   Firefox and Safari send with every call (client hints with GREASE
#   brands, Fetch metadata, Referer and Origin, X-Requested-With), through
#   a gateway and straight to an app on an internal address, raise no alert
#   of any kind; the same headers carrying payloads alert their class;
# - payloads in the style of attack tools (tests/data/pf_tool_payloads.tsv),
#   each as a search query and as a review's JSON text: at least 97% of the
#   calls alert their category (payload or trace level);
# - code injection (tests/data/code_injection.tsv), the same two ways: every
#   call alerts, of whichever class (the models never learned the class);
# - benign text that looks like attacks (tests/data/pf_tricky_benign.tsv),
#   the same two ways: at most 3 of its 50 values raise an alert.
# usage: appliance_outside.sh MESHWATCH SRCDIR OUTDIR
set -eu
MW=$1 SRC=$2 DIR=$3/outside
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
mkdir -p "$DIR/cache"
PCAP="python3 $SRC/tests/tools/http_pcap.py"
run() {	# NAME: NAME.pcap through the appliance with the default models
	sh "$SRC/scripts/events.sh" "$MW" "$DIR/$1" "$SRC/configs/signatures" "$DIR/cache" \
		"$SRC/configs/models"
}
$PCAP --headers "$SRC/tests/data/browser_headers.tsv" "$DIR/headers.pcap"
$PCAP "$SRC/tests/data/pf_tool_payloads.tsv" "$DIR/tools.pcap"
$PCAP "$SRC/tests/data/code_injection.tsv" "$DIR/code.pcap"
$PCAP "$SRC/tests/data/pf_tricky_benign.tsv" "$DIR/tricky.pcap"
for n in headers tools code tricky; do run $n; done
python3 - "$SRC/tests/data" "$DIR" <<'EOF'
import json, sys

data, out = sys.argv[1], sys.argv[2]
fail = 0


def lines(name):
    with open(f"{data}/{name}", encoding="utf-8") as f:
        return [l.rstrip("\n").split("\t") for l in f
                if l.strip() and not l.startswith("#") and "\t" in l]


def alerts(name):
    """trace id -> {(kind, class)} of the payload and trace alerts."""
    got = {}
    with open(f"{out}/{name}.alerts.jsonl", encoding="utf-8") as f:
        for l in f:
            m = json.loads(l)["meshwatch"]
            if m.get("trace_id") and m["kind"] in ("payload", "trace"):
                got.setdefault(int(m["trace_id"], 16), set()).add(m["class"])
    return got


def calls(name):
    """(category, value, trace id, how) of each call http_pcap.py made of a
    value file: line i as a search query (trace 2i) and as JSON text (2i + 1)."""
    return [(cat, v, t, "query" if t % 2 == 0 else "JSON")
            for i, (cat, v) in enumerate(lines(name), 1) for t in (2 * i, 2 * i + 1)]


got = alerts("headers")
for i, l in enumerate(lines("browser_headers.tsv"), 1):
    a = got.get(2 * i, set())
    ok = not a if l[0] == "benign" else l[0] in a
    if not ok:
        fail = 1
        print(f"browser headers, line {i} ({l[0]}): alerts {sorted(a) or 'none'}: {l[1][:70]}")
print(f"browser headers: {len(lines('browser_headers.tsv'))} calls as expected" if not fail else
      "browser headers: some calls not as expected")


got = alerts("tools")
tool = calls("pf_tool_payloads.tsv")
hit = sum(cat in got.get(t, set()) for cat, v, t, how in tool)
for cat, v, t, how in tool:
    if cat not in got.get(t, set()):
        print(f"  tool payload not alerted as {cat} ({how}):"
              f" {v[:70]} -> {sorted(got.get(t, set())) or 'nothing'}")
print(f"attack-tool payloads: {hit} of {len(tool)} calls alerted their category")
if hit < 0.97 * len(tool):
    fail = 1

got = alerts("code")
code = calls("code_injection.tsv")
for cat, v, t, how in code:
    if not got.get(t):
        fail = 1
        print(f"  code injection not alerted ({how}): {v[:70]}")
classes = sorted({c for cat, v, t, how in code for c in got.get(t, ())})
print(f"code injection: {sum(bool(got.get(t)) for cat, v, t, how in code)} of {len(code)}"
      f" calls alerted (as {', '.join(classes)})")

got = alerts("tricky")
tricky = lines("pf_tricky_benign.tsv")
flagged = list(dict.fromkeys(v for cat, v, t, how in calls("pf_tricky_benign.tsv")
                             if got.get(t)))  # a value alerted as a query, as JSON or both
for v in flagged:
    print(f"  tricky benign alerted: {v}")
print(f"tricky benign: {len(flagged)} of {len(tricky)} values alerted")
if len(flagged) > 3:
    fail = 1
sys.exit(fail)
EOF
