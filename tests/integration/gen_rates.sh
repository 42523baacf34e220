#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every attack class appears, with the label it claims, at the requested rate.
# usage: gen_rates.sh GEN APP OUTDIR
set -eu
GEN=$1 APP=$2 DIR=$3/rates
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
mkdir -p "$DIR"
OUT=$DIR/all
RATE=0.012
"$GEN" --app "$APP" --out "$OUT" --seed 11 --requests 150000 --attack all=$RATE --quiet
rm -f "$OUT.pcap"	# a gigabyte this test never reads: labels and summary are its subject
S=$OUT.summary.json
fail=0
for c in sqli xss cmdi traversal ssrf jndi ssti nosqli bola bfla mass_assignment \
	broken_auth credential_stuffing scraping exfiltration chain; do
	n=$(jq -r ".sessions_by_class.$c" "$S")
	total=$(jq -r '.sessions' "$S")
	# Binomial: the count must lie within 4.5 standard deviations.
	ok=$(awk -v n="$n" -v t="$total" -v p=$RATE 'BEGIN {
		e = t * p; sd = sqrt(t * p * (1 - p));
		print (n >= e - 4.5 * sd && n <= e + 4.5 * sd) ? 1 : 0 }')
	mal=$(jq -r ".malicious_requests_by_class.$c" "$S")
	# Labels agree with the summary, and a malicious step says what it did.
	lab=$(jq -c "select(.class == \"$c\")" "$OUT.requests.jsonl" | wc -l)
	odd=$(jq -c "select(.class == \"$c\" and (.attack_id == 0 or .technique == null or
		(.step != \"malicious\" and .step != \"recon\")))" "$OUT.requests.jsonl" | wc -l)
	act=$(jq -c "select(.class == \"$c\")" "$OUT.actors.jsonl" | wc -l)
	printf '%-20s sessions %4s (expected %.0f)  malicious requests %5s  actors %3s\n' \
		"$c" "$n" "$(echo "$total $RATE" | awk '{print $1 * $2}')" "$mal" "$act"
	if [ "$ok" != 1 ] || [ "$mal" -eq 0 ] || [ "$lab" -ne "$mal" ] || [ "$odd" -ne 0 ] ||
		[ "$act" -eq 0 ]; then
		echo "  FAIL: $c (in range $ok, labeled $lab, inconsistent $odd)" >&2
		fail=1
	fi
done
# Benign requests carry no attack technique; benign steps of attacks say so.
odd=$(jq -c 'select(.class == "benign" and (.technique != null or
	(.step != "none" and .step != "benign")))' "$OUT.requests.jsonl" | wc -l)
[ "$odd" -eq 0 ] || { echo "FAIL: $odd benign requests labeled like attacks" >&2; fail=1; }
# Techniques vary: each payload class shows several of its grammar's techniques.
for c in sqli xss cmdi traversal ssrf jndi ssti nosqli; do
	k=$(jq -r "select(.class == \"$c\") | .technique" "$OUT.requests.jsonl" | sort -u | wc -l)
	e=$(jq -r "select(.class == \"$c\") | .encoding" "$OUT.requests.jsonl" | sort -u | wc -l)
	l=$(jq -r "select(.class == \"$c\") | .location | split(\":\")[0]" "$OUT.requests.jsonl" | sort -u | wc -l)
	echo "$c: $k techniques, $e encodings, $l kinds of location"
	if [ "$k" -lt 4 ] || [ "$e" -lt 3 ] || [ "$l" -lt 3 ]; then
		echo "  FAIL: $c is not varied enough" >&2
		fail=1
	fi
done
# Disabling attacks disables them; one class alone gives only that class.
"$GEN" --app "$APP" --out "$DIR/none" --seed 12 --requests 20000 --attack none --quiet
[ "$(jq -c 'select(.class != "benign")' "$DIR/none.requests.jsonl" | wc -l)" -eq 0 ] ||
	{ echo "FAIL: --attack none still attacks" >&2; fail=1; }
"$GEN" --app "$APP" --out "$DIR/one" --seed 13 --requests 20000 --attack none,ssrf=0.05 --quiet
classes=$(jq -r 'select(.class != "benign") | .class' "$DIR/one.requests.jsonl" | sort -u | tr '\n' ' ')
[ "$classes" = "ssrf " ] || { echo "FAIL: ssrf alone gave: $classes" >&2; fail=1; }
exit $fail
