#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every kind of rule-file mistake is refused with file, line, rule id and the
# reason (Hyperscan's own message for patterns), and a config whose rules
# are broken does not start. The shipped rules check clean.
# usage: rule_errors.sh MESHWATCH RULESDIR OUTDIR
set -u
MW=$1 RULES=$2 DIR=$3/rule-errors
mkdir -p "$DIR"
fail=0

expect() {	# expect NAME 'pattern' <<rules
	f="$DIR/$1.rules"
	cat > "$f"
	out=$("$MW" --check-rules "$f" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "FAIL $1: accepted"; fail=1; return
	fi
	if ! printf '%s\n' "$out" | grep -q -- "$2"; then
		echo "FAIL $1: message does not match '$2':"; printf '%s\n' "$out" | sed 's/^/    /'
		fail=1; return
	fi
	echo "ok   $1: $(printf '%s\n' "$out" | grep -- "$2" | head -1)"
}

expect bad-regex 'bad-regex.rules:2: rule 10: hyperscan: Missing close parenthesis' <<'R'
# a comment
10 sqli high any i "broken" /(union select/
R
expect backref 'backref.rules:1: rule 11: hyperscan: .*' <<'R'
11 xss high any i "backreference" /(a)\1/
R
expect empty-match 'empty-match.rules:1: rule 12: pattern matches the empty string' <<'R'
12 xss low any - "matches nothing" /x*/
R
expect bad-category "bad-category.rules:1: rule 13: unknown category 'sqlx'" <<'R'
13 sqlx high any i "typo" /select/
R
expect bad-severity "bad-severity.rules:1: rule 14: unknown severity 'urgent'" <<'R'
14 sqli urgent any i "typo" /select/
R
expect bad-field "bad-field.rules:1: rule 15: unknown field 'query'" <<'R'
15 sqli high query i "typo" /select/
R
expect bad-flag "bad-flag.rules:1: rule 16: unknown flag 'x'" <<'R'
16 sqli high any i,x "typo" /select/
R
expect sql-and-sh 'sql-and-sh.rules:1: rule 17: flags sql and sh exclude each other' <<'R'
17 sqli high any sql,sh "both" /select/
R
expect duplicate-id 'duplicate-id.rules:2: rule 18: id already used at .*duplicate-id.rules:1' <<'R'
18 sqli high any i "one" /select/
18 sqli high any i "two" /union/
R
expect bad-id "bad-id.rules:1: 'x19' is not a rule id" <<'R'
x19 sqli high any i "no id" /select/
R
expect no-name 'no-name.rules:1: rule 20: expected a "quoted name"' <<'R'
20 sqli high any i /select/
R
expect no-pattern 'no-pattern.rules:1: rule 21: expected the pattern as /REGEX/' <<'R'
21 sqli high any i "no slashes" select
R
expect short-line 'short-line.rules:1: rule 22: expected ID CATEGORY SEVERITY' <<'R'
22 sqli high
R
expect no-rules 'no rules in 1 file' <<'R'
# only comments
R
out=$("$MW" --check-rules "$DIR/missing.rules" 2>&1) && { echo "FAIL missing file accepted"; fail=1; }
printf '%s\n' "$out" | grep -q "missing.rules:0: cannot read" || { echo "FAIL missing file: $out"; fail=1; }

# a config pointing at broken rules does not start
printf '%s\n' '10 sqli high any i "broken" /(union/' > "$DIR/cfg.rules"
cat > "$DIR/bad.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci"];
ports = ( { device = "net_null0"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1"; };
prefilter = { rules = ["$DIR/cfg.rules"]; };
CONF
out=$("$MW" -c "$DIR/bad.conf" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "cfg.rules:1: rule 10: hyperscan" &&
		printf '%s\n' "$out" | grep -q "nothing started"; then
	echo "ok   config with broken rules: exit $rc"
else
	echo "FAIL config with broken rules (exit $rc): $out"; fail=1
fi
"$MW" --check-rules "$RULES"/*.rules || { echo "FAIL shipped rules"; fail=1; }
exit $fail
