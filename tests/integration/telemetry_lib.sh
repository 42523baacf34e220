# SPDX-License-Identifier: BSD-3-Clause
# Asking a running meshwatch through DPDK's dpdk-telemetry.py. Sourced by
# the appliance tests; PREFIX (the EAL --file-prefix), DIR and fail() are
# theirs.

# tel COMMAND[,PARAMS] JQ-TEST: asks, and fails unless the answer passes
tel() {
	echo "$1" | timeout 30 dpdk-telemetry.py -f "$PREFIX" > "$DIR/tel.out" 2>&1 ||
		{ cat "$DIR/tel.out" >&2; fail "dpdk-telemetry.py failed on $1"; }
	key=${1%%,*}
	grep -F "{\"$key\": " "$DIR/tel.out" | jq -e ".[\"$key\"] | $2" > /dev/null ||
		{ cat "$DIR/tel.out" >&2; fail "$1: not ($2)"; }
}

# tel_value COMMAND[,PARAMS] JQ: prints what JQ makes of the answer
tel_value() {
	key=${1%%,*}
	echo "$1" | timeout 30 dpdk-telemetry.py -f "$PREFIX" 2>/dev/null |
		grep -F "{\"$key\": " | jq ".[\"$key\"] | $2"
}
