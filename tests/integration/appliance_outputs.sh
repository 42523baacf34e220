#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Alert outputs, on a capture with attacks replayed in a loop:
# - logrotate: the alert log is moved away and SIGHUP reopens it; the two
#   files together hold every alert written, each line whole JSON;
# - a collector's Unix socket, stream and datagram: it gets every line the
#   log got, except those counted lost, and one that starts after meshwatch
#   is connected to within a second;
# - a full disk (/dev/full): every failed write counted, said on stderr
#   once, in drops_total and the exit status: no line lost in silence;
# - syslog (in a mount namespace whose /dev/log is ours);
# - the lines are EVE JSON as tools reading Suricata's eve.json expect.
#
# usage: appliance_outputs.sh MESHWATCH GEN CONFIGS OUTDIR
set -eu
MW=$1 GEN=$2 CONFIGS=$3 DIR=$4/outputs
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"	# the EXIT trap below calls tidy_outputs
mkdir -p "$DIR"
OUT="$DIR/cap"
MWPID= COLL=
fail() { echo "FAIL: $*" >&2; [ -f "$DIR/run.log" ] && tail -15 "$DIR/run.log" >&2; exit 1; }
cleanup() {
	rc=$?
	[ -z "$MWPID" ] || kill -9 $MWPID 2>/dev/null || true
	[ -z "$COLL" ] || kill $COLL 2>/dev/null || true
	tidy_outputs $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM
"$GEN" --app "$CONFIGS/apps/dvdrental.conf" --seed 29 --requests 3000 --attack all=0.03 \
	--out "$OUT" --quiet

conf() {	# conf FILE DEVICE-OPTIONS OUTPUT-KEYS
	cat > "$1" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "1024",
       "--log-level", "lib.eal:error", "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_out,rx_pcap=$OUT.pcap$2"; replay_pps = 40000; } );
mempool = { mbufs = 65535; };
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@0"; event_pool = 16383; };
prefilter = { rules = ["$CONFIGS/signatures/*.rules"]; cache = "$DIR"; };
models = { payload = "$CONFIGS/models/payload.mwm"; trace = "$CONFIGS/models/trace.mwm";
           actor = "$CONFIGS/models/actor.mwm"; };
output = { $3 alert_window_s = 0; stats_interval = 0;
           actor_key = "00112233445566778899aabbccddeeff"; };
CONF
}
# collector KIND PATH OUT: a Unix socket listener writing each line it gets
collector() {
	rm -f "$2"
	python3 - "$1" "$2" "$3" <<'PY' &
import socket, sys
kind, path, out = sys.argv[1:]
f = open(out, "wb", buffering=0)
if kind == "stream":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path); s.listen(4)
    while True:
        c, _ = s.accept()
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            f.write(b)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(path)
    while True:
        f.write(s.recv(1 << 20) + b"\n")
PY
	COLL=$!
	for _ in $(seq 1 50); do [ -S "$2" ] && return 0; sleep 0.1; done
	fail "the collector did not start"
}
lines() { cat "$@" 2>/dev/null | wc -l; }
alert_lines() { cat "$@" | jq -c 'select(.event_type == "alert")' | wc -l; }
report() {	# report PATTERN: a number from the final report
	sed -n "s/^$1.*/\1/p" "$DIR/run.log" | tail -1
}

# ---- stream collector, started late; the log rotated under traffic ----
SOCK="$DIR/collector.sock"
rm -f "$SOCK" "$DIR/alerts.jsonl" "$DIR/alerts.jsonl.1" "$DIR/stream.out"
conf "$DIR/run.conf" ",infinite_rx=1" "alerts = \"$DIR/alerts.jsonl\"; alerts_socket = \"$SOCK\";"
"$MW" -c "$DIR/run.conf" > "$DIR/run.log" 2>&1 &
MWPID=$!
for _ in $(seq 1 120); do
	[ -s "$DIR/alerts.jsonl" ] && break
	kill -0 $MWPID 2>/dev/null || fail "meshwatch exited"
	sleep 0.5
