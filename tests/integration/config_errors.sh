#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every class of config mistake stops meshwatch before anything starts, with
# a message naming the file, the line, the key and what was expected.
# usage: config_errors.sh MESHWATCH GEN APP OUTDIR
set -u
MW=$1 GEN=$2 APP=$3 DIR=$4/config-errors
mkdir -p "$DIR"
"$GEN" --app "$APP" --requests 50 --out "$DIR/tiny" --quiet || exit 1
PCAP=$DIR/tiny.pcap
fail=0
n=0

good_ports="ports = ( { device = \"net_pcap0,rx_pcap=$PCAP\"; } );"
good_lcores='lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1"; };'
good_eal='eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "256", "--log-level", "lib.eal:error", "--log-level", "user1:warning"];'

# expect NAME 'grep pattern' <<config text
expect() {
	n=$((n + 1))
	f="$DIR/$1.conf"
	cat > "$f"
	out=$("$MW" -c "$f" --check-config 2>&1)
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

expect syntax "syntax.conf:[0-9]*: syntax error" <<CONF
$good_eal
ports = ( { device = "x" }
CONF
expect unknown-section "unknown-section.conf:3: flow: unknown key; expected one of" <<CONF
$good_eal
$good_ports
flow = { capacity = 1024; };
$good_lcores
CONF
expect unknown-key "unknown-key.conf:4: flows.capacityy: unknown key" <<CONF
$good_eal
$good_ports
$good_lcores
flows = { capacityy = 1024; };
CONF
expect out-of-range "out-of-range.conf:4: flows.capacity: 10 is out of range; expected an integer from 1024" <<CONF
$good_eal
$good_ports
$good_lcores
flows = { capacity = 10; };
CONF
expect wrong-type 'wrong-type.conf:4: http.body_bytes: got "lots"; expected an integer' <<CONF
$good_eal
$good_ports
$good_lcores
http = { body_bytes = "lots"; };
CONF
expect bool-type "bool-type.conf:2: ports\[0\].promiscuous: got 1; expected true or false" <<CONF
$good_eal
ports = ( { device = "net_pcap0,rx_pcap=$PCAP"; promiscuous = 1; } );
$good_lcores
CONF
expect no-ports "no-ports.conf:0: ports: missing" <<CONF
$good_eal
$good_lcores
CONF
expect bad-pci 'bad-pci.conf:2: ports\[0\].device: "0000:zz:00" is neither a PCI address' <<CONF
$good_eal
ports = ( { device = "0000:zz:00"; } );
$good_lcores
CONF
expect missing-capture "missing-capture.conf:2: ports\[0\].device: rx_pcap '/nonexistent/x.pcap' cannot be read: No such file" <<CONF
$good_eal
ports = ( { device = "net_pcap0,rx_pcap=/nonexistent/x.pcap"; } );
$good_lcores
CONF
expect lcore-twice "lcore-twice.conf:3: lcores: lcore 1 is both rx and inference" <<CONF
$good_eal
$good_ports
lcores = { main = 0; rx = [1]; inference = [1]; };
CONF
expect ring-size "ring-size.conf:3: lcores.ring_size: 1000 is not a power of two" <<CONF
$good_eal
$good_ports
lcores = { main = 0; rx = [1]; inference = [2]; ring_size = 1000; };
CONF
expect too-few-queues "too-few-queues.conf:3: lcores.rx: 2 rx lcores but only 1 rx queues" <<CONF
$good_eal
$good_ports
lcores = { main = 0; rx = [1, 3]; inference = [2]; };
CONF
expect bad-address 'bad-address.conf:4: services\[0\].addrs: element 0 is "10.0.0.300"; expected an IPv4 or IPv6 address' <<CONF
$good_eal
$good_ports
$good_lcores
services = ( { name = "idp"; addrs = ["10.0.0.300"]; } );
CONF
expect bad-key 'bad-key.conf:4: output.actor_key: "xyz" is not 32 hex digits' <<CONF
$good_eal
$good_ports
$good_lcores
output = { actor_key = "xyz"; };
CONF
expect bad-facility 'bad-facility.conf:4: output.alerts_syslog: "kern" is not a syslog facility; expected local0 to local7' <<CONF
$good_eal
$good_ports
$good_lcores
output = { alerts_syslog = "kern"; };
CONF
expect no-baseline 'no-baseline.conf:4: inventory.baseline: cannot read "/nonexistent/inv.json"' <<CONF
$good_eal
$good_ports
$good_lcores
inventory = { baseline = "/nonexistent/inv.json"; };
CONF
printf '{"services": []}\n' > "$DIR/bad-baseline.json"
expect bad-baseline "inventory.baseline: \"$DIR/bad-baseline.json\" is not an inventory meshwatch wrote" <<CONF
$good_eal
$good_ports
$good_lcores
inventory = { baseline = "$DIR/bad-baseline.json"; };
CONF
expect long-socket 'long-socket.conf:4: output.alerts_socket: string of 119 characters is too long; expected at most 107' <<CONF
$good_eal
$good_ports
$good_lcores
output = { alerts_socket = "/run/$(printf '%0114d' 0)"; };
CONF
expect hw-drop-name 'hw-drop-name.conf:2: ports\[0\].hw_drop: got "tcp"; expected one of: arp, lldp, icmp, icmp6, udp, ipv6' <<CONF
$good_eal
ports = ( { device = "net_pcap0,rx_pcap=$PCAP"; hw_drop = ["arp", "tcp"]; } );
$good_lcores
CONF
rm -f "$DIR/no-such.conf"
out=$("$MW" -c "$DIR/no-such.conf" --check-config 2>&1) && { echo "FAIL no-file: accepted"; fail=1; }
printf '%s\n' "$out" | grep -q "no-such.conf:0: cannot read: No such file" ||
	{ echo "FAIL no-file: $out"; fail=1; }

# Mistakes only the machine can reveal: found after EAL starts, before any port does.
cat > "$DIR/not-enabled.conf" <<CONF
$good_eal
$good_ports
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1"; };
CONF
out=$("$MW" -c "$DIR/not-enabled.conf" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "lcores.inference: lcore 2 is not enabled in EAL" &&
		! printf '%s\n' "$out" | grep -q "^port "; then
	echo "ok   not-enabled: exit $rc, no port started"
else
	echo "FAIL not-enabled (exit $rc):"; printf '%s\n' "$out" | tail -5 | sed 's/^/    /'; fail=1
fi

# A NIC that cannot drop what hw_drop names (net_pcap has no rte_flow):
# refused when the port starts, before rx does.
cat > "$DIR/hw-drop-pmd.conf" <<CONF
$good_eal
ports = ( { device = "net_pcap0,rx_pcap=$PCAP"; hw_drop = ["arp"]; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1"; event_pool = 4095; };
mempool = { mbufs = 4095; };
flows = { capacity = 4096; };
CONF
out=$("$MW" -c "$DIR/hw-drop-pmd.conf" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q "hw_drop: net_pcap0 cannot drop arp in hardware" &&
		! printf '%s\n' "$out" | grep -q "^rx lcore"; then
	echo "ok   hw-drop-pmd: exit $rc, $(printf '%s\n' "$out" | grep -o 'hw_drop: .*hardware')"
else
	echo "FAIL hw-drop-pmd (exit $rc):"; printf '%s\n' "$out" | tail -5 | sed 's/^/    /'; fail=1
fi

# A valid config is valid.
cat > "$DIR/valid.conf" <<CONF
$good_eal
$good_ports
$good_lcores
CONF
expect threshold-range "threshold-range.conf:4: models.thresholds.sqli: got 1.5; expected a probability" <<CONF
$good_eal
$good_ports
$good_lcores
models = { thresholds = { sqli = 1.5; }; };
CONF
expect precision "precision.conf:4: models.precision: got \"int8\"; expected \"f32\" or \"bf16\"" <<CONF
$good_eal
$good_ports
$good_lcores
models = { precision = "int8"; };
CONF
expect actor-without-trace "actor-without-trace.conf:4: models.actor: an actor model needs a trace model" <<CONF
$good_eal
$good_ports
$good_lcores
models = { actor = "$PCAP"; };
CONF
"$MW" -c "$DIR/valid.conf" --check-config || { echo "FAIL valid config rejected"; fail=1; }
"$MW" --version | grep -q "^meshwatch " || { echo "FAIL --version"; fail=1; }
exit $fail
