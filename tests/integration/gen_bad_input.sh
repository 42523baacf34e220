#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Bad configs, grammars and options: a clear message naming file, line and
# key (or option), exit status 2, and no half-written output.
# usage: gen_bad_input.sh GEN APP GRAMMARS OUTDIR
set -u
GEN=$1 APP=$2 GRAMMARS=$3 DIR=$4/bad
rm -rf "$DIR"
mkdir -p "$DIR"
fail=0
expect() {	# expect "message regex" meshwatch-gen args...
	want=$1
	shift
	"$GEN" "$@" > "$DIR/out.txt" 2>&1
	rc=$?
	if [ $rc -ne 2 ] || ! grep -Eq -e "$want" "$DIR/out.txt"; then
		echo "FAIL: meshwatch-gen $*: rc $rc, wanted /$want/, got:" >&2
		cat "$DIR/out.txt" >&2
		fail=1
	else
		echo "ok: $(cat "$DIR/out.txt")"
	fi
}
mutate() {	# mutate NAME sed-expression: a broken copy of the app config
	sed "$2" "$APP" > "$DIR/$1.conf"
	echo "$DIR/$1.conf"
}
O="--out $DIR/x --requests 100"
expect "cannot read" --app "$DIR/missing.conf" $O
printf 'app = { name = "x" \n' > "$DIR/syntax.conf"
expect "syntax.conf:2: syntax error" --app "$DIR/syntax.conf" $O
expect "bad.conf:[0-9]+: key 'services.*port': bad value 70000" \
	--app "$(mutate bad 's/port = 8080; trace = "w3c"; edge = true;/port = 70000; trace = "w3c"; edge = true;/')" $O
expect "type.conf:[0-9]+: key .*: bad value 'film_id:zipff\(5000\)' \(unknown type 'zipff'" \
	--app "$(mutate type 's/{film_id:zipf(5000)}"; browse = 12/{film_id:zipff(5000)}"; browse = 12/')" $O
expect "wf.conf:[0-9]+: key 'workflows.*steps': bad value 'film_gett' \(no endpoint 'film_gett'\)" \
	--app "$(mutate wf 's/"@browse{2,8}", "film_get",/"@browse{2,8}", "film_gett",/')" $O
expect "rule.conf:[0-9]+: key .*: bad value 'q:g\(searchh\)' \(the benign grammar has no rule 'searchh'\)" \
	--app "$(mutate rule 's/"q:g(search)", "genre/"q:g(searchh)", "genre/')" $O
expect "edge.conf:[0-9]+: key 'services': no service has edge = true" \
	--app "$(mutate edge 's/edge = true;//')" $O
expect "size.conf:[0-9]+: key 'endpoints.*size': expected size" \
	--app "$(mutate size 's/size = \[420.0, 0.05\]/size = [420.0, 9.0]/')" $O
expect "loop.conf:[0-9]+: key .*nest deeper than 5 \(or loop\)" \
	--app "$(mutate loop 's/size = \[180.0, 0.1\]; status = "409:0.02"; },/size = [180.0, 0.1]; status = "409:0.02"; calls = ( { to = "rent"; } ); },/')" $O
expect "--attack: unknown class 'sqlx'" --app "$APP" $O --attack sqlx=0.1
expect "--attack: rates add up to more than 0.9" --app "$APP" $O --attack all=0.1
expect "--impair: bad value '2' \(expected a probability" --app "$APP" $O --impair loss=2
expect "--qinq needs --vlan" --app "$APP" $O --qinq 5
expect "--loop-clean and --midstart contradict" --app "$APP" $O --loop-clean --midstart 3
expect "--encap: bad value 'ipip'" --app "$APP" $O --encap ipip
expect "--start: bad value '2026-13-01T00:00:00Z'" --app "$APP" $O --start 2026-13-01T00:00:00Z
mkdir -p "$DIR/g"
cp "$GRAMMARS"/*.g "$DIR/g/"
printf 'technique = "x" ;\nplace = "query" ;\nx = ( "a" ;\n' > "$DIR/g/sqli.g"
expect "sqli.g:[0-9]+: expected '\)'" --app "$APP" $O --grammars "$DIR/g"
cp "$GRAMMARS/sqli.g" "$DIR/g/sqli.g"
sed -i 's/^technique = \[4\] "tautology"/technique = [4] "tautologyy"/' "$DIR/g/sqli.g"
expect "sqli.g: technique 'tautologyy' is not a rule" --app "$APP" $O --grammars "$DIR/g"
[ ! -e "$DIR/x.pcap" ] || { echo "FAIL: a failed run left $DIR/x.pcap behind" >&2; fail=1; }
exit $fail