done
[ -s "$DIR/alerts.jsonl" ] || fail "no alert in 60 s"
collector stream "$SOCK" "$DIR/stream.out"
sleep 3
mv "$DIR/alerts.jsonl" "$DIR/alerts.jsonl.1"
kill -HUP $MWPID
sleep 3
kill -TERM $MWPID
wait $MWPID || fail "meshwatch exited $? on SIGTERM"
MWPID=
sleep 0.5
kill $COLL; COLL=
grep -q "^SIGHUP: logs reopened$" "$DIR/run.log" || fail "SIGHUP did not reopen the logs"
[ -s "$DIR/alerts.jsonl" ] || fail "nothing written to the reopened alert log"
[ -s "$DIR/alerts.jsonl.1" ] || fail "nothing in the rotated alert log"
for f in "$DIR/alerts.jsonl.1" "$DIR/alerts.jsonl" "$DIR/stream.out"; do
	jq -e . "$f" > /dev/null || fail "$f: a line that is not whole JSON"
done
written=$(report 'alerts written: \([0-9]*\)')
got=$(alert_lines "$DIR/alerts.jsonl.1" "$DIR/alerts.jsonl")
[ "$got" -eq "$written" ] || fail "the two logs hold $got alerts, meshwatch wrote $written"
sent=$(report 'alert socket [^:]*: \([0-9]*\) sent')
lost=$(report 'alert socket [^:]*: [0-9]* sent, \([0-9]*\) lost')
total=$(lines "$DIR/alerts.jsonl.1" "$DIR/alerts.jsonl")
[ "$(lines "$DIR/stream.out")" -eq "$sent" ] ||
	fail "the collector got $(lines "$DIR/stream.out") lines, meshwatch sent $sent"
[ $((sent + lost)) -eq "$total" ] || fail "sent $sent + lost $lost is not the log's $total lines"
[ "$sent" -gt 0 ] || fail "nothing reached the collector"
# a line the collector got is a line of the log, byte for byte
head -1 "$DIR/stream.out" > "$DIR/one.line"
grep -qxFf "$DIR/one.line" "$DIR/alerts.jsonl.1" "$DIR/alerts.jsonl" ||
	fail "a collector's line is not in the alert log"
echo "rotation: $written alerts in two logs, none lost; stream socket: $sent sent, $lost lost before it listened"

# ---- EVE JSON, as Suricata's readers expect it ----
cat "$DIR/alerts.jsonl.1" "$DIR/alerts.jsonl" | jq -e -s '
	map(select(.event_type == "alert")) | length > 0 and all(
		(.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}[+-][0-9]{4}$")) and
		(.flow_id | type == "number") and (.src_ip | type == "string") and
		(.dest_ip | type == "string") and (.src_port | type == "number") and
		(.dest_port | type == "number") and .proto == "TCP" and .app_proto == "http" and
		(.alert.signature_id | type == "number") and (.alert.signature | type == "string") and
		(.alert.category | type == "string") and (.alert.severity | IN(1, 2, 3)) and
		.alert.action == "allowed" and .alert.gid == 1 and (.alert.rev | type == "number"))' \
	> /dev/null || fail "an alert is not EVE JSON"
echo "eve: every alert has Suricata's fields"

# ---- datagram collector, syslog: one capture pass ----
DSOCK="$DIR/dgram.sock"
collector dgram "$DSOCK" "$DIR/dgram.out"
rm -f "$DIR/alerts2.jsonl"
conf "$DIR/run.conf" "" "alerts = \"$DIR/alerts2.jsonl\"; alerts_socket = \"$DSOCK\"; alerts_syslog = \"local5\";"
if unshare -m true 2>/dev/null; then
	# /dev/log is ours: a tmpfs /dev with the nodes meshwatch needs bound back
	rm -f "$DIR/devlog.out"
	cat > "$DIR/ns.sh" <<NS
set -e
mkdir -p "$DIR/olddev" && mount --bind /dev "$DIR/olddev"
mount -t tmpfs tmpfs /dev
for n in null zero urandom random; do touch /dev/\$n; mount --bind "$DIR/olddev/\$n" /dev/\$n; done
mkdir /dev/shm /dev/pts
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/dev/log")
f = open(sys.argv[1], "wb", buffering=0)
while True: f.write(s.recv(1 << 20) + b"\n")' "$DIR/devlog.out" &
for i in \$(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
timeout 300 "$MW" -c "$DIR/run.conf" --idle-exit 1
kill \$!
NS
	unshare -m sh "$DIR/ns.sh" > "$DIR/run.log" 2>&1 || fail "meshwatch failed (syslog run)"
	slog=$(grep -c 'meshwatch\[[0-9]*\]: {"timestamp"' "$DIR/devlog.out" || true)
	[ "$slog" -eq "$(lines "$DIR/alerts2.jsonl")" ] ||
		fail "syslog got $slog alert lines, the log $(lines "$DIR/alerts2.jsonl")"
	grep -q '^<17[0-9]>' "$DIR/devlog.out" || fail "syslog lines are not at facility local5"
	echo "syslog: $slog lines at local5"
else
	timeout 300 "$MW" -c "$DIR/run.conf" --idle-exit 1 > "$DIR/run.log" 2>&1 ||
		fail "meshwatch failed (datagram run)"
	echo "syslog: not checked (no mount namespace here to own /dev/log)"
fi
sleep 0.5
kill $COLL; COLL=
sent=$(report 'alert socket [^:]*: \([0-9]*\) sent')
lost=$(report 'alert socket [^:]*: [0-9]* sent, \([0-9]*\) lost')
[ "$(lines "$DIR/dgram.out")" -eq "$sent" ] ||
	fail "the datagram collector got $(lines "$DIR/dgram.out") lines, meshwatch sent $sent"
[ $((sent + lost)) -eq "$(lines "$DIR/alerts2.jsonl")" ] || fail "datagram: sent + lost is not the log"
[ "$sent" -gt 0 ] || fail "nothing reached the datagram collector"
echo "datagram socket: $sent sent, $lost lost"

# ---- a full disk: losses counted and said, never silent ----
if [ -w /dev/full ]; then
	conf "$DIR/full.conf" "" "events = \"/dev/full\"; alerts = \"/dev/full\"; stats = \"/dev/full\";"
	rc=0
	timeout 300 "$MW" -c "$DIR/full.conf" --idle-exit 1 > "$DIR/full.log" 2> "$DIR/full.err" || rc=$?
	[ "$rc" -eq 1 ] || { cat "$DIR/full.err" >&2; fail "exit $rc with both logs on a full disk, not 1"; }
	for key in output.events output.alerts output.stats; do
		n=$(grep -c "^$key: write failed: No space left on device" "$DIR/full.err" || true)
		[ "$n" -eq 1 ] || fail "$key's failure said $n times, not once"
	done
	grep -q "^meshwatch: [1-9][0-9]* writes to the event log and [1-9][0-9]* to the alert log failed" \
		"$DIR/full.err" || fail "no closing word on the lost lines"
	grep -q "^WRITES FAILED, lines lost: event log [1-9]" "$DIR/full.log" ||
		fail "the final report does not say writes failed"
	# the same counters, as the stats file would have them: from a run whose
	# stats file is writable
	conf "$DIR/full2.conf" "" "events = \"/dev/full\"; stats = \"$DIR/full2.stats.jsonl\";"
	rm -f "$DIR/full2.stats.jsonl"
	timeout 300 "$MW" -c "$DIR/full2.conf" --idle-exit 1 > "$DIR/full2.log" 2>&1 && fail "exit 0 with lost events"
	tail -1 "$DIR/full2.stats.jsonl" | jq -e '.counters.event_write_errors > 0 and
		.counters.alert_write_errors == 0 and .drops_total >= .counters.event_write_errors' \
		> /dev/null || fail "the stats do not count the failed writes"
	echo "full disk: $(tail -1 "$DIR/full.err")"
else
	echo "full disk: not checked (no writable /dev/full)"
fi
echo "outputs: OK"
